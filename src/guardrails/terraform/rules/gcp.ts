/**
 * Google Cloud: Cloud Storage, IAM bindings, VPC firewall rules, Cloud SQL, GKE and Compute
 * Engine service accounts.
 */
import type { Rule } from "../../model.js";
import {
  containsUnknown,
  isUnknown,
  lookup,
  type HclValue,
  type Lookup,
  type TerraformModel,
  type TfResource,
} from "../model.js";
import {
  GOOGLE_DOCS,
  asStrings,
  blocksOf,
  find,
  flag,
  isObject,
  isSet,
  isWorldCidr,
  knownStrings,
  mergeProvenance,
  portSpecIncludes,
  placeOf,
  referencedResources,
  reportOn,
  text,
  tf,
  type Place,
  ofType,
} from "./helpers.js";

type TfRule = Rule<TerraformModel>;

const uniformAccess: TfRule = {
  ...tf({
    id: "TF-064",
    title: "Cloud Storage bucket does not use uniform bucket-level access",
    severity: "medium",
    rationale:
      "Without uniform bucket-level access, per-object ACLs can grant access that the bucket's IAM policy does not show, so nobody can tell who can read an object by looking at IAM.",
    remediation: 'Set uniform_bucket_level_access = true (and public_access_prevention = "enforced").',
    references: [
      "CIS Google Cloud Platform Foundation Benchmark v2.0.0 5.2",
      `${GOOGLE_DOCS}storage_bucket#uniform_bucket_level_access`,
    ],
  }),
  check(model, report) {
    for (const bucket of ofType(model, "google_storage_bucket")) {
      const uniform = flag(bucket, "uniform_bucket_level_access", false);
      if (uniform && !uniform.value)
        reportOn(report, bucket, `${bucket.address} allows per-object ACLs`, uniform.at);
    }
  },
};

const PUBLIC_MEMBERS = new Set(["allusers", "allauthenticatedusers"]);

function publicMember(values: readonly string[]): string | undefined {
  return values.find((m) => PUBLIC_MEMBERS.has(m.trim().toLowerCase()));
}

const IAM_MEMBER = /^google_.+_iam_member$/;
const IAM_BINDING = /^google_.+_iam_binding$/;
const IAM_POLICY = /^google_.+_iam_policy$/;
const STORAGE_ACCESS_CONTROLS = [
  "google_storage_bucket_access_control",
  "google_storage_default_object_access_control",
  "google_storage_object_access_control",
];
const STORAGE_ACLS = [
  "google_storage_bucket_acl",
  "google_storage_default_object_acl",
  "google_storage_object_acl",
];

/** Members of the bindings of an IAM policy (policy_data JSON or a google_iam_policy data source). */
function policyMembers(model: TerraformModel, at: Lookup | undefined): { members: string[]; place: Place }[] {
  if (!at) return [];
  if (typeof at.value === "string") {
    let parsed: HclValue;
    try {
      parsed = JSON.parse(at.value) as HclValue;
    } catch {
      return [];
    }
    const bindings = isObject(parsed) && Array.isArray(parsed.bindings) ? parsed.bindings : [];
    return bindings.flatMap((b) => (isObject(b) ? [{ members: asStrings(b.members ?? []), place: at }] : []));
  }
  if (!isUnknown(at.value)) return [];
  return referencedResources(model, at, "google_iam_policy")
    .filter((doc) => doc.mode === "data")
    .flatMap((doc) =>
      blocksOf(doc, "binding").flatMap((binding) => {
        const members = find(binding, "members");
        return members && !containsUnknown(members.value)
          ? [{ members: asStrings(members.value), place: { span: binding.span } }]
          : [];
      }),
    );
}

const publicIam: TfRule = {
  ...tf({
    id: "TF-065",
    title: "Google Cloud IAM grants access to allUsers or allAuthenticatedUsers",
    severity: "high",
    rationale:
      "allUsers is anyone on the internet and allAuthenticatedUsers is anyone with any Google account; a binding to either publishes the bucket, function, topic or dataset to the world.",
    remediation:
      "Bind the role to specific users, groups or service accounts; serve public content through a load balancer or CDN with signed URLs where needed.",
    references: [
      "CIS Google Cloud Platform Foundation Benchmark v2.0.0 5.1",
      `${GOOGLE_DOCS}storage_bucket_iam`,
      "https://cloud.google.com/iam/docs/principal-identifiers#allusers",
    ],
  }),
  check(model, report) {
    for (const resource of model.resources) {
      if (resource.mode !== "managed" || !resource.type.startsWith("google_")) continue;
      let found: { member: string; place: Place } | undefined;
      if (IAM_MEMBER.test(resource.type)) {
        const at = lookup(resource, "member");
        const member = publicMember(knownStrings(at) ?? []);
        if (at && member) found = { member, place: at };
      } else if (IAM_BINDING.test(resource.type)) {
        const at = lookup(resource, "members");
        const member = publicMember(knownStrings(at) ?? []);
        if (at && member) found = { member, place: at };
      } else if (IAM_POLICY.test(resource.type)) {
        for (const { members, place } of policyMembers(model, lookup(resource, "policy_data"))) {
          const member = publicMember(members);
          if (member) found ??= { member, place };
        }
      } else if (STORAGE_ACCESS_CONTROLS.includes(resource.type)) {
        const at = lookup(resource, "entity");
        const member = publicMember(knownStrings(at) ?? []);
        if (at && member) found = { member, place: at };
      } else if (STORAGE_ACLS.includes(resource.type)) {
        for (const name of ["role_entity"]) {
          const at = lookup(resource, name);
          const entities = (knownStrings(at) ?? []).map((e) => e.split(":").pop() ?? e);
          const member = publicMember(entities);
          if (at && member) found = { member, place: at };
        }
      }
      if (found)
        reportOn(report, resource, `${resource.address} grants access to ${found.member}`, found.place);
    }
  },
};

interface FirewallOpening {
  place: Place;
  range: string;
}

/** Where an ingress firewall admits the internet to `port`, if it does. */
function firewallOpening(firewall: TfResource, port: number): FirewallOpening | undefined {
  const direction = text(firewall, "direction");
  const disabled = flag(firewall, "disabled", false);
  if (!direction || !disabled || disabled.value || (direction.value ?? "INGRESS").toUpperCase() !== "INGRESS")
    return undefined;
  const rangesAt = find(firewall, "source_ranges");
  let range: string | undefined;
  if (rangesAt === undefined || rangesAt.value === null) {
    // Without any source, an ingress rule applies to 0.0.0.0/0.
    if (isSet(firewall, "source_tags") || isSet(firewall, "source_service_accounts")) return undefined;
    range = "0.0.0.0/0";
  } else range = knownStrings(rangesAt)?.find(isWorldCidr);
  if (range === undefined) return undefined;
  for (const allow of blocksOf(firewall, "allow")) {
    const protocol = text(allow, "protocol");
    if (!protocol?.value) continue;
    const p = protocol.value.toLowerCase();
    if (p !== "tcp" && p !== "all" && p !== "6") continue;
    const portsAt = find(allow, "ports");
    if (portsAt && portsAt.value !== null && containsUnknown(portsAt.value)) continue;
    const ports = portsAt && portsAt.value !== null ? asStrings(portsAt.value) : [];
    const open = p === "all" || ports.length === 0 || ports.some((spec) => portSpecIncludes(spec, port));
    if (open)
      return {
        range,
        place: {
          span: (rangesAt ?? portsAt ?? allow).span,
          provenance: mergeProvenance(rangesAt?.provenance ?? [], portsAt?.provenance ?? []),
        },
      };
  }
  return undefined;
}

function firewallRule(id: string, port: number, service: string, benchmark: string): TfRule {
  return {
    ...tf({
      id,
      title: `VPC firewall allows ${service} (port ${port}) from the internet`,
      severity: "high",
      rationale: `An ingress rule admitting 0.0.0.0/0 to port ${port} exposes ${service} on every instance the rule targets to continuous brute-force and exploit attempts.`,
      remediation: `Restrict source_ranges to known ranges, or use Identity-Aware Proxy TCP forwarding (source 35.235.240.0/20) for ${service}.`,
      references: [
        benchmark,
        `${GOOGLE_DOCS}compute_firewall`,
        "https://cloud.google.com/iap/docs/using-tcp-forwarding",
      ],
    }),
    check(model, report) {
      for (const firewall of ofType(model, "google_compute_firewall")) {
        const opening = firewallOpening(firewall, port);
        if (opening)
          reportOn(
            report,
            firewall,
            `${firewall.address} allows ${service} (port ${port}) from ${opening.range}`,
            opening.place,
          );
      }
    },
  };
}

const sqlOpenNetworks: TfRule = {
  ...tf({
    id: "TF-068",
    title: "Cloud SQL instance accepts connections from any address",
    severity: "high",
    rationale:
      "An authorized network of 0.0.0.0/0 on an instance with a public IP lets anyone on the internet reach the database port and try credentials.",
    remediation:
      "Remove 0.0.0.0/0 from authorized_networks; connect through private IP or the Cloud SQL Auth Proxy.",
    references: [
      "CIS Google Cloud Platform Foundation Benchmark v2.0.0 6.5",
      `${GOOGLE_DOCS}sql_database_instance#authorized_networks`,
    ],
  }),
  check(model, report) {
    for (const instance of ofType(model, "google_sql_database_instance")) {
      const ipv4 = flag(instance, "settings.ip_configuration.ipv4_enabled", true);
      if (!ipv4?.value) continue;
      for (const network of findNetworks(instance)) {
        const value = text(network, "value");
        if (value?.value !== undefined && isWorldCidr(value.value))
          reportOn(
            report,
            instance,
            `${instance.address} accepts connections from ${value.value}`,
            value.at,
            placeOf(network),
          );
      }
    }
  },
};

function findNetworks(instance: TfResource) {
  return blocksOf(instance, "settings")
    .flatMap((s) => blocksOf(s, "ip_configuration"))
    .flatMap((c) => blocksOf(c, "authorized_networks"));
}

const sqlSsl: TfRule = {
  ...tf({
    id: "TF-069",
    title: "Cloud SQL instance accepts unencrypted connections",
    severity: "medium",
    rationale:
      "Unless SSL is required, clients may connect without TLS and send credentials and query results in clear across the network.",
    remediation:
      'Set settings.ip_configuration.ssl_mode = "ENCRYPTED_ONLY" (or "TRUSTED_CLIENT_CERTIFICATE_REQUIRED").',
    references: [
      "CIS Google Cloud Platform Foundation Benchmark v2.0.0 6.4",
      `${GOOGLE_DOCS}sql_database_instance#ssl_mode`,
    ],
  }),
  check(model, report) {
    for (const instance of ofType(model, "google_sql_database_instance")) {
      const mode = text(instance, "settings.ip_configuration.ssl_mode");
      if (!mode) continue;
      const config = blocksOf(instance, "settings").flatMap((s) => blocksOf(s, "ip_configuration"))[0];
      if (mode.value !== undefined) {
        if (mode.value === "ALLOW_UNENCRYPTED_AND_ENCRYPTED")
          reportOn(report, instance, `${instance.address} accepts unencrypted connections`, mode.at);
        continue;
      }
      const required = flag(instance, "settings.ip_configuration.require_ssl", false);
      if (required && !required.value)
        reportOn(report, instance, `${instance.address} does not require SSL`, required.at, placeOf(config));
    }
  },
};

const gkeLegacyAbac: TfRule = {
  ...tf({
    id: "TF-070",
    title: "GKE cluster enables legacy ABAC authorization",
    severity: "high",
    rationale:
      "Legacy ABAC grants broad static permissions that bypass Kubernetes RBAC, so role bindings no longer describe who can do what in the cluster.",
    remediation: "Remove enable_legacy_abac (or set it to false) and grant access with RBAC.",
    references: [
      "CIS Google Kubernetes Engine (GKE) Benchmark v1.5.0 5.8.3",
      `${GOOGLE_DOCS}container_cluster#enable_legacy_abac`,
    ],
  }),
  check(model, report) {
    for (const cluster of ofType(model, "google_container_cluster")) {
      const abac = flag(cluster, "enable_legacy_abac", false);
      if (abac?.value === true) reportOn(report, cluster, `${cluster.address} enables legacy ABAC`, abac.at);
    }
  },
};

const gkePrivateNodes: TfRule = {
  ...tf({
    id: "TF-071",
    title: "GKE cluster nodes have public IP addresses",
    severity: "medium",
    rationale:
      "Without private nodes every node gets an external IP, exposing the kubelet and any NodePort or hostPort service directly to the internet.",
    remediation:
      "Add private_cluster_config { enable_private_nodes = true } and give nodes egress through Cloud NAT.",
    references: [
      "CIS Google Kubernetes Engine (GKE) Benchmark v1.5.0 5.6.5",
      `${GOOGLE_DOCS}container_cluster#enable_private_nodes`,
    ],
  }),
  check(model, report) {
    for (const cluster of ofType(model, "google_container_cluster")) {
      const privateNodes = flag(cluster, "private_cluster_config.enable_private_nodes", false);
      if (privateNodes && !privateNodes.value)
        reportOn(
          report,
          cluster,
          `${cluster.address} gives its nodes public IP addresses`,
          privateNodes.at,
          placeOf(blocksOf(cluster, "private_cluster_config")[0]),
        );
    }
  },
};

const FULL_SCOPES = new Set(["cloud-platform", "https://www.googleapis.com/auth/cloud-platform"]);

const defaultServiceAccount: TfRule = {
  ...tf({
    id: "TF-072",
    title: "Compute instance uses the default service account with full API access",
    severity: "medium",
    rationale:
      "The default Compute Engine service account has the Editor role on the project; with the cloud-platform scope, anyone who gets code execution on the VM can change almost anything in the project.",
    remediation:
      "Create a dedicated service account with only the roles the VM needs and set it in service_account.email.",
    references: [
      "CIS Google Cloud Platform Foundation Benchmark v2.0.0 4.2",
      `${GOOGLE_DOCS}compute_instance#service_account`,
    ],
  }),
  check(model, report) {
    for (const instance of ofType(model, "google_compute_instance", "google_compute_instance_template"))
      for (const account of blocksOf(instance, "service_account")) {
        const email = text(account, "email");
        if (
          !email ||
          (email.value !== undefined && !email.value.endsWith("-compute@developer.gserviceaccount.com"))
        )
          continue;
        const scopes = find(account, "scopes");
        const full = knownStrings(scopes)?.find((s) => FULL_SCOPES.has(s));
        if (full)
          reportOn(
            report,
            instance,
            `${instance.address} runs as the default service account with the ${full} scope`,
            scopes,
            email.at,
          );
      }
  },
};

export const gcpRules: TfRule[] = [
  uniformAccess,
  publicIam,
  firewallRule("TF-066", 22, "SSH", "CIS Google Cloud Platform Foundation Benchmark v2.0.0 3.6"),
  firewallRule("TF-067", 3389, "RDP", "CIS Google Cloud Platform Foundation Benchmark v2.0.0 3.7"),
  sqlOpenNetworks,
  sqlSsl,
  gkeLegacyAbac,
  gkePrivateNodes,
  defaultServiceAccount,
];
