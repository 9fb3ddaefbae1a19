/**
 * RBAC: roles that grant too much, and bindings that hand it out. Follows the Kubernetes RBAC
 * good practices and section 5.1 of the CIS Kubernetes Benchmark.
 */
import type { SourceSpan } from "../../model.js";
import { namespaceOf, objectsOfKind, type K8sModel, type K8sObject } from "../model.js";
import { at, items, pairOf, reportSpan, str, text, type LNode, type LPair } from "../yaml-tree.js";
import { defineRule, objectReport, podAnchor, RBAC_GOOD_PRACTICES, type K8sRule } from "./common.js";

const RBAC_DOCS = "https://kubernetes.io/docs/reference/access-authn-authz/rbac/";

interface PolicyRule {
  role: K8sObject;
  node: LNode;
  verbs: { value: string; node: LNode }[];
  resources: { value: string; node: LNode }[];
  apiGroups: string[];
  resourceNames: number;
}

function words(node: LNode | undefined): { value: string; node: LNode }[] {
  return items(node).flatMap((item) => {
    const value = text(item);
    return value === undefined ? [] : [{ value, node: item }];
  });
}

function policyRules(role: K8sObject): PolicyRule[] {
  return items(at(role.root, "rules")).map((node) => ({
    role,
    node,
    verbs: words(at(node, "verbs")),
    resources: words(at(node, "resources")),
    apiGroups: words(at(node, "apiGroups")).map((w) => w.value),
    resourceNames: items(at(node, "resourceNames")).length,
  }));
}

function allPolicyRules(model: K8sModel): PolicyRule[] {
  return objectsOfKind(model, "Role", "ClusterRole").flatMap(policyRules);
}

function coreGroup(rule: PolicyRule): boolean {
  return rule.apiGroups.length === 0 || rule.apiGroups.includes("") || rule.apiGroups.includes("*");
}

const wildcard = defineRule(
  {
    id: "K8S-035",
    title: "Role grants wildcard verbs or resources",
    severity: "high",
    rationale:
      "A `*` in verbs or resources grants everything, including verbs and resource types added by future Kubernetes versions and CRDs: least privilege cannot be reviewed.",
    remediation: "List the exact verbs and resources the subject needs.",
    references: [RBAC_GOOD_PRACTICES, "CIS Kubernetes Benchmark 5.1.3"],
  },
  (model, report) => {
    for (const rule of allPolicyRules(model)) {
      for (const verb of rule.verbs)
        if (verb.value === "*") report(objectReport(rule.role, "grants all verbs (`*`)", verb.node.span));
      for (const resource of rule.resources)
        if (resource.value === "*")
          report(objectReport(rule.role, "grants all resources (`*`)", resource.node.span));
    }
  },
);

const READ_VERBS = new Set(["get", "list", "watch", "*"]);

const secretsAccess = defineRule(
  {
    id: "K8S-036",
    title: "Role can read Secrets",
    severity: "medium",
    rationale:
      "get, list or watch on secrets reveals every credential in scope, including service account tokens of more privileged identities; list and watch return the values too.",
    remediation:
      "Remove secrets from the rule, or restrict it with resourceNames to the one Secret the workload needs; prefer mounting the Secret as a volume.",
    references: [RBAC_GOOD_PRACTICES, "CIS Kubernetes Benchmark 5.1.2"],
  },
  (model, report) => {
    for (const rule of allPolicyRules(model)) {
      if (!coreGroup(rule) || rule.resourceNames > 0) continue;
      const verbs = rule.verbs.filter((v) => READ_VERBS.has(v.value)).map((v) => v.value);
      const secrets = rule.resources.find((r) => r.value === "secrets");
      if (secrets && verbs.length > 0)
        report(objectReport(rule.role, `can read secrets (verbs: ${verbs.join(", ")})`, secrets.node.span));
    }
  },
);

const podCreation = defineRule(
  {
    id: "K8S-037",
    title: "Role can create pods or exec into them",
    severity: "high",
    rationale:
      "Whoever can create pods can mount any Secret and run as any ServiceAccount of the namespace; pods/exec and pods/attach give a shell in running containers. Both escalate to everything the namespace can reach.",
    remediation:
      "Grant pod creation only to controllers and CI identities that need it, and exec only for break-glass roles.",
    references: [RBAC_GOOD_PRACTICES, "CIS Kubernetes Benchmark 5.1.4"],
  },
  (model, report) => {
    for (const rule of allPolicyRules(model)) {
      if (!coreGroup(rule)) continue;
      const verbs = new Set(rule.verbs.map((v) => v.value));
      for (const resource of rule.resources) {
        if (resource.value === "pods" && (verbs.has("create") || verbs.has("*")))
          report(objectReport(rule.role, "can create pods", resource.node.span));
        if (
          (resource.value === "pods/exec" || resource.value === "pods/attach") &&
          (verbs.has("create") || verbs.has("get") || verbs.has("*"))
        )
          report(objectReport(rule.role, `can use ${resource.value}`, resource.node.span));
      }
    }
  },
);

const ESCALATION_VERBS = new Set(["escalate", "bind", "impersonate"]);

const escalation = defineRule(
  {
    id: "K8S-038",
    title: "Role can escalate, bind or impersonate",
    severity: "high",
    rationale:
      "escalate and bind let a subject grant itself permissions it does not have; impersonate lets it act as another user, group or ServiceAccount. Each is a direct path to cluster-admin.",
    remediation: "Remove these verbs; grant them only to the few administrative identities that manage RBAC.",
    references: [RBAC_GOOD_PRACTICES, RBAC_DOCS, "CIS Kubernetes Benchmark 5.1.8"],
  },
  (model, report) => {
    for (const rule of allPolicyRules(model))
      for (const verb of rule.verbs)
        if (ESCALATION_VERBS.has(verb.value))
          report(objectReport(rule.role, `grants the ${verb.value} verb`, verb.node.span));
  },
);

interface Subject {
  kind: string | undefined;
  name: string | undefined;
  namespace: string;
  pair: LPair | undefined;
}

interface Binding {
  object: K8sObject;
  roleKind: string | undefined;
  roleName: string | undefined;
  roleNamePair: LPair | undefined;
  subjects: Subject[];
}

function bindings(model: K8sModel): Binding[] {
  return objectsOfKind(model, "RoleBinding", "ClusterRoleBinding").map((object) => {
    const roleRef = at(object.root, "roleRef");
    return {
      object,
      roleKind: str(at(roleRef, "kind")),
      roleName: str(at(roleRef, "name")),
      roleNamePair: pairOf(roleRef, "name"),
      subjects: items(at(object.root, "subjects")).map((subject) => ({
        kind: str(at(subject, "kind")),
        name: str(at(subject, "name")),
        // A RoleBinding's ServiceAccount subject without a namespace is in the binding's namespace.
        namespace: str(at(subject, "namespace")) ?? namespaceOf(object),
        pair: pairOf(subject, "name"),
      })),
    };
  });
}

type RoleIndex = ReadonlyMap<string, K8sObject>;

/** Roles by `Role/<namespace>/<name>` and ClusterRoles by `ClusterRole/<name>`. */
function roleIndex(model: K8sModel): RoleIndex {
  const index = new Map<string, K8sObject>();
  for (const role of objectsOfKind(model, "Role"))
    index.set(`Role/${namespaceOf(role)}/${role.name ?? ""}`, role);
  for (const role of objectsOfKind(model, "ClusterRole")) index.set(`ClusterRole/${role.name ?? ""}`, role);
  return index;
}

function boundRole(roles: RoleIndex, binding: Binding): K8sObject | undefined {
  if (binding.roleKind === "ClusterRole") return roles.get(`ClusterRole/${binding.roleName ?? ""}`);
  if (binding.roleKind === "Role")
    return roles.get(`Role/${namespaceOf(binding.object)}/${binding.roleName ?? ""}`);
  return undefined;
}

function bindingSpan(binding: Binding): SourceSpan {
  return binding.roleNamePair ? reportSpan(binding.roleNamePair) : binding.object.span;
}

const clusterAdmin = defineRule(
  {
    id: "K8S-039",
    title: "Binding grants cluster-admin",
    severity: "high",
    rationale:
      "cluster-admin can do anything to any resource; bound with a ClusterRoleBinding it covers the whole cluster, with a RoleBinding everything in the namespace, including its Secrets and RBAC.",
    remediation:
      "Bind a role that lists only the needed permissions; keep cluster-admin for break-glass humans.",
    references: [RBAC_GOOD_PRACTICES, "CIS Kubernetes Benchmark 5.1.1"],
  },
  (model, report) => {
    for (const binding of bindings(model)) {
      if (binding.roleKind !== "ClusterRole" || binding.roleName !== "cluster-admin") continue;
      const scope = binding.object.kind === "ClusterRoleBinding" ? "the whole cluster" : "its namespace";
      const who =
        binding.subjects.map((s) => `${s.kind ?? "?"} ${s.name ?? "?"}`).join(", ") || "no subjects";
      report(
        objectReport(binding.object, `grants cluster-admin over ${scope} to ${who}`, bindingSpan(binding)),
      );
    }
  },
);

const ANONYMOUS = new Set(["system:anonymous", "system:unauthenticated"]);

const anonymous = defineRule(
  {
    id: "K8S-040",
    title: "Binding grants access to anonymous users",
    severity: "critical",
    rationale:
      "system:anonymous and system:unauthenticated are every request without credentials: anything bound to them is open to anyone who can reach the API server.",
    remediation:
      "Remove the anonymous subject; bind the role to the authenticated users or ServiceAccounts that need it.",
    references: [
      RBAC_DOCS,
      "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests",
    ],
  },
  (model, report) => {
    for (const binding of bindings(model))
      for (const subject of binding.subjects)
        if (subject.name !== undefined && ANONYMOUS.has(subject.name))
          report(
            objectReport(
              binding.object,
              `grants ${binding.roleKind ?? "role"} ${binding.roleName ?? "?"} to ${subject.name}`,
              subject.pair ? reportSpan(subject.pair) : bindingSpan(binding),
            ),
          );
  },
);

function wildcardVerbs(role: K8sObject): LNode | undefined {
  for (const rule of policyRules(role))
    for (const verb of rule.verbs) if (verb.value === "*") return verb.node;
  return undefined;
}

const bindsWildcardRole = defineRule(
  {
    id: "K8S-044",
    title: "Binding grants a role with wildcard verbs",
    severity: "high",
    rationale:
      "The binding is where a wildcard role becomes real power: its subjects can perform every verb, including escalate and impersonate, on the role's resources.",
    remediation: "Narrow the role's verbs, or bind the subjects to a role that lists only what they need.",
    references: [RBAC_GOOD_PRACTICES, "CIS Kubernetes Benchmark 5.1.3"],
  },
  (model, report) => {
    const roles = roleIndex(model);
    for (const binding of bindings(model)) {
      const role = boundRole(roles, binding);
      const verbs = role ? wildcardVerbs(role) : undefined;
      if (!role || !verbs) continue;
      const who =
        binding.subjects.map((s) => `${s.kind ?? "?"} ${s.name ?? "?"}`).join(", ") || "no subjects";
      report({
        ...objectReport(
          binding.object,
          `grants ${role.address}, which allows all verbs, to ${who}`,
          bindingSpan(binding),
        ),
        provenance: [{ description: `${role.address} verbs: ["*"]`, span: verbs.span }],
      });
    }
  },
);

/** Whether a role is as good as cluster-admin: the built-in one, or `*` verbs on `*` resources. */
function adminEquivalent(roles: RoleIndex, binding: Binding): boolean {
  if (binding.roleKind === "ClusterRole" && binding.roleName === "cluster-admin") return true;
  const role = boundRole(roles, binding);
  return (
    role !== undefined &&
    policyRules(role).some(
      (rule) => rule.verbs.some((v) => v.value === "*") && rule.resources.some((r) => r.value === "*"),
    )
  );
}

const adminServiceAccount = defineRule(
  {
    id: "K8S-045",
    title: "Workload runs as a ServiceAccount bound to cluster-admin",
    severity: "high",
    rationale:
      "The pod's ServiceAccount token is mounted in its containers: whoever compromises the workload gets full control of the cluster (or namespace) through that binding.",
    remediation:
      "Give the workload its own ServiceAccount with a role listing only what it needs, and set automountServiceAccountToken: false where it needs none.",
    references: [RBAC_GOOD_PRACTICES, "CIS Kubernetes Benchmark 5.1.1", "CIS Kubernetes Benchmark 5.1.6"],
  },
  (model, report) => {
    const roles = roleIndex(model);
    const admins = bindings(model).filter((binding) => adminEquivalent(roles, binding));
    if (admins.length === 0) return;
    // ServiceAccount subjects of admin bindings, by `<namespace>/<name>`.
    const adminAccounts = new Map<string, Binding>();
    for (const binding of admins)
      for (const subject of binding.subjects)
        if (subject.kind === "ServiceAccount" && subject.name !== undefined) {
          const key = `${subject.namespace}/${subject.name}`;
          if (!adminAccounts.has(key)) adminAccounts.set(key, binding);
        }
    for (const workload of model.workloads) {
      const account =
        pairOf(workload.podSpec, "serviceAccountName") ?? pairOf(workload.podSpec, "serviceAccount");
      const name = str(account?.value) ?? "default";
      const binding = adminAccounts.get(`${namespaceOf(workload.object)}/${name}`);
      if (binding)
        report({
          ...objectReport(
            workload.object,
            `runs as ServiceAccount ${name}, which ${binding.object.address} binds to ${binding.roleName ?? "an admin role"}`,
            account ? reportSpan(account) : podAnchor(workload),
          ),
          provenance: [{ description: `${binding.object.address} roleRef`, span: bindingSpan(binding) }],
        });
    }
  },
);

export const rbacRules: readonly K8sRule[] = [
  wildcard,
  secretsAccess,
  podCreation,
  escalation,
  clusterAdmin,
  anonymous,
  bindsWildcardRole,
  adminServiceAccount,
];
