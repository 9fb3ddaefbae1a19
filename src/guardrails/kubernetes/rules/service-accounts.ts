/** Which identity pods run as, and whether its API token is handed to them. */
import { namespaceOf, objectsOfKind } from "../model.js";
import { at, bool, pairOf, reportSpan, str } from "../yaml-tree.js";
import { defineRule, objectReport, podAnchor, type K8sRule } from "./common.js";

const SA_DOCS = "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/";

const automount = defineRule(
  {
    id: "K8S-023",
    title: "Pod mounts a ServiceAccount token it may not need",
    severity: "low",
    rationale:
      "Unless automountServiceAccountToken is false, every container gets an API token; most applications never call the Kubernetes API, and a stolen token is then a free foothold in the cluster.",
    remediation:
      "Set `automountServiceAccountToken: false` on the pod spec (or on its ServiceAccount) unless the application calls the Kubernetes API.",
    references: [SA_DOCS, "CIS Kubernetes Benchmark 5.1.6"],
  },
  (model, report) => {
    const optedOut = new Set(
      objectsOfKind(model, "ServiceAccount")
        .filter((account) => bool(at(account.root, "automountServiceAccountToken")) === false)
        .map((account) => `${namespaceOf(account)}/${account.name ?? ""}`),
    );
    for (const workload of model.workloads) {
      const pair = pairOf(workload.podSpec, "automountServiceAccountToken");
      if (pair && bool(pair.value) === false) continue;
      const account =
        str(at(workload.podSpec, "serviceAccountName")) ??
        str(at(workload.podSpec, "serviceAccount")) ??
        "default";
      // The pod's own field wins over its ServiceAccount's; only an unset field defers to it.
      if (!pair && optedOut.has(`${namespaceOf(workload.object)}/${account}`)) continue;
      report(
        objectReport(
          workload.object,
          pair
            ? "sets automountServiceAccountToken: true"
            : `mounts the API token of ServiceAccount ${account} (automountServiceAccountToken is not false)`,
          pair ? reportSpan(pair) : podAnchor(workload),
        ),
      );
    }
  },
);

const defaultAccount = defineRule(
  {
    id: "K8S-024",
    title: "Pod runs as the default ServiceAccount",
    severity: "low",
    rationale:
      "Every pod of the namespace that names no ServiceAccount shares `default`: permissions granted to it for one workload reach all of them, and audit logs cannot tell them apart.",
    remediation: "Create a ServiceAccount per workload and set `serviceAccountName`.",
    references: [SA_DOCS, "CIS Kubernetes Benchmark 5.1.5"],
  },
  (model, report) => {
    for (const workload of model.workloads) {
      const pair =
        pairOf(workload.podSpec, "serviceAccountName") ?? pairOf(workload.podSpec, "serviceAccount");
      const name = str(pair?.value);
      if (name !== undefined && name !== "default") continue;
      report(
        objectReport(
          workload.object,
          pair ? "sets serviceAccountName: default" : "names no serviceAccountName, so it runs as default",
          pair ? reportSpan(pair) : podAnchor(workload),
        ),
      );
    }
  },
);

export const serviceAccountRules: readonly K8sRule[] = [automount, defaultAccount];
