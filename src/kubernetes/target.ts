import { createHash } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type {
  KubernetesObject,
  V1Deployment,
  V1EndpointSlice,
  V1Pod,
  V1PodTemplateSpec,
  V1Service,
} from "@kubernetes/client-node";
import type { Release } from "../delivery/model.js";
import type { DeployTarget, ReleaseStatus, TargetStatus, TrafficSplit } from "../delivery/target.js";
import { EnvironmentError, UsageError } from "../errors/index.js";
import type { Cluster } from "./client.js";
import { isNotFound, kubernetesError } from "./client.js";
import { ApiClient, serverSideApply } from "./rest.js";
import type { ResourceInfo } from "./rest.js";
import { INVENTORY_LABEL } from "./identity.js";
import { selfHeal, syncStatus } from "./sync.js";
import type { ApplyResult, SyncStatus, SyncTarget } from "./sync.js";
import { waitForObject } from "./watch.js";

/** Every object of a service carries its name; a release's Deployment and Pods carry the release too. */
export const SERVICE_LABEL = "app.kubernetes.io/name";
export const RELEASE_LABEL = "slipway.dev/release";
const MANAGED_BY = { "app.kubernetes.io/managed-by": "slipway" };
/** The split a Service routes, as the target set it; status() reads it back. */
const TRAFFIC_ANNOTATION = "slipway.dev/traffic";

export interface KubernetesTargetOptions {
  cluster: Cluster;
  namespace: string;
  service: string;
  /** The Pods of one release: containers, ports, probes. Labels are added by the target. */
  podTemplate(release: Release): V1PodTemplateSpec;
  /** The Service's port, sent to the container port named `http` (or the number given). */
  port?: number;
  targetPort?: number | string;
  /** The Deployment's progressDeadlineSeconds: a release not progressing that long fails. Default 600. */
  progressDeadlineSeconds?: number;
  /** Polling interval while waiting on the API server. Default 250 ms. */
  pollMs?: number;
  /**
   * Split canary traffic by weight with a Gateway API HTTPRoute `<service>` attached to these
   * Gateways, over one Service per release, instead of by replica ratio on one Service.
   */
  gatewayApi?: { parentRefs: ParentRef[]; hostnames?: string[] };
}

export interface ParentRef {
  name: string;
  namespace?: string;
  sectionName?: string;
}

const GATEWAY_VERSION = "gateway.networking.k8s.io/v1";

interface HttpRoute extends KubernetesObject {
  spec?: {
    parentRefs?: ParentRef[];
    hostnames?: string[];
    rules?: { backendRefs?: { name: string; port?: number; weight?: number }[] }[];
  };
}

/**
 * Releases as Deployments, traffic as Services, on a real cluster. Each release of a service is
 * its own Deployment (`<service>-<version>`, labelled with the release), so that stable, canary
 * and preview run side by side as the strategies need. The Service `<service>` selects the stable
 * release's Pods; during a canary it selects the service's Pods of both releases, and the split
 * follows their ready replicas, as Argo Rollouts' canary without a traffic router. The Service
 * `<service>-preview` exists while a blue-green preview does.
 *
 * Readiness is the Deployment's own: observedGeneration caught up, all replicas updated and
 * ready; a Progressing condition with reason ProgressDeadlineExceeded fails the scale. After a
 * traffic change the target waits until the Service's EndpointSlices hold ready endpoints of the
 * routed releases only, which is what kube-proxy and every gateway read.
 */
export class KubernetesTarget implements DeployTarget {
  readonly kind = "kubernetes";
  private readonly pollMs: number;

  constructor(private readonly options: KubernetesTargetOptions) {
    this.pollMs = options.pollMs ?? 250;
  }

  async status(): Promise<TargetStatus> {
    const deployments = await this.deployments();
    const releases: ReleaseStatus[] = deployments.map((d) => ({
      version: d.metadata?.labels?.[RELEASE_LABEL] ?? "?",
      desired: d.spec?.replicas ?? 0,
      ready: d.status?.readyReplicas ?? 0,
    }));
    const service = await this.read<V1Service>("v1", "Service", this.options.service);
    const preview = await this.read<V1Service>("v1", "Service", previewName(this.options.service));
    const split = parseSplit(service?.metadata?.annotations?.[TRAFFIC_ANNOTATION]);
    const previewVersion = preview?.spec?.selector?.[RELEASE_LABEL];
    const host = (name: string) => `http://${name}.${this.options.namespace}.svc:${this.port}`;
    return {
      releases,
      traffic: split && previewVersion ? { ...split, preview: previewVersion } : split,
      url: host(this.options.service),
      ...(preview ? { previewUrl: host(previewName(this.options.service)) } : {}),
    };
  }

  async scale(release: Release, instances: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    const name = deploymentName(this.options.service, release.version);
    if (instances === 0) {
      await this.deleteDeployment(name, release.version);
      return;
    }
    const deployment = this.deploymentObject(release, instances);
    await this.apply(deployment);
    await this.waitReady(name, release.version, instances, options.signal);
  }

  /**
   * What the target keeps in the cluster once `release` serves alone with `instances`: its
   * Deployment, the Service (and with the Gateway API the release's Service and the HTTPRoute).
   * The drift of an environment on Kubernetes is measured against these.
   */
  desiredObjects(release: Release, instances: number): KubernetesObject[] {
    const { service } = this.options;
    const stable = { [TRAFFIC_ANNOTATION]: JSON.stringify({ stable: release.version }) };
    const objects: KubernetesObject[] = [
      this.deploymentObject(release, instances),
      this.serviceObject(service, this.releaseLabels(release.version), stable),
    ];
    const gateway = this.options.gatewayApi;
    if (gateway) {
      const name = deploymentName(service, release.version);
      objects.push(this.serviceObject(name, this.releaseLabels(release.version), {}));
      objects.push(this.httpRoute(gateway, [{ version: release.version, weight: 100 }]));
    }
    return objects;
  }

  /** The environment's drift from `release` serving alone: Argo CD's sync status and health. */
  syncStatus(release: Release, instances: number): Promise<SyncStatus> {
    return syncStatus(this.options.cluster, this.desiredObjects(release, instances), this.syncTarget);
  }

  /** Takes back what drifted from `release` serving alone (forcing, as the target always does). */
  heal(release: Release, instances: number): Promise<ApplyResult[]> {
    return selfHeal(this.options.cluster, this.desiredObjects(release, instances), this.syncTarget);
  }

  private get syncTarget(): SyncTarget {
    return { inventory: `release-${this.options.service}`, inventoryNamespace: this.options.namespace };
  }

  /** On every object the target makes: who manages it, and the inventory its drift is reported under. */
  private get managedLabels(): Record<string, string> {
    return { ...MANAGED_BY, [INVENTORY_LABEL]: this.syncTarget.inventory };
  }

  private deploymentObject(release: Release, instances: number): V1Deployment {
    const template = this.options.podTemplate(release);
    const labels = this.releaseLabels(release.version);
    return {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: deploymentName(this.options.service, release.version),
        namespace: this.options.namespace,
        labels: { ...labels, ...this.managedLabels },
      },
      spec: {
        replicas: instances,
        selector: { matchLabels: labels },
        progressDeadlineSeconds: this.options.progressDeadlineSeconds ?? 600,
        template: {
          ...template,
          metadata: { ...template.metadata, labels: { ...template.metadata?.labels, ...labels } },
        },
      },
    };
  }

  async setTraffic(split: TrafficSplit): Promise<void> {
    const { service } = this.options;
    const weight = split.canary === undefined ? 0 : (split.canaryWeight ?? 0);
    const routed =
      weight <= 0
        ? [split.stable]
        : weight >= 100
          ? [split.canary ?? ""]
          : [split.stable, split.canary ?? ""];
    const gateway = this.options.gatewayApi;
    const stored: TrafficSplit = { stable: split.stable };
    if (split.canary !== undefined) Object.assign(stored, { canary: split.canary, canaryWeight: weight });
    const annotations = { [TRAFFIC_ANNOTATION]: JSON.stringify(stored) };
    if (gateway) {
      // The route splits by weight, exactly; the Service keeps in-cluster callers on the stable release.
      const inCluster = weight >= 100 ? (split.canary ?? "") : split.stable;
      await this.apply(this.serviceObject(service, this.releaseLabels(inCluster), annotations));
      const backends = routed.map((version) => ({
        version,
        weight: routed.length === 1 ? 100 : version === split.stable ? 100 - weight : weight,
      }));
      for (const b of backends) {
        await this.apply(
          this.serviceObject(deploymentName(service, b.version), this.releaseLabels(b.version), {}),
        );
      }
      await this.apply(this.httpRoute(gateway, backends));
      for (const b of backends) await this.waitRouted(deploymentName(service, b.version), [b.version]);
      await this.waitRouted(service, [inCluster]);
    } else {
      if (routed.length > 1) await this.checkOnlyRunning(routed);
      const selector: Record<string, string> =
        routed.length > 1 ? { [SERVICE_LABEL]: service } : this.releaseLabels(routed[0] ?? "");
      await this.apply(this.serviceObject(service, selector, annotations));
      await this.waitRouted(service, routed);
    }
    if (split.preview !== undefined) {
      await this.apply(this.serviceObject(previewName(service), this.releaseLabels(split.preview), {}));
      await this.waitRouted(previewName(service), [split.preview]);
    } else {
      await this.delete("v1", "Service", previewName(service));
    }
  }

  /** Which release each ready endpoint of the Service (or its preview) belongs to, counted. */
  endpoints(preview = false): Promise<Record<string, number>> {
    return this.endpointsOf(preview ? previewName(this.options.service) : this.options.service);
  }

  /**
   * With the Gateway API: the HTTPRoute's backends as the API server stored them, each with the
   * release its Service selects and that Service's ready endpoints.
   */
  async routes(): Promise<{ release: string; weight: number; ready: number }[]> {
    const route = await this.read<HttpRoute>(GATEWAY_VERSION, "HTTPRoute", this.options.service);
    const result = [];
    for (const ref of route?.spec?.rules?.[0]?.backendRefs ?? []) {
      const svc = await this.read<V1Service>("v1", "Service", ref.name);
      const release = svc?.spec?.selector?.[RELEASE_LABEL] ?? "?";
      const counts = await this.endpointsOf(ref.name);
      result.push({ release, weight: ref.weight ?? 1, ready: counts[release] ?? 0 });
    }
    return result;
  }

  private async endpointsOf(service: string): Promise<Record<string, number>> {
    const slices = await this.list<V1EndpointSlice>(
      "discovery.k8s.io/v1",
      "EndpointSlice",
      `kubernetes.io/service-name=${service}`,
    );
    const pods = await this.list<V1Pod>("v1", "Pod", `${SERVICE_LABEL}=${this.options.service}`);
    const releaseOf = new Map(
      pods.map((p) => [p.metadata?.name ?? "", p.metadata?.labels?.[RELEASE_LABEL] ?? "?"]),
    );
    const counts: Record<string, number> = {};
    for (const slice of slices) {
      for (const endpoint of slice.endpoints ?? []) {
        if (endpoint.conditions?.ready !== true) continue;
        const release = releaseOf.get(endpoint.targetRef?.name ?? "") ?? "?";
        counts[release] = (counts[release] ?? 0) + 1;
      }
    }
    return counts;
  }

  /** The cluster runs the release without the server: nothing to stop. */
  async shutdown(): Promise<void> {}

  /** Nothing to start: the cluster kept the release running (its drift is `slipway env diff`'s). */
  async resume(): Promise<void> {}

  async close(): Promise<void> {
    for (const d of await this.deployments()) {
      await this.deleteDeployment(d.metadata?.name ?? "", d.metadata?.labels?.[RELEASE_LABEL] ?? "?");
    }
    if (this.options.gatewayApi) await this.delete(GATEWAY_VERSION, "HTTPRoute", this.options.service);
    await this.delete("v1", "Service", this.options.service);
    await this.delete("v1", "Service", previewName(this.options.service));
  }

  private httpRoute(
    gateway: NonNullable<KubernetesTargetOptions["gatewayApi"]>,
    backends: { version: string; weight: number }[],
  ): HttpRoute {
    return {
      apiVersion: GATEWAY_VERSION,
      kind: "HTTPRoute",
      metadata: {
        name: this.options.service,
        namespace: this.options.namespace,
        labels: { [SERVICE_LABEL]: this.options.service, ...this.managedLabels },
      },
      spec: {
        parentRefs: gateway.parentRefs,
        ...(gateway.hostnames ? { hostnames: gateway.hostnames } : {}),
        rules: [
          {
            backendRefs: backends.map((b) => ({
              name: deploymentName(this.options.service, b.version),
              port: this.port,
              weight: b.weight,
            })),
          },
        ],
      },
    };
  }

  private get port(): number {
    return this.options.port ?? 80;
  }

  private releaseLabels(version: string): Record<string, string> {
    checkLabelValue(version);
    return { [SERVICE_LABEL]: this.options.service, [RELEASE_LABEL]: version };
  }

  private serviceObject(
    name: string,
    selector: Record<string, string>,
    annotations: Record<string, string>,
  ): V1Service {
    return {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name,
        namespace: this.options.namespace,
        labels: { [SERVICE_LABEL]: this.options.service, ...this.managedLabels },
        annotations,
      },
      spec: {
        selector,
        ports: [{ name: "http", port: this.port, targetPort: this.options.targetPort ?? "http" }],
      },
    } as V1Service;
  }

  private async deployments(): Promise<V1Deployment[]> {
    const list = await this.list<V1Deployment>(
      "apps/v1",
      "Deployment",
      `${SERVICE_LABEL}=${this.options.service}`,
    );
    return list
      .filter((d) => d.metadata?.labels?.[RELEASE_LABEL] !== undefined && !d.metadata?.deletionTimestamp)
      .sort(
        (a, b) => created(a) - created(b) || (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""),
      );
  }

  /** A canary split selects every Pod of the service: only the two releases may have any. */
  private async checkOnlyRunning(routed: string[]): Promise<void> {
    const others = (await this.deployments())
      .map((d) => d.metadata?.labels?.[RELEASE_LABEL] ?? "?")
      .filter((v) => !routed.includes(v));
    if (others.length > 0) {
      throw new UsageError(
        `cannot split traffic between ${routed.join(" and ")}: release(s) ${others.join(", ")} of ${this.options.service} also run, and the Service would send them traffic`,
        { hint: "scale the other releases to 0 first" },
      );
    }
  }

  private async waitReady(
    name: string,
    version: string,
    instances: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const outcome = await waitForObject<V1Deployment, { ready: true } | { stuck: string; ready: number }>(
      this.options.cluster,
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        namespace: this.options.namespace,
        name,
      },
      (d) => {
        const s = d.status ?? {};
        const caughtUp = (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1);
        if (!caughtUp) return undefined;
        if (
          s.updatedReplicas === instances &&
          s.replicas === instances &&
          (s.readyReplicas ?? 0) === instances
        ) {
          return { ready: true };
        }
        const progressing = s.conditions?.find((c) => c.type === "Progressing");
        if (progressing?.reason === "ProgressDeadlineExceeded") {
          return { stuck: progressing.message ?? "no message", ready: s.readyReplicas ?? 0 };
        }
        return undefined;
      },
      signal,
    );
    if (!outcome) throw new Error(`release ${version}: its Deployment ${name} disappeared`);
    if ("stuck" in outcome) {
      throw new Error(
        `release ${version}: ${outcome.ready} of ${instances} instances ready when the progress deadline passed ` +
          `(${outcome.stuck})${await this.podProblems(version)}`,
      );
    }
  }

  /** Why the release's Pods are not ready, from their conditions: for the failure message. */
  private async podProblems(version: string): Promise<string> {
    const pods = await this.list<V1Pod>("v1", "Pod", selectorOf(this.releaseLabels(version)));
    const reasons = new Set<string>();
    for (const pod of pods) {
      const ready = pod.status?.conditions?.find((c) => c.type === "Ready");
      if (ready?.status !== "True")
        reasons.add(`${pod.status?.phase ?? "?"}, ${ready?.reason ?? "not ready"}`);
    }
    return reasons.size > 0 ? `; pods: ${[...reasons].join("; ")}` : "";
  }

  /** Until the Service's ready endpoints are the routed releases' ready Pods, and only those. */
  private async waitRouted(service: string, routed: string[]): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const counts = await this.endpointsOf(service);
      const ready = await this.readyPods();
      const stray = Object.keys(counts).filter((r) => !routed.includes(r));
      const missing = routed.filter((r) => (ready.get(r) ?? 0) !== (counts[r] ?? 0));
      if (stray.length === 0 && missing.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `the Service ${service} did not converge on ${routed.join(", ")}: endpoints ${JSON.stringify(counts)}`,
        );
      }
      await delay(this.pollMs);
    }
  }

  private async readyPods(): Promise<Map<string, number>> {
    const pods = await this.list<V1Pod>("v1", "Pod", `${SERVICE_LABEL}=${this.options.service}`);
    const ready = new Map<string, number>();
    for (const pod of pods) {
      if (pod.metadata?.deletionTimestamp) continue;
      if (pod.status?.conditions?.find((c) => c.type === "Ready")?.status !== "True") continue;
      const release = pod.metadata?.labels?.[RELEASE_LABEL] ?? "?";
      ready.set(release, (ready.get(release) ?? 0) + 1);
    }
    return ready;
  }

  /** Deletes a release's Deployment and waits until its Pods are gone (and so out of every Service). */
  private async deleteDeployment(name: string, version: string): Promise<void> {
    if (this.options.gatewayApi) await this.delete("v1", "Service", name);
    await this.delete("apps/v1", "Deployment", name);
    const selector = selectorOf(this.releaseLabels(version));
    const deadline = Date.now() + 60_000;
    // Foreground deletion: the Deployment goes once its ReplicaSets and Pods have.
    while (
      (await this.list<V1Pod>("v1", "Pod", selector)).length > 0 ||
      (await this.read<V1Deployment>("apps/v1", "Deployment", name)) !== undefined
    ) {
      if (Date.now() > deadline) throw new Error(`release ${version}: its Pods were not gone within 60 s`);
      await delay(this.pollMs);
    }
  }

  private async apply(object: KubernetesObject): Promise<void> {
    // The target owns these objects: it takes fields back from other managers.
    await serverSideApply(this.options.cluster, object, { force: true });
  }

  private async read<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    name: string,
  ): Promise<T | undefined> {
    try {
      return (await this.api.get(
        apiVersion,
        await this.resource(apiVersion, kind),
        this.options.namespace,
        name,
      )) as T | undefined;
    } catch (error) {
      throw kubernetesError(`cannot read ${kind} ${this.options.namespace}/${name}`, error);
    }
  }

  private async list<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    labelSelector: string,
  ): Promise<T[]> {
    try {
      const resource = await this.resource(apiVersion, kind);
      return (await this.api.list(apiVersion, kind, resource, this.options.namespace, labelSelector)) as T[];
    } catch (error) {
      throw kubernetesError(`cannot list ${kind} in ${this.options.namespace}`, error);
    }
  }

  /** Deployments in the foreground (gone only once their Pods are); Services in the background. */
  private async delete(apiVersion: string, kind: string, name: string): Promise<void> {
    const path = this.api.objectPath(
      apiVersion,
      await this.resource(apiVersion, kind),
      this.options.namespace,
      name,
    );
    try {
      await this.api.request("DELETE", path, {
        body: {
          apiVersion: "v1",
          kind: "DeleteOptions",
          propagationPolicy: kind === "Deployment" ? "Foreground" : "Background",
        },
      });
    } catch (error) {
      if (!isNotFound(error))
        throw kubernetesError(`cannot delete ${kind} ${this.options.namespace}/${name}`, error);
    }
  }

  private async resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const found = await this.api.resource(apiVersion, kind);
    if (!found) throw new EnvironmentError(`the API server does not serve ${kind} in ${apiVersion}`);
    return found;
  }

  private get api(): ApiClient {
    return ApiClient.for(this.options.cluster);
  }
}

function created(object: KubernetesObject): number {
  return new Date(object.metadata?.creationTimestamp ?? 0).getTime();
}

function previewName(service: string): string {
  return `${service}-preview`;
}

/**
 * `<service>-<version>` as a DNS label: lowercase, characters other than letters and digits as
 * `-`, and a hash suffix when that had to change or shorten the version (so v1.0 and v1-0 differ).
 */
export function deploymentName(service: string, version: string): string {
  const cleaned = version.toLowerCase().replace(/[^a-z0-9-]/g, "-");
  const name = `${service}-${cleaned}`.replace(/-+$/, "");
  if (cleaned === version && name.length <= 63) return name;
  const hash = createHash("sha256").update(version).digest("hex").slice(0, 8);
  return `${name.slice(0, 63 - 9).replace(/-+$/, "")}-${hash}`;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkLabelValue(version: string): void {
  if (version.length > 63 || !LABEL_VALUE.test(version)) {
    throw new UsageError(`release version "${version}" cannot be a Kubernetes label value`, {
      hint: "use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
    });
  }
}

function selectorOf(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

function parseSplit(value: string | undefined): TrafficSplit | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value) as TrafficSplit;
  } catch {
    return undefined;
  }
}
