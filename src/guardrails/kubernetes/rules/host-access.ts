/**
 * Pod settings that share the node's namespaces, files or ports with the pod: each one turns a
 * compromised container into a foothold on the node (Pod Security Standards, baseline profile).
 */
import type { Reporter } from "../../model.js";
import type { K8sModel, Workload } from "../model.js";
import { at, bool, items, num, pairOf, str, text } from "../yaml-tree.js";
import {
  containerReport,
  defineRule,
  forEachContainer,
  objectReport,
  PSS,
  reportSpan,
  type K8sRule,
} from "./common.js";

function hostNamespaceRule(
  id: string,
  key: "hostNetwork" | "hostPID" | "hostIPC",
  title: string,
  rationale: string,
  cis: string,
): K8sRule {
  return defineRule(
    {
      id,
      title,
      severity: "high",
      rationale,
      remediation: `Remove \`${key}: true\` from the pod spec.`,
      references: [PSS, `CIS Kubernetes Benchmark ${cis}`],
    },
    (model: K8sModel, report: Reporter) => {
      for (const workload of model.workloads) {
        const pair = pairOf(workload.podSpec, key);
        if (pair && bool(pair.value) === true)
          report(objectReport(workload.object, `pod sets ${key}: true`, reportSpan(pair)));
      }
    },
  );
}

const hostNetwork = hostNamespaceRule(
  "K8S-008",
  "hostNetwork",
  "Pod shares the node's network namespace",
  "With hostNetwork the pod sees every interface of the node, can bind node ports, sniff traffic and reach services that listen on localhost only (the kubelet, cloud metadata), bypassing NetworkPolicies.",
  "5.2.5",
);
const hostPID = hostNamespaceRule(
  "K8S-009",
  "hostPID",
  "Pod shares the node's process namespace",
  "With hostPID the pod sees every process on the node, can read their environment and, with ptrace, inject into them, including other pods' processes and the kubelet.",
  "5.2.3",
);
const hostIPC = hostNamespaceRule(
  "K8S-010",
  "hostIPC",
  "Pod shares the node's IPC namespace",
  "With hostIPC the pod can read and write the shared memory and message queues of every process on the node.",
  "5.2.4",
);

interface HostPathVolume {
  workload: Workload;
  path: string | undefined;
  pair: NonNullable<ReturnType<typeof pairOf>>;
}

function hostPathVolumes(model: K8sModel): HostPathVolume[] {
  const out: HostPathVolume[] = [];
  for (const workload of model.workloads)
    for (const volume of items(at(workload.podSpec, "volumes"))) {
      const pair = pairOf(volume, "hostPath");
      if (pair) out.push({ workload, path: str(at(pair.value, "path")), pair });
    }
  return out;
}

const hostPath = defineRule(
  {
    id: "K8S-011",
    title: "Pod mounts a hostPath volume",
    severity: "medium",
    rationale:
      "A hostPath volume exposes part of the node's file system to the pod; writable mounts let a container plant files the node executes, and reads leak other pods' data and credentials.",
    remediation:
      "Use emptyDir, a ConfigMap/Secret or a PersistentVolumeClaim instead; if a node agent truly needs it, mount it readOnly and as narrowly as possible.",
    references: [
      PSS,
      "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
      "CIS Kubernetes Benchmark 5.2.12",
    ],
  },
  (model, report) => {
    for (const { workload, path, pair } of hostPathVolumes(model))
      report(objectReport(workload.object, `mounts host path ${path ?? "(unset)"}`, pair.keySpan));
  },
);

/** Container runtime sockets: whoever can talk to them can start privileged containers. */
const RUNTIME_SOCKETS = [
  "/var/run/docker.sock",
  "/run/docker.sock",
  "/var/run/containerd/containerd.sock",
  "/run/containerd/containerd.sock",
  "/var/run/crio/crio.sock",
  "/run/crio/crio.sock",
  "/var/run/cri-dockerd.sock",
  "/run/podman/podman.sock",
];

function exposesSocket(path: string): boolean {
  const normalized = path.length > 1 ? path.replace(/\/+$/, "") : path;
  return RUNTIME_SOCKETS.some(
    (socket) => socket === normalized || socket.startsWith(normalized === "/" ? "/" : `${normalized}/`),
  );
}

const runtimeSocket = defineRule(
  {
    id: "K8S-012",
    title: "Pod mounts the container runtime socket",
    severity: "critical",
    rationale:
      "Access to docker.sock, containerd.sock or crio.sock (or a directory holding them, such as /var/run or /) lets the pod start a privileged container on the node: full control of the node and its pods.",
    remediation:
      "Do not mount the runtime socket. Build images with rootless tools (BuildKit rootless, kaniko) and read node metrics through the kubelet or a dedicated agent.",
    references: [
      "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
      "https://docs.docker.com/engine/security/#docker-daemon-attack-surface",
      "CIS Kubernetes Benchmark 5.2.12",
    ],
  },
  (model, report) => {
    for (const { workload, path, pair } of hostPathVolumes(model)) {
      if (path === undefined || !exposesSocket(path)) continue;
      const pathPair = pairOf(pair.value, "path");
      report(
        objectReport(
          workload.object,
          `mounts ${path}, which exposes the container runtime socket`,
          pathPair ? reportSpan(pathPair) : pair.keySpan,
        ),
      );
    }
  },
);

const hostPort = defineRule(
  {
    id: "K8S-013",
    title: "Container binds a host port",
    severity: "medium",
    rationale:
      "A hostPort opens the port on the node's own address, bypassing Services and NetworkPolicies, and pins the pod to nodes where the port is free.",
    remediation: "Remove `hostPort` and expose the container through a Service.",
    references: [
      PSS,
      "https://kubernetes.io/docs/concepts/configuration/overview/#services",
      "CIS Kubernetes Benchmark 5.2.13",
    ],
  },
  (model, report) =>
    forEachContainer(model, (workload, container) => {
      for (const port of items(at(container.node, "ports"))) {
        const pair = pairOf(port, "hostPort");
        if (pair && (num(pair.value) ?? 0) > 0)
          report(
            containerReport(
              workload,
              container,
              `binds host port ${text(pair.value) ?? ""}`,
              reportSpan(pair),
            ),
          );
      }
    }),
);

/** Sysctls the baseline Pod Security Standard allows: namespaced, and isolated per pod. */
const SAFE_SYSCTLS = new Set([
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
]);

const unsafeSysctls = defineRule(
  {
    id: "K8S-028",
    title: "Pod sets an unsafe sysctl",
    severity: "high",
    rationale:
      "Sysctls outside the safe set are not isolated between pods, or can starve the node; setting them can affect every other workload on the node or weaken kernel protections.",
    remediation:
      "Remove the sysctl, or set it on dedicated nodes through node configuration instead of the pod spec.",
    references: [PSS, "https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/"],
  },
  (model, report) => {
    for (const workload of model.workloads)
      for (const sysctl of items(at(workload.podSpec, "securityContext", "sysctls"))) {
        const pair = pairOf(sysctl, "name");
        const name = str(pair?.value);
        if (pair && name !== undefined && !SAFE_SYSCTLS.has(name))
          report(objectReport(workload.object, `sets unsafe sysctl ${name}`, reportSpan(pair)));
      }
  },
);

const shareProcessNamespace = defineRule(
  {
    id: "K8S-029",
    title: "Pod containers share one process namespace",
    severity: "low",
    rationale:
      "With shareProcessNamespace every container sees the others' processes, their environment and file systems under /proc/<pid>/root: a compromised sidecar can read the main container's secrets.",
    remediation: "Remove `shareProcessNamespace: true` unless a debugging or signalling sidecar needs it.",
    references: ["https://kubernetes.io/docs/tasks/configure-pod-container/share-process-namespace/"],
  },
  (model, report) => {
    for (const workload of model.workloads) {
      const pair = pairOf(workload.podSpec, "shareProcessNamespace");
      if (pair && bool(pair.value) === true)
        report(objectReport(workload.object, "pod sets shareProcessNamespace: true", reportSpan(pair)));
    }
  },
);

export const hostAccessRules: readonly K8sRule[] = [
  hostNetwork,
  hostPID,
  hostIPC,
  hostPath,
  runtimeSocket,
  hostPort,
  unsafeSysctls,
  shareProcessNamespace,
];
