import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { V1Deployment, V1Service } from "@kubernetes/client-node";
import { RolloutControl } from "../../src/delivery/control.js";
import type { Release } from "../../src/delivery/model.js";
import type { RolloutEvent } from "../../src/delivery/rollout.js";
import { runRollout } from "../../src/delivery/rollout.js";
import { connect } from "../../src/kubernetes/client.js";
import type { Cluster } from "../../src/kubernetes/client.js";
import { KubernetesTarget, deploymentName } from "../../src/kubernetes/target.js";
import { testRelease } from "../support/delivery.js";
import type { ControlPlane } from "../support/kubernetes.js";
import { startControlPlane, startErrorRatios } from "../support/kubernetes.js";
import { describeTargetContract } from "../delivery/target-contract.js";
import type { Availability } from "../delivery/target-contract.js";

/**
 * The Kubernetes target against a real control plane (API server, controllers, scheduler), with
 * kwok as the node's kubelet: Pods become Running and Ready, and the real EndpointSlice controller
 * puts them behind Services, but no container runs. So "where traffic goes" is read where
 * kube-proxy and gateways read it, in the Service's ready endpoints; the contract's requests are
 * spread over those endpoints as kube-proxy would.
 */

let plane: ControlPlane;
let cluster: Cluster;

beforeAll(async () => {
  plane = await startControlPlane();
  cluster = connect({ kubeconfig: plane.kubeconfig });
  await plane.installGatewayApi();
}, 120_000);

afterAll(async () => {
  await plane?.stop();
});

async function namespace(): Promise<string> {
  const name = `t-${randomBytes(4).toString("hex")}`;
  await plane.kubectl("create", "namespace", name);
  return name;
}

/** The test service's release; `neverReady` makes kwok play a container whose readiness probe fails. */
function release(version: string, options: { neverReady?: boolean } = {}): Release {
  return testRelease(version, options.neverReady ? { env: { SIMULATED_READINESS: "fail" } } : {});
}

const GATEWAY = { parentRefs: [{ name: "public", namespace: "gateways" }], hostnames: ["shop.example"] };

async function startTarget(ns?: string, options: { gateway?: boolean } = {}): Promise<KubernetesTarget> {
  return new KubernetesTarget({
    cluster,
    namespace: ns ?? (await namespace()),
    ...(options.gateway ? { gatewayApi: GATEWAY } : {}),
    service: "web",
    progressDeadlineSeconds: 5,
    pollMs: 100,
    podTemplate: (r) => ({
      metadata:
        r.config.env["SIMULATED_READINESS"] === "fail"
          ? { annotations: { "testbed.slipway.dev/readiness": "fail" } }
          : {},
      spec: {
        containers: [
          {
            name: "web",
            image: `registry.example/web:${r.version}`,
            ports: [{ name: "http", containerPort: 8080 }],
            env: Object.entries(r.config.env).map(([name, value]) => ({ name, value })),
          },
        ],
      },
    }),
  });
}

/** `n` requests spread round-robin over the ready endpoints, by release. */
async function routed(target: KubernetesTarget, n: number, preview = false): Promise<Record<string, number>> {
  const endpoints = Object.entries(await target.endpoints(preview)).flatMap(([r, count]) =>
    Array<string>(count).fill(r),
  );
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = endpoints[i % endpoints.length] ?? "no endpoint";
    counts[r] = (counts[r] ?? 0) + 1;
  }
  return counts;
}

/**
 * `n` requests as a gateway would send them through the HTTPRoute: split exactly by the backends'
 * weights (as the hosts proxy counts), each backend needing ready endpoints.
 */
async function routedByGateway(target: KubernetesTarget, n: number): Promise<Record<string, number>> {
  const backends = (await target.routes()).filter((b) => b.ready > 0 && b.weight > 0);
  const total = backends.reduce((sum, b) => sum + b.weight, 0);
  const counts: Record<string, number> = {};
  let given = 0;
  for (const [i, b] of backends.entries()) {
    const share = i === backends.length - 1 ? n - given : Math.round((n * b.weight) / total);
    counts[b.release] = share;
    given += share;
  }
  return counts;
}

/**
 * Samples the Service's ready endpoints every 20 ms: a sample with none is a failed request;
 * each release with ready endpoints in a sample counts one.
 */
function watchEndpoints(target: KubernetesTarget): { stop(): Promise<Availability> } {
  const result: Availability = { failed: 0, errors: [], byRelease: {} };
  let running = true;
  const loop = (async () => {
    while (running) {
      const counts = await target.endpoints();
      if (Object.keys(counts).length === 0) {
        result.failed++;
        if (result.errors.length < 20) result.errors.push(`no ready endpoint at ${new Date().toISOString()}`);
      }
      for (const r of Object.keys(counts)) result.byRelease[r] = (result.byRelease[r] ?? 0) + 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return result;
    },
  };
}

describeTargetContract("kubernetes (real API server, kwok node)", {
  async start() {
    const target = await startTarget();
    return {
      target,
      routed: (n, address) => routed(target, n, address === "preview"),
      watch: () => watchEndpoints(target),
      close: () => target.close(),
    };
  },
  release,
});

describeTargetContract("kubernetes with a Gateway API HTTPRoute (real CRDs, no gateway running)", {
  async start() {
    const target = await startTarget(undefined, { gateway: true });
    return {
      target,
      routed: (n, address) => (address === "preview" ? routed(target, n, true) : routedByGateway(target, n)),
      watch: () => watchEndpoints(target),
      close: () => target.close(),
    };
  },
  release,
});

describe("the kubernetes target", () => {
  it("splits a canary by HTTPRoute weights over one Service per release, whatever the replica counts", async () => {
    const ns = await namespace();
    const target = await startTarget(ns, { gateway: true });
    await target.scale(release("v1"), 3);
    await target.scale(release("v2"), 1);
    await target.setTraffic({ stable: "v1", canary: "v2", canaryWeight: 10 });
    const route = JSON.parse(await plane.kubectl("get", "httproute", "web", "-n", ns, "-o", "json")) as {
      spec: { parentRefs: unknown[]; hostnames: string[]; rules: { backendRefs: unknown[] }[] };
    };
    expect(route.spec.parentRefs).toEqual([
      { group: "gateway.networking.k8s.io", kind: "Gateway", name: "public", namespace: "gateways" },
    ]);
    expect(route.spec.hostnames).toEqual(["shop.example"]);
    expect(route.spec.rules[0]?.backendRefs).toEqual([
      { group: "", kind: "Service", name: "web-v1", port: 80, weight: 90 },
      { group: "", kind: "Service", name: "web-v2", port: 80, weight: 10 },
    ]);
    expect(await target.routes()).toEqual([
      { release: "v1", weight: 90, ready: 3 },
      { release: "v2", weight: 10, ready: 1 },
    ]);
    // In-cluster callers reach the stable release through the Service named after the service.
    expect(await target.endpoints()).toEqual({ v1: 3 });
    await target.close();
    expect(await plane.kubectl("get", "httproutes,services,deployments", "-n", ns, "-o", "name")).toBe("");
  });

  it("runs each release as its own Deployment and routes the Service by release label", async () => {
    const ns = await namespace();
    const target = await startTarget(ns);
    await target.scale(release("v1.2.0"), 2);
    await target.setTraffic({ stable: "v1.2.0" });
    const deployment = JSON.parse(
      await plane.kubectl(
        "get",
        "deployment",
        deploymentName("web", "v1.2.0"),
        "-n",
        ns,
        "-o",
        "json",
        "--show-managed-fields",
      ),
    ) as V1Deployment;
    expect(deployment.metadata?.name).toMatch(/^web-v1-2-0-[0-9a-f]{8}$/);
    expect(deployment.spec?.template.metadata?.labels).toMatchObject({ "slipway.dev/release": "v1.2.0" });
    expect(deployment.metadata?.managedFields?.map((f) => f.manager)).toContain("slipway");
    const service = JSON.parse(
      await plane.kubectl("get", "service", "web", "-n", ns, "-o", "json"),
    ) as V1Service;
    expect(service.spec?.selector).toEqual({
      "app.kubernetes.io/name": "web",
      "slipway.dev/release": "v1.2.0",
    });
    expect((await target.status()).traffic).toEqual({ stable: "v1.2.0" });
    await target.close();
    expect(await plane.kubectl("get", "deployments,services", "-n", ns, "-o", "name")).toBe("");
  });

  it("says why a release did not become ready: the progress deadline and the Pods' condition", async () => {
    const target = await startTarget();
    const error = await target.scale(release("v9", { neverReady: true }), 1).catch((e: unknown) => e);
    expect(String(error)).toMatch(
      /^Error: release v9: 0 of 1 instances ready when the progress deadline passed \(ReplicaSet "web-v9-[0-9a-f]+" has timed out progressing\.\); pods: Running, ContainersNotReady$/,
    );
    await target.close();
  });

  it("refuses a canary split while a third release runs, since the Service would route it too", async () => {
    const target = await startTarget();
    await target.scale(release("v1"), 1);
    await target.scale(release("v2"), 1);
    await target.scale(release("v3"), 1);
    await expect(target.setTraffic({ stable: "v1", canary: "v2", canaryWeight: 20 })).rejects.toThrow(
      /release\(s\) v3 of web also run/,
    );
    await target.close();
  });

  it("rolls a canary back automatically when its analysis fails, with the stable release serving throughout", async () => {
    // The canary's error ratio as its metrics backend would report it: no container runs under kwok.
    const errorRatio: Record<string, number> = { v1: 0, v2: 0.2 };
    const metrics = await startErrorRatios(errorRatio);
    const metricsUrl = metrics.url;
    const ns = await namespace();
    const target = await startTarget(ns);
    try {
      const canary = (version: string): Release =>
        testRelease(version, {
          instances: 2,
          strategy: {
            kind: "canary",
            steps: [{ setWeight: 50 }, { analysis: { templates: ["errors"], args: {} } }, { setWeight: 100 }],
          },
          analysis: {
            errors: {
              name: "errors",
              args: [],
              metrics: [
                {
                  name: "error-ratio",
                  provider: {
                    web: { url: `${metricsUrl}/?release={{args.canary}}`, jsonPath: "$.errorRatio" },
                  },
                  successCondition: "result <= 0.01",
                  intervalMs: 250,
                  count: 4,
                  failureLimit: 1,
                },
              ],
            },
          },
        });
      const deploy = async (to: Release, from: Release | undefined) => {
        const events: RolloutEvent[] = [];
        const result = await runRollout({
          target,
          environment: "production",
          release: to,
          stable: from,
          instances: 2,
          control: new RolloutControl(),
          mode: "deploy",
          record: (e) => events.push(e),
        });
        return { result, events };
      };
      const v1 = canary("v1");
      expect((await deploy(v1, undefined)).result).toEqual({ outcome: "succeeded" });

      const watch = watchEndpoints(target);
      const { result, events } = await deploy(canary("v2"), v1);
      const availability = await watch.stop();

      expect(result.outcome).toBe("aborted");
      expect(result.reason).toMatch(/analysis errors failed: error-ratio failed/);
      // The canary got real traffic (its Pods were endpoints of the Service) before the rollback.
      expect(events).toContainEqual({
        type: "traffic",
        split: { stable: "v1", canary: "v2", canaryWeight: 50 },
      });
      expect(availability.byRelease["v2"]).toBeGreaterThan(0);
      expect(availability.failed).toBe(0);
      // Back on v1: the Service selects v1 only, v2's Deployment is gone, v1 runs its 2 replicas.
      expect(await routed(target, 10)).toEqual({ v1: 10 });
      expect((await target.status()).releases).toEqual([{ version: "v1", desired: 2, ready: 2 }]);
      const selector = JSON.parse(
        await plane.kubectl("get", "service", "web", "-n", ns, "-o", "jsonpath={.spec.selector}"),
      ) as Record<string, string>;
      expect(selector["slipway.dev/release"]).toBe("v1");

      // A healthy v3 goes all the way.
      errorRatio["v3"] = 0;
      expect((await deploy(canary("v3"), v1)).result).toEqual({ outcome: "succeeded" });
      expect(await routed(target, 10)).toEqual({ v3: 10 });
      expect((await target.status()).releases).toEqual([{ version: "v3", desired: 2, ready: 2 }]);
    } finally {
      await target.close();
      metrics.close();
    }
  }, 120_000);
});
