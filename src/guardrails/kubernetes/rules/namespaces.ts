/** Where objects live, and objects that point at pods that are not there. */
import { describeNamespace, labelSelector, namespaceOf, objectsOfKind } from "../model.js";
import { at, pairOf, reportSpan } from "../yaml-tree.js";
import { defineRule, objectReport, type K8sRule } from "./common.js";

const defaultNamespace = defineRule(
  {
    id: "K8S-041",
    title: "Object is placed in the default namespace",
    severity: "low",
    rationale:
      "The default namespace is shared by everything nobody placed elsewhere: RBAC, NetworkPolicies, quotas and Pod Security levels cannot be scoped to one application there.",
    remediation:
      "Create a namespace per application or team and set `metadata.namespace` to it. (Objects without a namespace are not reported: they go where they are applied.)",
    references: [
      "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
      "CIS Kubernetes Benchmark 5.7.4",
    ],
  },
  (model, report) => {
    for (const object of model.objects) {
      if (object.namespace !== "default") continue;
      const pair = pairOf(at(object.root, "metadata"), "namespace");
      report(
        objectReport(object, "is placed in the default namespace", pair ? reportSpan(pair) : object.span),
      );
    }
  },
);

const disruptionBudget = defineRule(
  {
    id: "K8S-046",
    title: "PodDisruptionBudget selects no pods of its namespace",
    severity: "low",
    rationale:
      "A PodDisruptionBudget that matches no pod protects nothing: node drains and upgrades evict the pods it was written for all at once.",
    remediation: "Make `spec.selector` match the labels of the workload's pod template.",
    references: ["https://kubernetes.io/docs/tasks/run-application/configure-pdb/"],
  },
  (model, report) => {
    const namespaces = new Map<string, (typeof model.workloads)[number][]>();
    for (const workload of model.workloads) {
      const namespace = namespaceOf(workload.object);
      namespaces.set(namespace, [...(namespaces.get(namespace) ?? []), workload]);
    }
    for (const budget of objectsOfKind(model, "PodDisruptionBudget")) {
      const namespace = namespaceOf(budget);
      const workloads = namespaces.get(namespace);
      if (!workloads) continue;
      // policy/v1: an empty selector selects every pod of the namespace, a missing one none.
      const selector = pairOf(at(budget.root, "spec"), "selector");
      const matches = labelSelector(selector?.value);
      if (selector && workloads.some((workload) => matches(workload.labels))) continue;
      report(
        objectReport(
          budget,
          `selector matches no pod template in ${describeNamespace(namespace)}`,
          selector?.keySpan ?? budget.span,
        ),
      );
    }
  },
);

export const namespaceRules: readonly K8sRule[] = [defaultNamespace, disruptionBudget];
