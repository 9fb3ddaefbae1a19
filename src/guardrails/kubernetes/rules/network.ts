/**
 * How pods are reached: Services, Ingresses and NetworkPolicies. The last two rules read the
 * objects of a namespace together (a Service and the pods it selects, a namespace and its
 * policies), which is why Kubernetes files are scanned as one model rather than one by one.
 */
import {
  describeNamespace,
  mapSelectorMatches,
  namespaceOf,
  labelSelector,
  objectsOfKind,
  stringMap,
  type LabelMatcher,
  type K8sModel,
  type K8sObject,
  type Workload,
} from "../model.js";
import { at, items, pairOf, reportSpan, str, text } from "../yaml-tree.js";
import { defineRule, NSA_HARDENING, objectReport, type K8sRule } from "./common.js";

const SERVICE_DOCS = "https://kubernetes.io/docs/concepts/services-networking/service/";

const nodePort = defineRule(
  {
    id: "K8S-031",
    title: "Service is exposed on every node's port",
    severity: "low",
    rationale:
      "A NodePort Service opens the port on every node's address, outside any ingress controller or load balancer policy; firewalls in front of nodes are then the only control.",
    remediation:
      "Use a ClusterIP Service behind an Ingress or Gateway, or a LoadBalancer restricted to known source ranges.",
    references: [SERVICE_DOCS + "#type-nodeport", NSA_HARDENING],
  },
  (model, report) => {
    for (const service of objectsOfKind(model, "Service")) {
      const type = pairOf(at(service.root, "spec"), "type");
      if (type && str(type.value) === "NodePort")
        report(objectReport(service, "is of type NodePort, open on every node", reportSpan(type)));
    }
  },
);

/** Annotations that make a cloud load balancer internal (AWS, GCP, Azure, OCI, Alibaba). */
const INTERNAL_LB: readonly [string, RegExp][] = [
  ["service.beta.kubernetes.io/aws-load-balancer-internal", /^(true|0\.0\.0\.0\/0)$/i],
  ["service.beta.kubernetes.io/aws-load-balancer-scheme", /^internal$/i],
  ["networking.gke.io/load-balancer-type", /^internal$/i],
  ["cloud.google.com/load-balancer-type", /^internal$/i],
  ["service.beta.kubernetes.io/azure-load-balancer-internal", /^true$/i],
  ["service.beta.kubernetes.io/oci-load-balancer-internal", /^true$/i],
  ["service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type", /^intranet$/i],
];

const openLoadBalancer = defineRule(
  {
    id: "K8S-032",
    title: "LoadBalancer Service accepts traffic from any address",
    severity: "low",
    rationale:
      "A public LoadBalancer without loadBalancerSourceRanges accepts connections from the whole internet; services meant for partners, offices or other clusters are exposed to everyone.",
    remediation:
      "Set `spec.loadBalancerSourceRanges` to the CIDRs that need access, or make the load balancer internal with your cloud's annotation.",
    references: [
      SERVICE_DOCS + "#loadbalancer",
      "https://kubernetes.io/docs/tasks/access-application-cluster/configure-cloud-provider-firewall/",
    ],
  },
  (model, report) => {
    for (const service of objectsOfKind(model, "Service")) {
      const spec = at(service.root, "spec");
      const type = pairOf(spec, "type");
      if (!type || str(type.value) !== "LoadBalancer") continue;
      if (items(at(spec, "loadBalancerSourceRanges")).length > 0) continue;
      const annotations = stringMap(at(service.root, "metadata", "annotations"));
      if (INTERNAL_LB.some(([key, value]) => value.test(annotations.get(key) ?? ""))) continue;
      report(objectReport(service, "is a LoadBalancer open to any source address", reportSpan(type)));
    }
  },
);

const externalIPs = defineRule(
  {
    id: "K8S-033",
    title: "Service sets externalIPs",
    severity: "medium",
    rationale:
      "externalIPs make kube-proxy capture traffic to those addresses on every node; anyone who can create Services can intercept traffic meant for other destinations (CVE-2020-8554).",
    remediation:
      "Remove externalIPs and use a LoadBalancer or Ingress; block the field cluster-wide with the DenyServiceExternalIPs admission plugin or a policy.",
    references: [
      SERVICE_DOCS + "#external-ips",
      "https://github.com/kubernetes/kubernetes/issues/97076",
      "CVE-2020-8554",
    ],
  },
  (model, report) => {
    for (const service of objectsOfKind(model, "Service")) {
      const pair = pairOf(at(service.root, "spec"), "externalIPs");
      if (!pair || items(pair.value).length === 0) continue;
      const addresses = items(pair.value).map((item) => text(item) ?? "?");
      report(objectReport(service, `sets externalIPs ${addresses.join(", ")}`, pair.keySpan));
    }
  },
);

function hostCovered(host: string, tlsHosts: readonly string[]): boolean {
  return tlsHosts.some(
    (tls) =>
      tls === host ||
      (tls.startsWith("*.") && host.endsWith(tls.slice(1)) && !host.slice(0, -tls.length + 1).includes(".")),
  );
}

const ingressTls = defineRule(
  {
    id: "K8S-034",
    title: "Ingress serves traffic without TLS",
    severity: "medium",
    rationale:
      "Without a tls section the Ingress serves plain HTTP: credentials, cookies and data cross the network readable and modifiable by anyone on the path.",
    remediation:
      "Add `spec.tls` with a certificate Secret (for example issued by cert-manager) covering every host of the rules.",
    references: ["https://kubernetes.io/docs/concepts/services-networking/ingress/#tls", NSA_HARDENING],
  },
  (model, report) => {
    for (const ingress of objectsOfKind(model, "Ingress")) {
      const spec = pairOf(ingress.root, "spec");
      const tls = items(at(spec?.value, "tls"));
      if (tls.length === 0) {
        report(
          objectReport(ingress, "has no tls section, so it serves plain HTTP", spec?.keySpan ?? ingress.span),
        );
        continue;
      }
      const tlsHosts = tls.flatMap((entry) => items(at(entry, "hosts")).flatMap((h) => text(h) ?? []));
      // A tls entry without hosts applies the certificate to every host.
      if (tls.some((entry) => items(at(entry, "hosts")).length === 0)) continue;
      for (const rule of items(at(spec?.value, "rules"))) {
        const host = pairOf(rule, "host");
        const name = str(host?.value);
        if (host && name !== undefined && !hostCovered(name, tlsHosts))
          report(objectReport(ingress, `host ${name} is not covered by any tls entry`, reportSpan(host)));
      }
    }
  },
);

function workloadsByNamespace(model: K8sModel): Map<string, Workload[]> {
  const out = new Map<string, Workload[]>();
  for (const workload of model.workloads) {
    const namespace = namespaceOf(workload.object);
    const list = out.get(namespace) ?? [];
    list.push(workload);
    out.set(namespace, list);
  }
  return out;
}

const serviceSelector = defineRule(
  {
    id: "K8S-042",
    title: "Service selects no pods of its namespace",
    severity: "low",
    rationale:
      "A Service whose selector matches no pod template sends its traffic nowhere: often a label typo that breaks the application, or a leftover that a later, unrelated workload silently starts receiving.",
    remediation:
      "Make the Service's selector equal the labels of the pod template it fronts, or remove the Service.",
    references: [
      SERVICE_DOCS + "#defining-a-service",
      "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/",
    ],
  },
  (model, report) => {
    const byNamespace = workloadsByNamespace(model);
    // Pod templates by namespace and label, so each Service looks only at candidates.
    const byLabel = new Map<string, Workload[]>();
    for (const workload of model.workloads)
      for (const [key, value] of workload.labels) {
        const index = `${namespaceOf(workload.object)}\0${key}\0${value}`;
        const list = byLabel.get(index);
        if (list) list.push(workload);
        else byLabel.set(index, [workload]);
      }
    for (const service of objectsOfKind(model, "Service")) {
      const spec = at(service.root, "spec");
      if (str(at(spec, "type")) === "ExternalName") continue;
      const selectorPair = pairOf(spec, "selector");
      const selector = stringMap(selectorPair?.value);
      if (!selectorPair || selector.size === 0) continue;
      const namespace = namespaceOf(service);
      // Only a namespace whose workloads are in the scan can be judged; others are deployed elsewhere.
      if (!byNamespace.has(namespace)) continue;
      const [firstKey, firstValue] = [...selector][0] ?? ["", ""];
      const candidates = byLabel.get(`${namespace}\0${firstKey}\0${firstValue}`) ?? [];
      if (candidates.some((w) => mapSelectorMatches(selector, w.labels))) continue;
      const wanted = [...selector].map(([k, v]) => `${k}=${v}`).join(",");
      report(
        objectReport(
          service,
          `selector ${wanted} matches no pod template in ${describeNamespace(namespace)}`,
          selectorPair.keySpan,
        ),
      );
    }
  },
);

const networkPolicy = defineRule(
  {
    id: "K8S-043",
    title: "Namespace pods are not covered by a NetworkPolicy",
    severity: "medium",
    rationale:
      "Pods not selected by any NetworkPolicy accept connections from every pod in the cluster and can reach anything: one compromised workload can move laterally to databases and internal APIs.",
    remediation:
      "Add a default-deny NetworkPolicy to the namespace (`podSelector: {}` with policyTypes Ingress and Egress) and policies that allow the traffic each workload needs.",
    references: [
      "https://kubernetes.io/docs/concepts/services-networking/network-policies/",
      "CIS Kubernetes Benchmark 5.3.2",
      NSA_HARDENING,
    ],
  },
  (model, report) => {
    const byNamespace = workloadsByNamespace(model);
    const declared = new Map<string, K8sObject>();
    for (const namespace of objectsOfKind(model, "Namespace"))
      if (namespace.name) declared.set(namespace.name, namespace);
    const policies = new Map<string, LabelMatcher[]>();
    for (const policy of objectsOfKind(model, "NetworkPolicy")) {
      const list = policies.get(namespaceOf(policy)) ?? [];
      list.push(labelSelector(at(policy.root, "spec", "podSelector")));
      policies.set(namespaceOf(policy), list);
    }
    for (const namespace of new Set([...declared.keys(), ...byNamespace.keys()])) {
      const inNamespace = policies.get(namespace) ?? [];
      const workloads = byNamespace.get(namespace) ?? [];
      if (inNamespace.length === 0) {
        const object = declared.get(namespace);
        const first = workloads[0]?.object;
        const anchor = object ?? first;
        if (!anchor) continue;
        const namePair = object
          ? pairOf(at(object.root, "metadata"), "name")
          : (pairOf(at(anchor.root, "metadata"), "namespace") ?? pairOf(at(anchor.root, "metadata"), "name"));
        report({
          ...objectReport(
            anchor,
            `${describeNamespace(namespace)} has no NetworkPolicy: its pods accept traffic from any pod in the cluster`,
            namePair ? reportSpan(namePair) : anchor.span,
          ),
          resource: namespace === "" ? anchor.address : `Namespace/${namespace}`,
        });
        continue;
      }
      for (const workload of workloads) {
        if (inNamespace.some((selects) => selects(workload.labels))) continue;
        const labels = pairOf(at(workload.podMeta, "labels"), "app") ?? pairOf(workload.podMeta, "labels");
        report(
          objectReport(
            workload.object,
            `its pods are not selected by any NetworkPolicy of ${describeNamespace(namespace)}`,
            labels ? labels.keySpan : workload.podSpecKey,
          ),
        );
      }
    }
  },
);

export const networkRules: readonly K8sRule[] = [
  nodePort,
  openLoadBalancer,
  externalIPs,
  ingressTls,
  serviceSelector,
  networkPolicy,
];
