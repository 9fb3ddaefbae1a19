import type { KubernetesObject } from "@kubernetes/client-node";

/**
 * Health of one object, with Argo CD's names and, kind by kind, its rules
 * (https://argo-cd.readthedocs.io/en/stable/operator-manual/health/; the Go checks are in
 * argoproj/gitops-engine pkg/health).
 */
export type Health = "Healthy" | "Progressing" | "Degraded" | "Suspended" | "Missing" | "Unknown";

export interface HealthStatus {
  health: Health;
  message?: string;
}

/**
 * Worst first. Degraded needs someone to act; Missing means the manifests are not in the cluster
 * at all; Progressing is expected to resolve by itself; Suspended is a deliberate pause; Unknown
 * (a status Slipway cannot read) only outranks Healthy, so one odd object does not hide a real
 * failure. Argo CD ranks Unknown worst instead; this order keeps the overall answer actionable.
 */
export const HEALTH_ORDER: readonly Health[] = [
  "Degraded",
  "Missing",
  "Progressing",
  "Suspended",
  "Unknown",
  "Healthy",
];

/** The worst of several healths; Healthy for none. */
export function worstHealth(healths: Iterable<Health>): Health {
  let worst: Health = "Healthy";
  for (const h of healths) if (HEALTH_ORDER.indexOf(h) < HEALTH_ORDER.indexOf(worst)) worst = h;
  return worst;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

type Obj = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

/** The health of a live object. Kinds without a rule are Healthy once they exist, as in Argo CD. */
export function objectHealth(object: KubernetesObject): HealthStatus {
  const o = object as Obj;
  const group = (o.apiVersion ?? "").includes("/") ? (o.apiVersion ?? "").split("/")[0] : "";
  switch (`${group}/${o.kind ?? ""}`) {
    case "apps/Deployment":
      return deployment(o);
    case "apps/StatefulSet":
      return statefulSet(o);
    case "apps/DaemonSet":
      return daemonSet(o);
    case "/Pod":
      return pod(o);
    case "/Service":
      return service(o);
    case "/PersistentVolumeClaim":
      return pvc(o);
    case "batch/Job":
      return job(o);
    default:
      return { health: "Healthy" };
  }
}

function num(value: unknown, fallback = 0): number {
  return typeof value === "number" ? value : fallback;
}

function conditions(o: Obj): Condition[] {
  const list = o.status?.["conditions"];
  return Array.isArray(list) ? (list as Condition[]) : [];
}

/** Until the controller has seen the latest spec, the rest of the status describes an older one. */
function observed(o: Obj): boolean {
  return num(o.status?.["observedGeneration"], -1) >= num(o.metadata?.generation);
}

function deployment(o: Obj): HealthStatus {
  if (o.spec?.["paused"] === true) return { health: "Suspended", message: "the Deployment is paused" };
  if (!observed(o))
    return { health: "Progressing", message: "waiting for the controller to observe the new spec" };
  const progressing = conditions(o).find((c) => c.type === "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded")
    return {
      health: "Degraded",
      message: progressing.message ?? `the rollout exceeded its progress deadline`,
    };
  const replicas = num(o.spec?.["replicas"], 1);
  const updated = num(o.status?.["updatedReplicas"]);
  const total = num(o.status?.["replicas"]);
  const available = num(o.status?.["availableReplicas"]);
  if (updated < replicas)
    return { health: "Progressing", message: `${updated} of ${replicas} replicas updated` };
  if (total > updated)
    return { health: "Progressing", message: `${total - updated} old replicas pending termination` };
  if (available < replicas)
    return { health: "Progressing", message: `${available} of ${replicas} replicas available` };
  return { health: "Healthy" };
}

function statefulSet(o: Obj): HealthStatus {
  if (!observed(o))
    return { health: "Progressing", message: "waiting for the controller to observe the new spec" };
  const replicas = num(o.spec?.["replicas"], 1);
  const ready = num(o.status?.["readyReplicas"]);
  if (ready < replicas) return { health: "Progressing", message: `${ready} of ${replicas} replicas ready` };
  const strategy = o.spec?.["updateStrategy"] as
    { type?: string; rollingUpdate?: { partition?: number } } | undefined;
  if (strategy?.type === "OnDelete") return { health: "Healthy" };
  const partition = num(strategy?.rollingUpdate?.partition);
  const updated = num(o.status?.["updatedReplicas"]);
  if (updated < replicas - partition)
    return { health: "Progressing", message: `${updated} of ${replicas - partition} replicas updated` };
  const current = o.status?.["currentRevision"];
  if (partition === 0 && current !== undefined && current !== o.status?.["updateRevision"])
    return { health: "Progressing", message: "waiting for the rolling update to finish" };
  return { health: "Healthy" };
}

function daemonSet(o: Obj): HealthStatus {
  if (!observed(o))
    return { health: "Progressing", message: "waiting for the controller to observe the new spec" };
  const strategy = o.spec?.["updateStrategy"] as { type?: string } | undefined;
  if (strategy?.type === "OnDelete") return { health: "Healthy" };
  const desired = num(o.status?.["desiredNumberScheduled"]);
  const updated = num(o.status?.["updatedNumberScheduled"]);
  const available = num(o.status?.["numberAvailable"]);
  if (updated < desired) return { health: "Progressing", message: `${updated} of ${desired} pods updated` };
  if (available < desired)
    return { health: "Progressing", message: `${available} of ${desired} pods available` };
  return { health: "Healthy" };
}

/** Waiting reasons that do not clear by waiting. */
const BROKEN_CONTAINER = new Set([
  "CrashLoopBackOff",
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
]);

function pod(o: Obj): HealthStatus {
  const phase = o.status?.["phase"];
  const statuses = (o.status?.["containerStatuses"] ?? []) as {
    name?: string;
    state?: { waiting?: { reason?: string; message?: string } };
  }[];
  const broken = statuses.find((s) => BROKEN_CONTAINER.has(s.state?.waiting?.reason ?? ""));
  if (broken)
    return {
      health: "Degraded",
      message: `container ${broken.name}: ${broken.state?.waiting?.reason}${broken.state?.waiting?.message ? `: ${broken.state.waiting.message}` : ""}`,
    };
  switch (phase) {
    case "Succeeded":
      return { health: "Healthy" };
    case "Failed":
      return {
        health: "Degraded",
        message: String(o.status?.["message"] ?? o.status?.["reason"] ?? "the pod failed"),
      };
    case "Running": {
      const ready = conditions(o).find((c) => c.type === "Ready");
      return ready?.status === "True"
        ? { health: "Healthy" }
        : { health: "Progressing", message: "running, not ready" };
    }
    case "Pending":
      return { health: "Progressing", message: "pending" };
    default:
      return { health: "Unknown", message: `pod phase ${String(phase)}` };
  }
}

function service(o: Obj): HealthStatus {
  if (o.spec?.["type"] !== "LoadBalancer") return { health: "Healthy" };
  const ingress = (o.status?.["loadBalancer"] as { ingress?: unknown[] } | undefined)?.ingress;
  return ingress && ingress.length > 0
    ? { health: "Healthy" }
    : { health: "Progressing", message: "waiting for the load balancer's address" };
}

function pvc(o: Obj): HealthStatus {
  switch (o.status?.["phase"]) {
    case "Bound":
      return { health: "Healthy" };
    case "Lost":
      return { health: "Degraded", message: "the claim lost its volume" };
    default:
      return { health: "Progressing", message: "waiting for a volume" };
  }
}

function job(o: Obj): HealthStatus {
  const all = conditions(o);
  const failed = all.find((c) => c.type === "Failed" && c.status === "True");
  if (failed) return { health: "Degraded", message: failed.message ?? failed.reason ?? "the job failed" };
  if (all.some((c) => c.type === "Complete" && c.status === "True")) return { health: "Healthy" };
  if (o.spec?.["suspend"] === true) return { health: "Suspended", message: "the Job is suspended" };
  return { health: "Progressing", message: "running" };
}
