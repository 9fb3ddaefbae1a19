/** What Kubernetes rules share: their metadata shape and how they read containers and report. */
import type { Report, Reporter, Rule, RuleMeta, SourceSpan } from "../../model.js";
import type { Container, K8sModel, K8sObject, Workload } from "../model.js";
import { at, pairOf, reportSpan, type LNode, type LPair } from "../yaml-tree.js";

export type K8sRule = Rule<K8sModel>;

export function defineRule(
  meta: Omit<RuleMeta, "framework">,
  check: (model: K8sModel, report: Reporter) => void,
): K8sRule {
  return { ...meta, framework: "kubernetes", check };
}

export const PSS = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";
export const SECURITY_CONTEXT = "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/";
export const RBAC_GOOD_PRACTICES = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/";
export const NSA_HARDENING =
  "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF";

/** A finding about an object as a whole (or one of its keys). */
export function objectReport(object: K8sObject, message: string, span: SourceSpan): Report {
  return {
    message: `${object.address}: ${message}`,
    span,
    resource: object.address,
    enclosing: [object.span],
  };
}

/** A finding about one container; suppressions on the object cover it too. */
export function containerReport(
  workload: Workload,
  container: Container,
  message: string,
  span: SourceSpan,
): Report {
  const label = container.role === "container" ? "container" : container.role;
  return {
    message: `${workload.object.address} ${label} ${container.name}: ${message}`,
    span,
    resource: workload.object.address,
    enclosing: [workload.object.span],
  };
}

/** Where a finding about a missing container setting points: its securityContext, else its name. */
export function containerAnchor(container: Container, ...keys: string[]): SourceSpan {
  let node: LNode | undefined = container.node;
  let best: LPair | undefined = pairOf(container.node, "name");
  for (const key of keys) {
    const pair = pairOf(node, key);
    if (!pair) break;
    best = pair;
    node = pair.value;
  }
  return best ? best.keySpan : container.span;
}

/** Where a finding about a missing pod setting points: the key, else the pod spec. */
export function podAnchor(workload: Workload, ...keys: string[]): SourceSpan {
  let node: LNode | undefined = workload.podSpec;
  let best: SourceSpan = workload.podSpecKey;
  for (const key of keys) {
    const pair = pairOf(node, key);
    if (!pair) break;
    best = pair.keySpan;
    node = pair.value;
  }
  return best;
}

export interface Setting {
  pair: LPair;
  level: "pod" | "container";
}

/**
 * A security-context setting as it applies to a container: the container's own value overrides
 * the pod's (runAsNonRoot, runAsUser, seccompProfile, appArmorProfile, windowsOptions).
 */
export function effectiveSetting(
  workload: Workload,
  container: Container,
  ...path: string[]
): Setting | undefined {
  const own = settingPair(at(container.node, "securityContext"), path);
  if (own) return { pair: own, level: "container" };
  const pod = settingPair(at(workload.podSpec, "securityContext"), path);
  return pod ? { pair: pod, level: "pod" } : undefined;
}

function settingPair(context: LNode | undefined, path: readonly string[]): LPair | undefined {
  let node = context;
  let pair: LPair | undefined;
  for (const key of path) {
    pair = pairOf(node, key);
    if (!pair) return undefined;
    node = pair.value;
  }
  return pair;
}

export function forEachContainer(
  model: K8sModel,
  visit: (workload: Workload, container: Container) => void,
  roles: readonly Container["role"][] = ["container", "initContainer", "ephemeralContainer"],
): void {
  for (const workload of model.workloads)
    for (const container of workload.containers)
      if (roles.includes(container.role)) visit(workload, container);
}

/**
 * Containers of Linux pods only: capabilities, seccomp, AppArmor, privilege escalation, read-only
 * root and runAsNonRoot do not exist on Windows nodes (the Pod Security Standards exempt
 * `os.name: windows` pods from them).
 */
export function forEachLinuxContainer(
  model: K8sModel,
  visit: (workload: Workload, container: Container) => void,
): void {
  forEachContainer(model, (workload, container) => {
    if (!workload.windows) visit(workload, container);
  });
}

export { reportSpan };
