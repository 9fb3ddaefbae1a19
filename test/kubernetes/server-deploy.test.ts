import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliAsync } from "../support/cli.js";
import type { ControlPlane } from "../support/kubernetes.js";
import { startControlPlane, startErrorRatios } from "../support/kubernetes.js";
import { api, commitAll, eventually, gitRepo, startServe } from "../support/slipway-server.js";
import type { ServerProcess } from "../support/slipway-server.js";

/**
 * `slipway serve` deploying to an environment on Kubernetes, driven by the CLI as a user would:
 * a real control plane (kwok as the node), each release a Deployment, the Service switched by
 * the canary strategy. The canary's error ratio comes from a small metrics endpoint of the test:
 * no container runs under kwok, so nothing else could measure it.
 */

let plane: ControlPlane;
let server: ServerProcess;
let metrics: { url: string; close(): void };
let repo: string;
const errorRatio: Record<string, number> = { v1: 0, v2: 0.3, v3: 0 };

function slipwayYaml(metricsUrl: string): string {
  return `name: shop
services:
  web:
    kubernetes: { image: "registry.example/shop/web:{{version}}", port: 8080 }
    instances: 2
    readiness: { http: { path: /healthz } }
    strategy:
      canary:
        steps:
          - setWeight: 50
          - analysis: { templates: [{ templateName: error-rate }] }
analysis:
  error-rate:
    metrics:
      - name: error-ratio
        interval: 300ms
        count: 3
        failureLimit: 1
        successCondition: "result <= 0.01"
        provider:
          web: { url: "${metricsUrl}/?release={{args.canary}}", jsonPath: "$.errorRatio" }
environments:
  prod:
    kubernetes: { namespace: shop-prod, kubeconfig: ${JSON.stringify(plane.kubeconfig)}, progress-deadline: 20s }
    services:
      web: {}
  staging:
    kubernetes: { namespace: shop-staging, kubeconfig: ${JSON.stringify(plane.kubeconfig)}, self-heal: 1s }
    services:
      web: {}
`;
}

async function slipway(...args: string[]) {
  return cliAsync(repo, [...args, "--project", "shop", "--server", server.url, "--token", server.adminToken]);
}

async function deploy(version: string) {
  const result = await slipway("deploy", "web", version, "--environment", "prod", "--dir", repo);
  return { status: result.status, out: result.stdout + result.stderr };
}

async function kubectlJson<T>(...args: string[]): Promise<T> {
  return JSON.parse(await plane.kubectl(...args, "-n", "shop-prod", "-o", "json")) as T;
}

async function selectedRelease(): Promise<string | undefined> {
  const service = await kubectlJson<{ spec: { selector: Record<string, string> } }>("get", "service", "web");
  return service.spec.selector["slipway.dev/release"];
}

beforeAll(async () => {
  plane = await startControlPlane();
  await plane.kubectl("create", "namespace", "shop-prod");
  await plane.kubectl("create", "namespace", "shop-staging");
  metrics = await startErrorRatios(errorRatio);
  server = await startServe({});
  repo = gitRepo({});
  writeFileSync(path.join(repo, "slipway.yaml"), slipwayYaml(metrics.url));
  commitAll(repo, "shop on kubernetes");
  expect(
    (await api(server.url, server.adminToken, "POST", "/api/projects", { name: "shop", repo })).status,
  ).toBe(201);
  const applied = await slipway("env", "apply");
  expect(applied.stderr).toBe("");
}, 120_000);

afterAll(async () => {
  await server?.stop();
  metrics?.close();
  await plane?.stop();
});

interface Items<T> {
  items: T[];
}
interface Deployment {
  metadata: { name: string };
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
  status: { readyReplicas?: number };
}

describe("deployments to an environment on Kubernetes through slipway serve", () => {
  it("deploys the first release as a Deployment with the image of its version, behind the Service", async () => {
    const first = await deploy("v1");
    expect(first.out).toContain("succeeded");
    expect(first.status).toBe(0);
    const deployments = await kubectlJson<Items<Deployment>>("get", "deployments");
    expect(deployments.items.map((d) => [d.metadata.name, d.spec.replicas, d.status.readyReplicas])).toEqual([
      ["web-v1", 2, 2],
    ]);
    expect(deployments.items[0]?.spec.template.spec.containers[0]?.image).toBe(
      "registry.example/shop/web:v1",
    );
    expect(await selectedRelease()).toBe("v1");
  }, 60_000);

  it("rolls back a canary that fails its analysis: the Service selects v1 again and v2's Deployment is gone", async () => {
    const bad = await deploy("v2");
    expect(bad.out).toMatch(/traffic: stable v1, 50% to v2/);
    expect(bad.out).toMatch(/aborted: analysis error-rate failed: error-ratio failed/);
    expect(bad.status).toBe(1);
    const deployments = await kubectlJson<Items<Deployment>>("get", "deployments");
    expect(deployments.items.map((d) => d.metadata.name)).toEqual(["web-v1"]);
    expect(await selectedRelease()).toBe("v1");
  }, 60_000);

  it("promotes a healthy canary", async () => {
    const good = await deploy("v3");
    expect(good.out).toMatch(/analysis error-rate: Successful/);
    expect(good.status).toBe(0);
    const deployments = await kubectlJson<Items<Deployment>>("get", "deployments");
    expect(deployments.items.map((d) => [d.metadata.name, d.status.readyReplicas])).toEqual([["web-v3", 2]]);
  }, 60_000);

  it("shows the environment OutOfSync after a change by hand, and heals it (operator, audited)", async () => {
    const synced = await slipway("env", "diff", "prod");
    expect(synced.status).toBe(0);
    expect(synced.stdout).toMatch(/sync: Synced {2}health: Healthy/);

    await plane.kubectl("-n", "shop-prod", "scale", "deployment", "web-v3", "--replicas=5");
    await plane.kubectl("-n", "shop-prod", "label", "service", "web", "owner=someone");
    const drifted = await slipway("env", "diff", "prod", "--json");
    expect(drifted.status).toBe(1);
    const view = JSON.parse(drifted.stdout) as {
      services: {
        service: string;
        release: string;
        status: { sync: string; objects: { object: string; fields: unknown[] }[] };
      }[];
    };
    expect(view.services[0]).toMatchObject({ service: "web", release: "v3", status: { sync: "OutOfSync" } });
    const changed = Object.fromEntries(
      view.services[0]?.status.objects.map((o) => [o.object, o.fields]) ?? [],
    );
    expect(changed["Deployment shop-prod/web-v3"]).toEqual([{ path: "spec.replicas", desired: 2, live: 5 }]);
    // A label added by hand is not a field Slipway set: not drift, as in Argo CD.
    expect(changed["Service shop-prod/web"]).toEqual([]);

    const viewer = await api<{ token: string }>(server.url, server.adminToken, "POST", "/api/tokens", {
      name: "a developer",
      kind: "user",
      role: "developer",
    });
    const refused = await cliAsync(repo, [
      ...["env", "heal", "prod", "--project", "shop"],
      ...["--server", server.url, "--token", viewer.body.token],
    ]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/403.*operator/);

    const healed = await slipway("env", "heal", "prod");
    expect(healed.stdout).toMatch(/Deployment shop-prod\/web-v3 configured/);
    expect(healed.stdout).toMatch(/sync: Synced/);
    expect(healed.status).toBe(0);
    const deployment = await kubectlJson<Deployment>("get", "deployment", "web-v3");
    expect(deployment.spec.replicas).toBe(2);
    const audit = await api<{ action: string; details: { healed: string[] } }[]>(
      server.url,
      server.adminToken,
      "GET",
      "/api/audit",
    );
    expect(audit.body.find((e) => e.action === "environment.heal")?.details.healed).toEqual([
      "Deployment shop-prod/web-v3 configured",
    ]);
  }, 60_000);

  it("heals an environment with self-heal on its own, audited as system:self-heal", async () => {
    const deployed = await slipway("deploy", "web", "v3", "--environment", "staging", "--dir", repo);
    expect(deployed.status).toBe(0);
    await plane.kubectl("-n", "shop-staging", "scale", "deployment", "web-v3", "--replicas=4");
    await eventually(
      async () => {
        const d = JSON.parse(
          await plane.kubectl("get", "deployment", "web-v3", "-n", "shop-staging", "-o", "json"),
        ) as Deployment;
        return d.spec.replicas === 2 ? true : undefined;
      },
      20_000,
      "the self-heal to scale web-v3 back to 2",
    );
    const audit = await api<
      { actor: string; action: string; target: string; details: { healed: string[] } }[]
    >(server.url, server.adminToken, "GET", "/api/audit");
    expect(audit.body.find((e) => e.actor === "system:self-heal")).toMatchObject({
      action: "environment.heal",
      target: "staging",
      details: { healed: ["Deployment shop-staging/web-v3 configured"] },
    });
    // prod has no self-heal: drift there waits for a person.
    await plane.kubectl("-n", "shop-prod", "scale", "deployment", "web-v3", "--replicas=3");
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await kubectlJson<Deployment>("get", "deployment", "web-v3")).spec.replicas).toBe(3);
    expect((await slipway("env", "heal", "prod")).status).toBe(0);
  }, 60_000);

  it("leaves the release running in the cluster when the server stops", async () => {
    await server.stop();
    const deployments = await kubectlJson<Items<Deployment>>("get", "deployments");
    expect(deployments.items.map((d) => [d.metadata.name, d.spec.replicas, d.status.readyReplicas])).toEqual([
      ["web-v3", 2, 2],
    ]);
    expect(await selectedRelease()).toBe("v3");
  });
});
