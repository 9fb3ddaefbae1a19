/** Security groups and load balancer listeners: what is reachable, and how. */
import {
  child,
  isUnknown,
  listItems,
  prop,
  resourcesOfType,
  scalarText,
  type CfnModel,
  type CfnResource,
  type Found,
} from "../model.js";
import type { Reporter } from "../../model.js";
import { defineRule, from, resourceReport, typeDocs, type CfnRule } from "./common.js";

const ADMIN_PORTS: readonly [number, string][] = [
  [22, "SSH"],
  [3389, "RDP"],
];

function portNumber(found: Found | undefined): number | undefined {
  const text = scalarText(found?.value);
  return text === undefined || !/^-?\d+$/.test(text) ? undefined : Number(text);
}

function checkIngress(resource: CfnResource, rule: Found, report: Reporter): void {
  for (const [key, anywhere] of [
    ["CidrIp", "0.0.0.0/0"],
    ["CidrIpv6", "::/0"],
  ] as const) {
    const cidr = child(rule, key);
    if (!cidr || scalarText(cidr.value) !== anywhere) continue;
    const protocol = child(rule, "IpProtocol");
    const name = scalarText(protocol?.value)?.toLowerCase();
    if (name === undefined) continue;
    let exposed: string | undefined;
    if (name === "-1" || name === "all") exposed = "all ports";
    else {
      const fromPort = portNumber(child(rule, "FromPort"));
      const toPort = portNumber(child(rule, "ToPort")) ?? fromPort;
      if (fromPort === undefined || toPort === undefined) continue;
      if (fromPort === -1) exposed = "all ports";
      else {
        const hits = ADMIN_PORTS.filter(([port]) => fromPort <= port && port <= toPort);
        if (hits.length > 0)
          exposed = hits.map(([port, service]) => `port ${port} (${service})`).join(" and ");
      }
    }
    if (exposed)
      report(
        resourceReport(resource, `allows ingress from ${anywhere} to ${exposed}`, cidr.span, [
          ...from(cidr),
          ...from(protocol),
        ]),
      );
  }
}

const openIngress = defineRule(
  {
    id: "CFN-004",
    title: "Security group allows admin ports or all traffic from anywhere",
    severity: "high",
    rationale:
      "SSH and RDP open to 0.0.0.0/0 or ::/0 are scanned and brute-forced within minutes of creation; all ports open exposes every service on the instances, including ones never meant to be public.",
    remediation:
      "Restrict CidrIp to known ranges or a prefix list, or remove the rule and reach instances through SSM Session Manager or a bastion.",
    references: [typeDocs("AWS::EC2::SecurityGroup"), "CIS AWS Foundations 5.2", "CIS AWS Foundations 5.3"],
  },
  (model: CfnModel, report) => {
    for (const group of resourcesOfType(model, "AWS::EC2::SecurityGroup")) {
      const rules = prop(group, "SecurityGroupIngress");
      if (!rules || isUnknown(rules.value)) continue;
      for (const item of listItems(rules.value))
        checkIngress(group, { value: item, span: item.span }, report);
    }
    for (const ingress of resourcesOfType(model, "AWS::EC2::SecurityGroupIngress")) {
      if (!ingress.properties || isUnknown(ingress.properties)) continue;
      checkIngress(ingress, { value: ingress.properties, span: ingress.keySpan }, report);
    }
  },
);

/** Whether the load balancer a listener refers to is internal (not reachable from the internet). */
function internal(model: CfnModel, refs: readonly string[], file: string): boolean {
  const template = model.byFile.get(file);
  return refs.some((ref) => {
    const balancer = template?.byId.get(ref);
    return balancer !== undefined && scalarText(prop(balancer, "Scheme")?.value) === "internal";
  });
}

const httpListener = defineRule(
  {
    id: "CFN-015",
    title: "Load balancer listener serves plain HTTP",
    severity: "medium",
    rationale:
      "An internet-facing HTTP listener carries credentials, cookies and data unencrypted and unauthenticated between clients and the load balancer.",
    remediation:
      "Listen on HTTPS with a certificate and an ELBSecurityPolicy-TLS13 policy; keep port 80 only as a redirect to HTTPS.",
    references: [
      typeDocs("AWS::ElasticLoadBalancingV2::Listener"),
      "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html",
    ],
  },
  (model, report) => {
    for (const listener of resourcesOfType(model, "AWS::ElasticLoadBalancingV2::Listener")) {
      const protocol = prop(listener, "Protocol");
      if (!protocol || scalarText(protocol.value) !== "HTTP") continue;
      const actions = prop(listener, "DefaultActions");
      if (!actions || isUnknown(actions.value)) continue;
      const redirects = listItems(actions.value).some((action) => {
        const found = { value: action, span: action.span };
        return (
          scalarText(child(found, "Type")?.value) === "redirect" &&
          scalarText(child(found, "RedirectConfig.Protocol")?.value) === "HTTPS"
        );
      });
      if (redirects) continue;
      const balancer = prop(listener, "LoadBalancerArn");
      if (balancer && internal(model, balancer.value.refs, listener.file)) continue;
      report(
        resourceReport(listener, "serves HTTP without redirecting to HTTPS", protocol.span, from(protocol)),
      );
    }
    for (const balancer of resourcesOfType(model, "AWS::ElasticLoadBalancing::LoadBalancer")) {
      if (scalarText(prop(balancer, "Scheme")?.value) === "internal") continue;
      const listeners = prop(balancer, "Listeners");
      if (!listeners || isUnknown(listeners.value)) continue;
      for (const item of listItems(listeners.value)) {
        const protocol = child({ value: item, span: item.span }, "Protocol");
        if (protocol && scalarText(protocol.value)?.toUpperCase() === "HTTP")
          report(
            resourceReport(balancer, "has a listener serving plain HTTP", protocol.span, from(protocol)),
          );
      }
    }
  },
);

export const networkRules: readonly CfnRule[] = [openIngress, httpListener];
