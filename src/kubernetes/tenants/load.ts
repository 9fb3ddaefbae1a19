import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { sortByPosition, validateDocument } from "../../config/schema-diagnostics.js";
import type { DiagnosticStyle } from "../../config/schema-diagnostics.js";
import { closest } from "../../config/suggest.js";
import { YamlSource } from "../../config/yaml-source.js";
import type { YamlPath } from "../../config/yaml-source.js";
import { ConfigError, UsageError } from "../../errors/index.js";
import { PRUNE_ANNOTATION } from "../identity.js";
import type { ContainerLimits, Member, NetworkRule, Resources, Tenant, TenantsConfig } from "./model.js";
import { isRolePreset, ROLE_PRESETS } from "./presets.js";
import { quantityValue } from "./quantity.js";
import { TENANT_KEYS, tenantsFileSchema } from "./schema.js";
import type {
  EgressRuleDocument,
  IngressRuleDocument,
  MemberDocument,
  ResourcesDocument,
  TenantDocument,
} from "./schema.js";

/** Reads and checks a tenants file; every problem of the file comes back in one ConfigError. */
export async function readTenantsFile(file: string): Promise<TenantsConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseTenants(file, text);
}

/** Checks a tenants file's text and fills in its defaults; throws ConfigError with file:line:column. */
export function parseTenants(file: string, text: string): TenantsConfig {
  const { source, diagnostics: syntax } = YamlSource.parse(file, text);
  if (syntax.length > 0) throw new ConfigError(syntax);
  const raw = source.toJS();
  if (raw === null || raw === undefined) {
    throw new ConfigError([
      {
        position: source.positionOf([]),
        message: "the file is empty",
        expected: "a top-level tenants: mapping",
      },
    ]);
  }
  const { data, diagnostics } = validateDocument(tenantsFileSchema, raw, source, STYLE);
  const tenants: Tenant[] = [];
  const report: Report = (path, message, hint, options = {}) =>
    diagnostics.push({ position: source.positionOf(path, options), message, ...(hint ? { hint } : {}) });
  if (data) {
    for (const [name, doc] of Object.entries(data.tenants)) tenants.push(tenant(name, doc, report));
    const byNamespace = new Map<string, string>();
    for (const t of tenants) {
      const other = byNamespace.get(t.namespace);
      if (other !== undefined) {
        report(
          ["tenants", t.name, ...(t.namespace === t.name ? [] : ["namespace"])],
          `tenants "${other}" and "${t.name}" share the namespace "${t.namespace}"`,
          "a namespace belongs to one tenant; give one of them another namespace:",
          { key: t.namespace === t.name },
        );
      }
      byNamespace.set(t.namespace, t.name);
    }
  }
  if (diagnostics.length > 0) throw new ConfigError(sortByPosition(diagnostics));
  return { file, tenants };
}

/** `key`: point at the key of the path (a tenant's name, a label) rather than at its value. */
type Report = (path: YamlPath, message: string, hint?: string, options?: { key?: boolean }) => void;

// Namespaces the cluster itself runs in: a tenant's default-deny policy or quota there breaks the cluster.
const SYSTEM_NAMESPACES = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);
// Labels Slipway sets (the tenant, the owner) or that are set through a key of their own.
const RESERVED_LABEL =
  /^(slipway\.dev\/|app\.kubernetes\.io\/managed-by$|kubernetes\.io\/metadata\.name$|pod-security\.kubernetes\.io\/)/;

function tenant(name: string, doc: TenantDocument, report: Report): Tenant {
  const at = ["tenants", name];
  const namespace = doc.namespace ?? name;
  if (SYSTEM_NAMESPACES.has(namespace) || namespace.startsWith("kube-")) {
    report(
      doc.namespace === undefined ? at : [...at, "namespace"],
      `"${namespace}" is a system namespace, not a tenant's`,
      "a tenant's default-deny network policy and quota would apply to the cluster's own pods; choose another namespace:",
      { key: true },
    );
  }
  for (const key of ["labels", "annotations"] as const) {
    for (const label of Object.keys(doc[key] ?? {})) {
      // The one annotation of Slipway's a user sets: it keeps the namespace when the tenant leaves the file.
      if (key === "annotations" && label === PRUNE_ANNOTATION) continue;
      if (RESERVED_LABEL.test(label)) {
        report(
          [...at, key, label],
          `"${label}" is set by Slipway`,
          label.startsWith("pod-security.")
            ? "use podSecurity: baseline | restricted | privileged"
            : undefined,
          { key: true },
        );
      }
    }
  }
  const members: Member[] = [];
  const seen = new Set<string>();
  (doc.members ?? []).forEach((entry, i) => {
    const m = memberOf(entry, [...at, "members", i], report);
    if (!m) return;
    const key = `${m.kind}/${m.namespace ?? ""}/${m.name}/${m.role}`;
    if (seen.has(key)) report([...at, "members", i], `${m.kind} "${m.name}" is listed twice as ${m.role}`);
    else members.push(m);
    seen.add(key);
  });
  const quota = doc.quota ? quotaHard(doc.quota) : undefined;
  const limits = doc.limits ? containerLimits(doc.limits, [...at, "limits"], report) : undefined;
  const ingress = (doc.network?.allow ?? []).map((r, i) =>
    networkRule(
      r,
      { namespace: r.fromNamespace, pods: r.fromPods, cidr: r.fromCIDR },
      "from",
      [...at, "network", "allow", i],
      report,
    ),
  );
  const egressDoc = doc.network?.egress;
  const egress = egressDoc
    ? (egressDoc.allow ?? []).map((r, i) =>
        networkRule(
          r,
          { namespace: r.toNamespace, pods: r.toPods, cidr: r.toCIDR },
          "to",
          [...at, "network", "egress", "allow", i],
          report,
        ),
      )
    : undefined;
  for (const [rules, base] of [
    [ingress, [...at, "network", "allow"]],
    [egress ?? [], [...at, "network", "egress", "allow"]],
  ] as const) {
    const names = new Set<string>();
    rules.forEach((r, i) => {
      if (names.has(r.name)) {
        report(
          [...base, i],
          `two rules would both be the NetworkPolicy "${r.name}"`,
          "give each rule a name: of its own",
        );
      }
      names.add(r.name);
    });
  }
  const scaling = doc.scaling && {
    minReplicas: doc.scaling.minReplicas ?? 1,
    maxReplicas: doc.scaling.maxReplicas,
    targetCPUUtilization: doc.scaling.targetCPUUtilization ?? 80,
  };
  if (scaling && scaling.minReplicas > scaling.maxReplicas) {
    report([...at, "scaling", "minReplicas"], "minReplicas is above maxReplicas");
  }
  return {
    name,
    namespace,
    labels: doc.labels ?? {},
    annotations: doc.annotations ?? {},
    podSecurity: doc.podSecurity ?? "baseline",
    members,
    ...(quota ? { quota } : {}),
    ...(limits ? { limits } : {}),
    network: {
      sameNamespace: doc.network?.sameNamespace ?? true,
      ingress,
      ...(egress ? { egress } : {}),
    },
    ...(scaling ? { scaling } : {}),
  };
}

function memberOf(doc: MemberDocument, at: YamlPath, report: Report): Member | undefined {
  const subjects = (["user", "group", "serviceAccount"] as const).filter((k) => doc[k] !== undefined);
  if (subjects.length !== 1) {
    report(
      at,
      subjects.length === 0 ? "a member needs a user, group or serviceAccount" : "a member is one subject",
      `one of user:, group: or serviceAccount: per member, e.g. { user: alice, role: ${doc.role} }`,
    );
    return undefined;
  }
  if (!isRolePreset(doc.role)) {
    const close = closest(doc.role, ROLE_PRESETS);
    report(
      [...at, "role"],
      `unknown role preset "${doc.role}"`,
      `${close ? `did you mean "${close}"? ` : ""}the presets are ${ROLE_PRESETS.join(", ")} (each includes the one before)`,
    );
    return undefined;
  }
  if (doc.serviceAccount !== undefined) {
    const [namespace = "", name = ""] = doc.serviceAccount.split("/");
    return { kind: "ServiceAccount", name, namespace, role: doc.role };
  }
  return {
    kind: doc.user === undefined ? "Group" : "User",
    name: doc.user ?? doc.group ?? "",
    role: doc.role,
  };
}

function quotaHard(doc: NonNullable<TenantDocument["quota"]>): Record<string, string> {
  const hard: Record<string, string | number | undefined> = {
    "requests.cpu": doc.cpu,
    "requests.memory": doc.memory,
    "limits.cpu": doc.limits?.cpu,
    "limits.memory": doc.limits?.memory,
    pods: doc.pods,
    services: doc.services,
    configmaps: doc.configMaps,
    secrets: doc.secrets,
    persistentvolumeclaims: doc.persistentVolumeClaims,
    "requests.storage": doc.storage,
  };
  return Object.fromEntries(
    Object.entries(hard).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])),
  );
}

function containerLimits(
  doc: NonNullable<TenantDocument["limits"]>,
  at: YamlPath,
  report: Report,
): ContainerLimits {
  const resources = (r: ResourcesDocument | undefined): Resources | undefined =>
    r && Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
  const limits: ContainerLimits = {};
  for (const key of ["default", "defaultRequest", "max", "min"] as const) {
    const r = resources(doc[key]);
    if (r) limits[key] = r;
  }
  // The API server refuses these too, but only after the objects before it were applied, and without a line.
  const order: [keyof ContainerLimits, keyof ContainerLimits][] = [
    ["min", "defaultRequest"],
    ["defaultRequest", "default"],
    ["default", "max"],
    ["min", "max"],
  ];
  for (const resource of ["cpu", "memory"] as const) {
    for (const [low, high] of order) {
      const a = limits[low]?.[resource];
      const b = limits[high]?.[resource];
      if (a === undefined || b === undefined) continue;
      if ((quantityValue(a) ?? 0) > (quantityValue(b) ?? Infinity)) {
        report([...at, low, resource], `${low}.${resource} (${a}) is above ${high}.${resource} (${b})`);
      }
    }
  }
  return limits;
}

/** The peer of a rule: `from*` keys of an ingress rule, `to*` keys of an egress rule. */
interface PeerDocument {
  namespace: string | undefined;
  pods: Record<string, string> | undefined;
  cidr: string | undefined;
}

function networkRule(
  doc: IngressRuleDocument | EgressRuleDocument,
  { namespace, pods, cidr }: PeerDocument,
  prefix: "from" | "to",
  at: YamlPath,
  report: Report,
): NetworkRule {
  if (cidr !== undefined && (namespace !== undefined || pods !== undefined)) {
    report(
      [...at, `${prefix}CIDR`],
      `${prefix}CIDR cannot be combined with ${prefix}Namespace or ${prefix}Pods`,
      "addresses and pods are different peers: write two rules",
    );
  }
  if (cidr !== undefined && !isCidr(cidr)) {
    report([...at, `${prefix}CIDR`], `"${cidr}" is not a CIDR`, "e.g. 10.0.0.0/8 or 2001:db8::/32");
  }
  const ports = (doc.ports ?? []).flatMap((p, i) => {
    const [number = "", protocol = "TCP"] = String(p).split("/");
    const port = Number(number);
    if (port < 1 || port > 65535) {
      report([...at, "ports", i], `port ${number} is not between 1 and 65535`);
      return [];
    }
    return [{ port, protocol: protocol as "TCP" | "UDP" | "SCTP" }];
  });
  const peerName =
    namespace !== undefined
      ? namespace
      : cidr !== undefined
        ? `cidr-${cidr.replace(/[^0-9a-zA-Z]+/g, "-").toLowerCase()}`
        : pods !== undefined
          ? "pods"
          : "anywhere";
  return {
    name: doc.name ?? `${prefix}-${peerName}`.replace(/-+$/, ""),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(pods !== undefined ? { pods } : {}),
    ...(cidr !== undefined ? { cidr } : {}),
    ...(doc.pods !== undefined ? { podSelector: doc.pods } : {}),
    ports,
  };
}

function isCidr(text: string): boolean {
  const [address = "", prefix, extra] = text.split("/");
  const family = isIP(address);
  if (family === 0 || prefix === undefined || extra !== undefined || !/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

// --- diagnostics style --------------------------------------------------------------------------

/** Where a mapping sits, with tenant names as `*` and list indices as `#`: `tenants.*.members.#`. */
function shapeOf(path: YamlPath): string {
  return path
    .map((p, i) => (i === 1 && path[0] === "tenants" ? "*" : typeof p === "number" ? "#" : String(p)))
    .join(".");
}

const KEYS_AT: Record<string, readonly string[]> = {
  "": TENANT_KEYS.file,
  "tenants.*": TENANT_KEYS.tenant,
  "tenants.*.members.#": TENANT_KEYS.member,
  "tenants.*.quota": TENANT_KEYS.quota,
  "tenants.*.quota.limits": TENANT_KEYS.quotaLimits,
  "tenants.*.limits": TENANT_KEYS.limits,
  "tenants.*.limits.default": TENANT_KEYS.resources,
  "tenants.*.limits.defaultRequest": TENANT_KEYS.resources,
  "tenants.*.limits.max": TENANT_KEYS.resources,
  "tenants.*.limits.min": TENANT_KEYS.resources,
  "tenants.*.network": TENANT_KEYS.network,
  "tenants.*.network.allow.#": TENANT_KEYS.ingress,
  "tenants.*.network.egress": TENANT_KEYS.egress,
  "tenants.*.network.egress.allow.#": TENANT_KEYS.egressRule,
  "tenants.*.scaling": TENANT_KEYS.scaling,
};

// Keys people bring from RBAC, ResourceQuota and NetworkPolicy manifests, and what they are called here.
const NOTES: Record<string, Record<string, string>> = {
  "tenants.*": {
    users: "list people under members:, e.g. - { user: alice, role: developer }",
    groups: "list groups under members:, e.g. - { group: payments-oncall, role: operator }",
    roles: "a member's role: is one of the presets viewer, developer, operator",
    resourceQuota: "the ResourceQuota is quota:, e.g. { cpu: 4, memory: 8Gi, pods: 20 }",
    limitRange: "the LimitRange is limits:, e.g. { default: { cpu: 500m }, defaultRequest: { cpu: 100m } }",
    networkPolicy: "network isolation is network:, e.g. { allow: [{ fromNamespace: ingress-nginx }] }",
    hpa: "HorizontalPodAutoscaler defaults are scaling:, e.g. { minReplicas: 2, maxReplicas: 10 }",
  },
  "tenants.*.quota": {
    hard: "write the limits directly under quota:, e.g. { cpu: 4, memory: 8Gi, pods: 20 }",
    requests:
      "quota.cpu and quota.memory are the sums of requests; quota.limits.{cpu,memory} the sums of limits",
  },
  "tenants.*.network": {
    deny: "ingress is denied by default; list the exceptions under allow:",
    ingress: "ingress exceptions are allow:, e.g. - { fromNamespace: ingress-nginx, ports: [8080] }",
  },
  "tenants.*.network.allow.#": {
    port: "ports: is a list, e.g. ports: [8080, 53/UDP]",
    namespace: "the peer's namespace is fromNamespace:",
    toNamespace: "allow: lists ingress; egress exceptions go under egress.allow:",
  },
  "tenants.*.network.egress.allow.#": {
    port: "ports: is a list, e.g. ports: [443]",
    fromNamespace: "egress.allow: lists destinations: toNamespace:",
  },
};

function suggestKey(key: string, path: YamlPath): string | undefined {
  const shape = shapeOf(path);
  const note = NOTES[shape]?.[key];
  if (note) return note;
  const allowed = KEYS_AT[shape];
  if (!allowed) return undefined;
  const close = closest(key, allowed);
  return close
    ? `did you mean "${close}"? Allowed: ${allowed.join(", ")}`
    : `allowed keys: ${allowed.join(", ")}`;
}

const STYLE: DiagnosticStyle = {
  describePath: (path) => (path.length === 0 ? "the file" : path.map(String).join(".")),
  suggestKey,
  unionHint: (path) =>
    shapeOf(path).endsWith(".ports.#") ? "a port number, or a number with /TCP, /UDP or /SCTP" : undefined,
};
