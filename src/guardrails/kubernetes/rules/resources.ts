/** Resource limits and health probes: what keeps one pod from starving or silently failing the rest. */
import { namespaceOf, objectsOfKind, LONG_RUNNING_KINDS, type K8sModel, type Workload } from "../model.js";
import { at, items, pairOf, str } from "../yaml-tree.js";
import { containerAnchor, containerReport, defineRule, forEachContainer, type K8sRule } from "./common.js";

/**
 * Namespaces whose LimitRange gives containers a default for `field` (`default.memory` is the
 * default limit, `defaultRequest.cpu` the default request): pods there get the value at admission.
 */
function namespacesWithDefault(
  model: K8sModel,
  field: "default" | "defaultRequest",
  resource: string,
): Set<string> {
  const out = new Set<string>();
  for (const range of objectsOfKind(model, "LimitRange"))
    for (const limit of items(at(range.root, "spec", "limits"))) {
      const type = str(at(limit, "type"));
      if (type === "Container" && at(limit, field, resource) !== undefined) out.add(namespaceOf(range));
    }
  return out;
}

const memoryLimit = defineRule(
  {
    id: "K8S-017",
    title: "Container has no memory limit",
    severity: "medium",
    rationale:
      "Without a memory limit a leaking or attacked container can use all of the node's memory; the kernel then kills other pods' processes, not necessarily the culprit.",
    remediation:
      "Set `resources.limits.memory` on every container (or a LimitRange default in the namespace), sized from observed usage.",
    references: [
      "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
      "https://kubernetes.io/docs/concepts/policy/limit-range/",
    ],
  },
  (model, report) => {
    const defaulted = namespacesWithDefault(model, "default", "memory");
    forEachContainer(
      model,
      (workload, container) => {
        if (at(container.node, "resources", "limits", "memory") !== undefined) return;
        if (defaulted.has(namespaceOf(workload.object))) return;
        report(
          containerReport(
            workload,
            container,
            "has no memory limit",
            containerAnchor(container, "resources", "limits"),
          ),
        );
      },
      ["container", "initContainer"],
    );
  },
);

const cpuRequest = defineRule(
  {
    id: "K8S-018",
    title: "Container has no CPU request",
    severity: "low",
    rationale:
      "Without a CPU request the scheduler places the pod as if it needed nothing and it gets the smallest share under contention: noisy neighbours degrade it and it can overcommit nodes.",
    remediation:
      "Set `resources.requests.cpu` from observed usage (or a LimitRange defaultRequest in the namespace).",
    references: ["https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"],
  },
  (model, report) => {
    const defaulted = namespacesWithDefault(model, "defaultRequest", "cpu");
    const limited = namespacesWithDefault(model, "default", "cpu");
    forEachContainer(
      model,
      (workload, container) => {
        const resources = at(container.node, "resources");
        // A CPU limit without a request makes the request equal to the limit.
        if (at(resources, "requests", "cpu") !== undefined || at(resources, "limits", "cpu") !== undefined)
          return;
        const namespace = namespaceOf(workload.object);
        if (defaulted.has(namespace) || limited.has(namespace)) return;
        report(
          containerReport(
            workload,
            container,
            "has no CPU request",
            containerAnchor(container, "resources", "requests"),
          ),
        );
      },
      ["container", "initContainer"],
    );
  },
);

function probeRule(
  id: string,
  key: "livenessProbe" | "readinessProbe",
  title: string,
  rationale: string,
): K8sRule {
  return defineRule(
    {
      id,
      title,
      severity: "low",
      rationale,
      remediation: `Add a \`${key}\` (httpGet, tcpSocket, grpc or exec) that reflects whether the process can do its work.`,
      references: [
        "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
      ],
    },
    (model, report) =>
      forEachContainer(
        model,
        (workload: Workload, container) => {
          if (!LONG_RUNNING_KINDS.has(workload.object.kind)) return;
          if (pairOf(container.node, key)) return;
          report(containerReport(workload, container, `has no ${key}`, containerAnchor(container)));
        },
        ["container"],
      ),
  );
}

const liveness = probeRule(
  "K8S-019",
  "livenessProbe",
  "Container has no liveness probe",
  "Without a liveness probe a deadlocked or wedged process keeps its pod Running forever; Kubernetes only restarts containers that exit.",
);
const readiness = probeRule(
  "K8S-020",
  "readinessProbe",
  "Container has no readiness probe",
  "Without a readiness probe a pod receives Service traffic as soon as its process starts, before it can answer, and keeps receiving it while it is overloaded or failing; rollouts then cause errors.",
);

export const resourceRules: readonly K8sRule[] = [memoryLimit, cpuRequest, liveness, readiness];
