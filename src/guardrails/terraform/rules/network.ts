/**
 * AWS network exposure: security groups, network ACLs, VPC flow logs and load balancer
 * listeners. Security group rules come in three spellings (inline `ingress` blocks,
 * `aws_security_group_rule`, `aws_vpc_security_group_ingress_rule`); they are read into one
 * shape first so every rule judges them alike.
 */
import type { Rule } from "../../model.js";
import { lookup, type Lookup, type TerraformModel, type TfResource } from "../model.js";
import {
  ADMIN_PORTS,
  AWS_DOCS,
  blocksOf,
  companions,
  find,
  flag,
  isWorldCidr,
  knownStrings,
  mergeProvenance,
  num,
  ofType,
  placeOf,
  rangeIncludes,
  referencedResources,
  reportOn,
  text,
  tf,
  type Place,
  type Target,
} from "./helpers.js";

type TfRule = Rule<TerraformModel>;

const ALL_PROTOCOLS = new Set(["-1", "all"]);
const TCP = new Set(["tcp", "6"]);

/** An ingress rule known to admit traffic from anywhere on the internet. */
export interface WorldIngress {
  /** The resource that declares the rule (the group itself for inline rules). */
  owner: TfResource;
  /** The security group it opens, when known. */
  group: TfResource | undefined;
  /** Where the internet-wide range is written, with where the rule's values came from. */
  place: Place;
  /** Every protocol (`-1`). */
  allProtocols: boolean;
  /** Every protocol, or every TCP port. */
  allTraffic: boolean;
  tcp: boolean;
  from: number;
  to: number;
  cidr: string;
}

interface Fields {
  protocol: string;
  cidrs: readonly string[];
}

const CLASSIC_FIELDS: Fields = { protocol: "protocol", cidrs: ["cidr_blocks", "ipv6_cidr_blocks"] };
const VPC_RULE_FIELDS: Fields = { protocol: "ip_protocol", cidrs: ["cidr_ipv4", "cidr_ipv6"] };

function readWorldRule(target: Target, fields: Fields): Omit<WorldIngress, "owner" | "group"> | undefined {
  let cidrAt;
  let cidr: string | undefined;
  for (const name of fields.cidrs) {
    const at = find(target, name);
    const world = knownStrings(at)?.find(isWorldCidr);
    if (world !== undefined) {
      cidrAt = at;
      cidr = world;
      break;
    }
  }
  if (!cidrAt || cidr === undefined) return undefined;
  const protocol = text(target, fields.protocol);
  if (!protocol || protocol.value === undefined) return undefined;
  const p = protocol.value.toLowerCase();
  const place = (...more: (Place | undefined)[]): Place => ({
    span: cidrAt.span,
    provenance: mergeProvenance(
      cidrAt.provenance,
      protocol.at?.provenance ?? [],
      ...more.map((m) => m?.provenance ?? []),
    ),
  });
  if (ALL_PROTOCOLS.has(p))
    return { place: place(), allProtocols: true, allTraffic: true, tcp: true, from: 0, to: 65535, cidr };
  const from = num(target, "from_port");
  const to = num(target, "to_port");
  if (from?.value === undefined || to?.value === undefined) return undefined;
  const tcp = TCP.has(p);
  const allTraffic = tcp && from.value <= 1 && to.value >= 65535;
  return {
    place: place(from.at, to.at),
    allProtocols: false,
    allTraffic,
    tcp,
    from: from.value,
    to: to.value,
    cidr,
  };
}

const worldIngressByModel = new WeakMap<TerraformModel, WorldIngress[]>();

/** Every ingress rule of the configuration that is open to the internet (read once per model). */
export function worldIngress(model: TerraformModel): WorldIngress[] {
  const cached = worldIngressByModel.get(model);
  if (cached) return cached;
  const out: WorldIngress[] = [];
  worldIngressByModel.set(model, out);
  for (const group of ofType(model, "aws_security_group", "aws_default_security_group"))
    for (const block of blocksOf(group, "ingress")) {
      const rule = readWorldRule(block, CLASSIC_FIELDS);
      if (rule) out.push({ ...rule, owner: group, group });
    }
  for (const resource of ofType(model, "aws_security_group_rule")) {
    if (text(resource, "type")?.value !== "ingress") continue;
    const rule = readWorldRule(resource, CLASSIC_FIELDS);
    if (rule) out.push({ ...rule, owner: resource, group: groupOf(model, resource) });
  }
  for (const resource of ofType(model, "aws_vpc_security_group_ingress_rule")) {
    const rule = readWorldRule(resource, VPC_RULE_FIELDS);
    if (rule) out.push({ ...rule, owner: resource, group: groupOf(model, resource) });
  }
  return out;
}

function groupOf(model: TerraformModel, rule: TfResource): TfResource | undefined {
  return referencedResources(model, lookup(rule, "security_group_id")).find(
    (r) => r.type === "aws_security_group" || r.type === "aws_default_security_group",
  );
}

function exposesPort(rule: WorldIngress, port: number): boolean {
  return rule.tcp && rangeIncludes(rule.from, rule.to, port);
}

function describePorts(rule: WorldIngress): string {
  if (rule.allProtocols) return "all traffic";
  if (rule.allTraffic) return "all TCP ports";
  return rule.from === rule.to ? `port ${rule.from}` : `ports ${rule.from}-${rule.to}`;
}

function adminPortRule(id: string, port: number, service: string): TfRule {
  return {
    ...tf({
      id,
      title: `Security group allows ${service} (port ${port}) from the internet`,
      severity: "high",
      rationale: `${service} on port ${port} open to 0.0.0.0/0 or ::/0 is scanned and brute-forced within minutes of an instance starting; one weak credential or unpatched daemon gives an attacker a shell on the host.`,
      remediation: `Restrict the rule to known address ranges (a VPN or bastion), or remove it and use AWS Systems Manager Session Manager${port === 3389 ? " or Fleet Manager" : ""} instead of ${service}.`,
      references: [
        "CIS AWS Foundations Benchmark v3.0.0 5.2",
        "CIS AWS Foundations Benchmark v3.0.0 5.3",
        `${AWS_DOCS}security_group`,
        `${AWS_DOCS}vpc_security_group_ingress_rule`,
      ],
    }),
    check(model, report) {
      for (const rule of worldIngress(model))
        if (!rule.allTraffic && exposesPort(rule, port))
          reportOn(
            report,
            rule.owner,
            `${rule.owner.address} allows ${service} (${describePorts(rule)}) from ${rule.cidr}`,
            rule.place,
          );
    },
  };
}

const sgAllTraffic: TfRule = {
  ...tf({
    id: "TF-010",
    title: "Security group allows all ports from the internet",
    severity: "high",
    rationale:
      "A rule admitting every protocol or every port from 0.0.0.0/0 or ::/0 exposes whatever listens on the instance, including databases, debug endpoints and management agents never meant to be public.",
    remediation:
      "Open only the ports the service needs (e.g. 443) and, for anything else, restrict the source to known address ranges or other security groups.",
    references: ["CIS AWS Foundations Benchmark v3.0.0 5.2", `${AWS_DOCS}security_group`],
  }),
  check(model, report) {
    for (const rule of worldIngress(model))
      if (rule.allTraffic)
        reportOn(
          report,
          rule.owner,
          `${rule.owner.address} allows ${describePorts(rule)} from ${rule.cidr}`,
          rule.place,
        );
  },
};

const GROUP_TYPES = new Set(["aws_security_group", "aws_default_security_group"]);

/** Security groups an instance or launch template attaches, through ids or names. */
function attachedGroups(
  model: TerraformModel,
  target: TfResource,
  paths: string[],
  groupsByName: ReadonlyMap<string, TfResource[]>,
): { group: TfResource; at: Lookup }[] {
  return paths.flatMap((path) => {
    const at = find(target, path);
    if (!at) return [];
    const linked = new Set(referencedResources(model, at).filter((r) => GROUP_TYPES.has(r.type)));
    for (const name of knownStrings(at) ?? [])
      for (const group of groupsByName.get(name) ?? []) linked.add(group);
    return [...linked].map((group) => ({ group, at }));
  });
}

/** False only when the instance is known to get no public address. */
function mayHavePublicAddress(model: TerraformModel, target: TfResource, path: string): boolean {
  const associate = flag(target, path, true);
  if (associate?.value !== false) return true;
  return ofType(model, "aws_eip", "aws_eip_association").some((eip) =>
    referencedResources(model, lookup(eip, "instance")).includes(target),
  );
}

const exposedInstance: TfRule = {
  ...tf({
    id: "TF-011",
    title: "EC2 instance reachable from the internet on an administration port",
    severity: "critical",
    rationale:
      "The instance is attached to a security group that admits SSH, RDP or all traffic from the whole internet: not a latent misconfiguration but a running host exposed to constant brute-force and exploit attempts.",
    remediation:
      "Detach the open security group or restrict its rule to a bastion or VPN range; reach instances with AWS Systems Manager Session Manager.",
    references: [
      "CIS AWS Foundations Benchmark v3.0.0 5.2",
      `${AWS_DOCS}instance#vpc_security_group_ids`,
      "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager.html",
    ],
  }),
  check(model, report) {
    const openByGroup = new Map<TfResource, WorldIngress>();
    for (const rule of worldIngress(model))
      if (
        rule.group &&
        !openByGroup.has(rule.group) &&
        (rule.allTraffic || ADMIN_PORTS.some(({ port }) => exposesPort(rule, port)))
      )
        openByGroup.set(rule.group, rule);
    if (openByGroup.size === 0) return;
    const groupsByName = new Map<string, TfResource[]>();
    for (const group of openByGroup.keys()) {
      const name = lookup(group, "name")?.value;
      if (typeof name === "string") groupsByName.set(name, [...(groupsByName.get(name) ?? []), group]);
    }
    const targets = [
      ...ofType(model, "aws_instance").map((t) => ({
        t,
        paths: ["vpc_security_group_ids", "security_groups"],
        publicPath: "associate_public_ip_address",
      })),
      ...ofType(model, "aws_launch_template").map((t) => ({
        t,
        paths: ["vpc_security_group_ids", "security_group_names", "network_interfaces.security_groups"],
        publicPath: "network_interfaces.associate_public_ip_address",
      })),
    ];
    for (const { t, paths, publicPath } of targets) {
      if (!mayHavePublicAddress(model, t, publicPath)) continue;
      for (const { group, at } of attachedGroups(model, t, paths, groupsByName)) {
        const rule = openByGroup.get(group);
        if (!rule) continue;
        const what = rule.allTraffic
          ? describePorts(rule)
          : ADMIN_PORTS.filter(({ port }) => exposesPort(rule, port))
              .map(({ service, port }) => `${service} (${port})`)
              .join(" and ");
        reportOn(
          report,
          t,
          `${t.address} is attached to ${group.address}, which allows ${what} from ${rule.cidr}`,
          { span: at.span, provenance: mergeProvenance(at.provenance, rule.place.provenance ?? []) },
        );
      }
    }
  },
};

const defaultSecurityGroup: TfRule = {
  ...tf({
    id: "TF-012",
    title: "Default security group allows traffic",
    severity: "medium",
    rationale:
      "Resources launched without an explicit security group land in the VPC's default group; if it allows traffic they silently get network access nobody designed.",
    remediation:
      "Manage the default group with aws_default_security_group and no ingress or egress blocks, so it denies everything, and give every resource its own security group.",
    references: ["CIS AWS Foundations Benchmark v3.0.0 5.4", `${AWS_DOCS}default_security_group`],
  }),
  check(model, report) {
    for (const group of ofType(model, "aws_default_security_group")) {
      const [rule] = [...blocksOf(group, "ingress"), ...blocksOf(group, "egress")];
      if (rule)
        reportOn(
          report,
          group,
          `the default security group ${group.address} has ${rule.type} rules`,
          placeOf(rule),
        );
    }
  },
};

const vpcFlowLogs: TfRule = {
  ...tf({
    id: "TF-013",
    title: "VPC flow logs are not enabled",
    severity: "medium",
    rationale:
      "Flow logs are the only record of which addresses talked to which in the VPC; without them lateral movement and data exfiltration leave no trace to investigate.",
    remediation:
      'Add an aws_flow_log with vpc_id pointing at the VPC and traffic_type = "ALL" (or at least "REJECT").',
    references: [
      "CIS AWS Foundations Benchmark v3.0.0 3.7",
      `${AWS_DOCS}flow_log`,
      "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html",
    ],
  }),
  check(model, report) {
    for (const vpc of ofType(model, "aws_vpc")) {
      const { linked, undetermined } = companions(model, vpc, "aws_flow_log", "vpc_id");
      if (linked.length === 0 && !undetermined)
        reportOn(report, vpc, `VPC ${vpc.address} has no aws_flow_log`);
    }
  },
};

const subnetPublicIp: TfRule = {
  ...tf({
    id: "TF-014",
    title: "Subnet assigns public IP addresses on launch",
    severity: "low",
    rationale:
      "With map_public_ip_on_launch every instance started in the subnet gets an internet-routable address, whether or not it was meant to be public; one permissive security group then exposes it.",
    remediation:
      "Set map_public_ip_on_launch = false and give public addresses explicitly (an Elastic IP or a load balancer) to the few instances that need them.",
    references: [`${AWS_DOCS}subnet#map_public_ip_on_launch`],
  }),
  check(model, report) {
    for (const subnet of ofType(model, "aws_subnet", "aws_default_subnet")) {
      const value = flag(subnet, "map_public_ip_on_launch", false);
      if (value?.value === true)
        reportOn(
          report,
          subnet,
          `${subnet.address} assigns a public IP to every instance launched in it`,
          value.at,
        );
    }
  },
};

interface AclEntry {
  owner: TfResource;
  number: number;
  allow: boolean;
  place: Place;
  allProtocols: boolean;
  tcp: boolean;
  from: number;
  to: number;
}

/** An entry for internet-wide sources; `null` when a value it depends on is unknown. */
function readAclEntry(
  owner: TfResource,
  target: Target,
  numberName: string,
  actionName: string,
): AclEntry | undefined | null {
  const cidrs = ["cidr_block", "ipv6_cidr_block"].map((name) => find(target, name));
  if (cidrs.some((at) => at !== undefined && knownStrings(at) === undefined && at.value !== null))
    return null;
  const cidrAt = cidrs.find((at) => knownStrings(at)?.some(isWorldCidr));
  if (!cidrAt) return undefined;
  const number = num(target, numberName);
  const action = text(target, actionName);
  const protocol = text(target, "protocol");
  if (number?.value === undefined || action?.value === undefined || protocol?.value === undefined)
    return null;
  const p = protocol.value.toLowerCase();
  const allProtocols = ALL_PROTOCOLS.has(p);
  const from = num(target, "from_port");
  const to = num(target, "to_port");
  if (!allProtocols && (from?.value === undefined || to?.value === undefined)) return null;
  return {
    owner,
    number: number.value,
    allow: action.value.toLowerCase() === "allow",
    place: {
      span: cidrAt.span,
      provenance: mergeProvenance(cidrAt.provenance, action.at?.provenance ?? [], from?.at?.provenance ?? []),
    },
    allProtocols,
    tcp: TCP.has(p),
    from: from?.value ?? 0,
    to: to?.value ?? 65535,
  };
}

const naclAdminPorts: TfRule = {
  ...tf({
    id: "TF-015",
    title: "Network ACL allows administration ports from the internet",
    severity: "medium",
    rationale:
      "Network ACLs are the subnet-wide second line behind security groups; one that lets 0.0.0.0/0 reach SSH or RDP leaves every instance in the subnet one security group mistake away from exposure.",
    remediation:
      "Deny (or do not allow) 0.0.0.0/0 and ::/0 on ports 22 and 3389 with a rule numbered before any broader allow; allow administration only from known ranges.",
    references: [
      "CIS AWS Foundations Benchmark v3.0.0 5.1",
      `${AWS_DOCS}network_acl`,
      `${AWS_DOCS}network_acl_rule`,
    ],
  }),
  check(model, report) {
    const acls = ofType(model, "aws_network_acl", "aws_default_network_acl");
    const standalone = ofType(model, "aws_network_acl_rule");
    for (const acl of acls) {
      const entries: (AclEntry | null | undefined)[] = [
        ...blocksOf(acl, "ingress").map((block) => readAclEntry(acl, block, "rule_no", "action")),
        ...standalone
          .filter((rule) => referencedResources(model, lookup(rule, "network_acl_id")).includes(acl))
          .filter((rule) => flag(rule, "egress", false)?.value === false)
          .map((rule) => readAclEntry(rule, rule, "rule_number", "rule_action")),
      ];
      const known = entries.filter((e): e is AclEntry | null => e !== undefined);
      const sorted = [...known].sort((a, b) => (a?.number ?? 0) - (b?.number ?? 0));
      if (sorted.includes(null)) continue;
      const reported = new Set<AclEntry>();
      for (const { port, service } of ADMIN_PORTS) {
        const decisive = (sorted as AclEntry[]).find(
          (e) => e.allProtocols || (e.tcp && rangeIncludes(e.from, e.to, port)),
        );
        if (!decisive?.allow || reported.has(decisive)) continue;
        reported.add(decisive);
        reportOn(
          report,
          decisive.owner,
          `rule ${decisive.number} of ${acl.address} allows ${service} (port ${port}) from the internet`,
          decisive.place,
        );
      }
    }
  },
};

const LISTENER_TYPES = ["aws_lb_listener", "aws_alb_listener"];

const httpListener: TfRule = {
  ...tf({
    id: "TF-016",
    title: "Load balancer listener serves plain HTTP without redirecting to HTTPS",
    severity: "medium",
    rationale:
      "An HTTP listener that forwards requests sends cookies, tokens and form data unencrypted across the internet, readable and changeable by anyone on the path.",
    remediation:
      'Make the HTTP listener\'s default_action a redirect with protocol = "HTTPS" and status_code = "HTTP_301", and serve the application on an HTTPS listener.',
    references: [
      `${AWS_DOCS}lb_listener`,
      "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-update-rules.html",
    ],
  }),
  check(model, report) {
    for (const listener of ofType(model, ...LISTENER_TYPES)) {
      const protocol = text(listener, "protocol");
      if (!protocol) continue;
      const value = protocol.value ?? (find(listener, "certificate_arn") ? "HTTPS" : "HTTP");
      if (value.toUpperCase() !== "HTTP") continue;
      const actions = blocksOf(listener, "default_action");
      const types = actions.map((a) => text(a, "type"));
      if (actions.length === 0 || types.some((t) => t?.value === undefined)) continue;
      const safe = actions.some((action, i) => {
        const type = types[i]?.value;
        if (type === "fixed-response") return true;
        if (type !== "redirect") return false;
        const target = text(action, "redirect.protocol");
        // Without a protocol the redirect keeps "#{protocol}", i.e. stays on HTTP.
        return target === undefined || target.value?.toUpperCase() === "HTTPS";
      });
      if (!safe)
        reportOn(
          report,
          listener,
          `${listener.address} accepts plain HTTP and its default action is "${types[0]?.value ?? "none"}", not a redirect to HTTPS`,
          protocol.at,
        );
    }
  },
};

const dropInvalidHeaders: TfRule = {
  ...tf({
    id: "TF-017",
    title: "Application load balancer does not drop invalid HTTP headers",
    severity: "low",
    rationale:
      "Headers with invalid names are passed to targets by default; back ends that parse them differently from the load balancer can be attacked with HTTP request smuggling and desync.",
    remediation: "Set drop_invalid_header_fields = true on the aws_lb.",
    references: [
      `${AWS_DOCS}lb#drop_invalid_header_fields`,
      "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-attributes",
    ],
  }),
  check(model, report) {
    for (const lb of ofType(model, "aws_lb", "aws_alb")) {
      const type = text(lb, "load_balancer_type");
      if (!type || (type.value ?? "application") !== "application") continue;
      const drop = flag(lb, "drop_invalid_header_fields", false);
      if (drop && !drop.value)
        reportOn(report, lb, `${lb.address} passes invalid header fields on to its targets`, drop.at);
    }
  },
};

const STRONG_TLS_POLICY = /TLS13-1-[23]|TLS-1-2|FS-1-2/;

const listenerTlsPolicy: TfRule = {
  ...tf({
    id: "TF-018",
    title: "Load balancer listener allows TLS versions older than 1.2",
    severity: "medium",
    rationale:
      "Security policies such as ELBSecurityPolicy-2016-08 still negotiate TLS 1.0 and 1.1, which are deprecated (RFC 8996) and let downgrade attacks weaken the encryption of every connection.",
    remediation:
      "Set ssl_policy to a TLS 1.2+ policy such as ELBSecurityPolicy-TLS13-1-2-2021-06 (or ELBSecurityPolicy-TLS13-1-2-Res-2021-06 for strict forward secrecy).",
    references: [
      `${AWS_DOCS}lb_listener#ssl_policy`,
      "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html",
      "https://www.rfc-editor.org/rfc/rfc8996",
    ],
  }),
  check(model, report) {
    for (const listener of ofType(model, ...LISTENER_TYPES)) {
      const protocol = text(listener, "protocol");
      if (!protocol?.value || !["HTTPS", "TLS"].includes(protocol.value.toUpperCase())) continue;
      const policy = text(listener, "ssl_policy");
      if (policy?.value === undefined || STRONG_TLS_POLICY.test(policy.value)) continue;
      reportOn(
        report,
        listener,
        `${listener.address} uses ${policy.value}, which allows TLS 1.0/1.1`,
        policy.at,
      );
    }
  },
};

export const networkRules: TfRule[] = [
  adminPortRule("TF-008", 22, "SSH"),
  adminPortRule("TF-009", 3389, "RDP"),
  sgAllTraffic,
  exposedInstance,
  defaultSecurityGroup,
  vpcFlowLogs,
  subnetPublicIp,
  naclAdminPorts,
  httpListener,
  dropInvalidHeaders,
  listenerTlsPolicy,
];
