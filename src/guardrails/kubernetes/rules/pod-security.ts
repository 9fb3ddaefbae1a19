/**
 * Container security contexts, following the Pod Security Standards (baseline and restricted
 * profiles) and section 5.2 of the CIS Kubernetes Benchmark.
 */
import { at, bool, items, num, pairOf, str, text } from "../yaml-tree.js";
import {
  containerAnchor,
  containerReport,
  defineRule,
  effectiveSetting,
  forEachContainer,
  forEachLinuxContainer,
  NSA_HARDENING,
  PSS,
  reportSpan,
  SECURITY_CONTEXT,
  type K8sRule,
} from "./common.js";

const privileged = defineRule(
  {
    id: "K8S-001",
    title: "Container runs privileged",
    severity: "high",
    rationale:
      "A privileged container has every capability and access to all host devices; escaping to the node is trivial, so one compromised process owns the node and every pod on it.",
    remediation:
      "Remove `securityContext.privileged: true`. Grant only the specific capabilities or devices the process needs.",
    references: [PSS, SECURITY_CONTEXT, "CIS Kubernetes Benchmark 5.2.2"],
  },
  (model, report) =>
    forEachContainer(model, (workload, container) => {
      const pair = pairOf(at(container.node, "securityContext"), "privileged");
      if (pair && bool(pair.value) === true)
        report(
          containerReport(
            workload,
            container,
            "runs privileged, with full access to the node",
            reportSpan(pair),
          ),
        );
    }),
);

const privilegeEscalation = defineRule(
  {
    id: "K8S-002",
    title: "Container allows privilege escalation",
    severity: "medium",
    rationale:
      "Unless allowPrivilegeEscalation is false, a setuid binary or file capability inside the image lets a process gain more privileges than it started with (no_new_privs is not set).",
    remediation: "Set `securityContext.allowPrivilegeEscalation: false` on every container.",
    references: [PSS, SECURITY_CONTEXT, "CIS Kubernetes Benchmark 5.2.6"],
  },
  (model, report) =>
    forEachLinuxContainer(model, (workload, container) => {
      const pair = pairOf(at(container.node, "securityContext"), "allowPrivilegeEscalation");
      if (pair && bool(pair.value) === false) return;
      report(
        containerReport(
          workload,
          container,
          pair
            ? "sets allowPrivilegeEscalation to true"
            : "does not set securityContext.allowPrivilegeEscalation: false",
          pair ? reportSpan(pair) : containerAnchor(container, "securityContext"),
        ),
      );
    }),
);

const runAsNonRoot = defineRule(
  {
    id: "K8S-003",
    title: "Container may run as root",
    severity: "medium",
    rationale:
      "Without runAsNonRoot (or a non-zero runAsUser) the container runs as whatever user the image says, usually root; a container escape or a writable host mount then acts as root on the node.",
    remediation:
      "Set `securityContext.runAsNonRoot: true` on the pod or the container (the container's value wins), and build the image with a non-root USER.",
    references: [PSS, SECURITY_CONTEXT, "CIS Kubernetes Benchmark 5.2.7"],
  },
  (model, report) =>
    forEachLinuxContainer(model, (workload, container) => {
      const nonRoot = effectiveSetting(workload, container, "runAsNonRoot");
      if (nonRoot && bool(nonRoot.pair.value) === true) return;
      const user = effectiveSetting(workload, container, "runAsUser");
      if (user && (num(user.pair.value) ?? 0) > 0) return;
      const where = nonRoot ? ` (runAsNonRoot is false at ${nonRoot.level} level)` : "";
      report(
        containerReport(
          workload,
          container,
          `may run as root: runAsNonRoot is not true and runAsUser is not a non-zero UID${where}`,
          nonRoot ? reportSpan(nonRoot.pair) : containerAnchor(container, "securityContext"),
        ),
      );
    }),
);

const runAsRootUser = defineRule(
  {
    id: "K8S-004",
    title: "Container runs as UID 0",
    severity: "high",
    rationale:
      "runAsUser: 0 runs the process as root explicitly, overriding the image's USER; any escape or host mount acts with root's rights.",
    remediation:
      "Set runAsUser to a non-zero UID the image supports (for example 10001) and runAsNonRoot: true.",
    references: [PSS, SECURITY_CONTEXT, "CIS Kubernetes Benchmark 5.2.7"],
  },
  (model, report) =>
    forEachContainer(model, (workload, container) => {
      const user = effectiveSetting(workload, container, "runAsUser");
      if (user && num(user.pair.value) === 0)
        report(
          containerReport(
            workload,
            container,
            `runs as root: runAsUser is 0 at ${user.level} level`,
            reportSpan(user.pair),
          ),
        );
    }),
);

const readOnlyRoot = defineRule(
  {
    id: "K8S-005",
    title: "Container root filesystem is writable",
    severity: "low",
    rationale:
      "A writable root filesystem lets an attacker drop tools, modify binaries and persist inside the container; an immutable filesystem also makes drift visible.",
    remediation:
      "Set `securityContext.readOnlyRootFilesystem: true` and mount an emptyDir for the paths the process writes (e.g. /tmp).",
    references: [
      SECURITY_CONTEXT,
      "https://kubernetes.io/docs/concepts/security/security-checklist/",
      NSA_HARDENING,
    ],
  },
  (model, report) =>
    forEachLinuxContainer(model, (workload, container) => {
      const pair = pairOf(at(container.node, "securityContext"), "readOnlyRootFilesystem");
      if (pair && bool(pair.value) === true) return;
      report(
        containerReport(
          workload,
          container,
          "does not set securityContext.readOnlyRootFilesystem: true",
          pair ? reportSpan(pair) : containerAnchor(container, "securityContext"),
        ),
      );
    }),
);

const dropAll = defineRule(
  {
    id: "K8S-006",
    title: "Container does not drop all capabilities",
    severity: "low",
    rationale:
      "Container runtimes grant a default set of Linux capabilities (CHOWN, SETUID, NET_RAW on some runtimes, ...) that most processes never use; each one widens what a compromised process can do.",
    remediation:
      "Set `securityContext.capabilities.drop: [ALL]` and add back only what is needed (usually nothing, or NET_BIND_SERVICE).",
    references: [PSS, SECURITY_CONTEXT, "CIS Kubernetes Benchmark 5.2.9"],
  },
  (model, report) =>
    forEachLinuxContainer(model, (workload, container) => {
      const drop = at(container.node, "securityContext", "capabilities", "drop");
      if (items(drop).some((item) => text(item)?.toUpperCase() === "ALL")) return;
      report(
        containerReport(
          workload,
          container,
          "does not drop ALL capabilities",
          containerAnchor(container, "securityContext", "capabilities", "drop"),
        ),
      );
    }),
);

/** The capabilities the baseline Pod Security Standard allows adding. */
const BASELINE_CAPABILITIES = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);

const dangerousCapabilities = defineRule(
  {
    id: "K8S-007",
    title: "Container adds a dangerous capability",
    severity: "high",
    rationale:
      "Capabilities outside the baseline set (SYS_ADMIN, NET_ADMIN, NET_RAW, SYS_PTRACE, SYS_MODULE, ...) give kernel-level powers: mounting filesystems, reconfiguring or spoofing the network, reading other processes' memory, loading kernel modules.",
    remediation:
      "Remove the capability from `securityContext.capabilities.add`; if the workload truly needs it, isolate it on dedicated nodes and suppress with a reason.",
    references: [PSS, SECURITY_CONTEXT, "CIS Kubernetes Benchmark 5.2.8", "CIS Kubernetes Benchmark 5.2.9"],
  },
  (model, report) =>
    forEachContainer(model, (workload, container) => {
      for (const item of items(at(container.node, "securityContext", "capabilities", "add"))) {
        const name = text(item)?.toUpperCase().replace(/^CAP_/, "");
        if (name === undefined || BASELINE_CAPABILITIES.has(name)) continue;
        report(containerReport(workload, container, `adds capability ${name}`, item.span));
      }
    }),
);

const seccomp = defineRule(
  {
    id: "K8S-021",
    title: "Container runs without a seccomp profile",
    severity: "medium",
    rationale:
      "Without a seccomp profile (Unconfined is the kubelet default) every system call is available to the container, including the ones most kernel exploits rely on.",
    remediation:
      "Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod (or Localhost with a profile), and never Unconfined.",
    references: [
      PSS,
      "https://kubernetes.io/docs/tutorials/security/seccomp/",
      "CIS Kubernetes Benchmark 5.7.2",
    ],
  },
  (model, report) =>
    forEachLinuxContainer(model, (workload, container) => {
      const setting = effectiveSetting(workload, container, "seccompProfile", "type");
      const type = str(setting?.pair.value);
      if (type === "RuntimeDefault" || type === "Localhost") return;
      if (!setting) {
        // The annotations that preceded the field (removed in 1.27) still say what was meant.
        const annotations = at(workload.podMeta, "annotations");
        const legacy =
          str(at(annotations, `container.seccomp.security.alpha.kubernetes.io/${container.name}`)) ??
          str(at(annotations, "seccomp.security.alpha.kubernetes.io/pod"));
        if (legacy && legacy !== "unconfined") return;
      }
      report(
        containerReport(
          workload,
          container,
          setting
            ? `uses seccomp profile ${type ?? "(unset)"}`
            : "has no seccomp profile (RuntimeDefault or Localhost)",
          setting ? reportSpan(setting.pair) : containerAnchor(container, "securityContext"),
        ),
      );
    }),
);

const appArmor = defineRule(
  {
    id: "K8S-022",
    title: "Container AppArmor profile is unconfined",
    severity: "medium",
    rationale:
      "An unconfined AppArmor profile removes the mandatory access control the runtime's default profile applies (no writes to /proc/sys, no mounts), a layer that stops many escapes.",
    remediation:
      "Remove the Unconfined profile so the runtime default applies, or set `appArmorProfile.type: RuntimeDefault` / Localhost.",
    references: [PSS, "https://kubernetes.io/docs/tutorials/security/apparmor/"],
  },
  (model, report) =>
    forEachLinuxContainer(model, (workload, container) => {
      const setting = effectiveSetting(workload, container, "appArmorProfile", "type");
      if (str(setting?.pair.value) === "Unconfined" && setting) {
        report(
          containerReport(
            workload,
            container,
            "runs with AppArmor profile Unconfined",
            reportSpan(setting.pair),
          ),
        );
        return;
      }
      const annotation = pairOf(
        at(workload.podMeta, "annotations"),
        `container.apparmor.security.beta.kubernetes.io/${container.name}`,
      );
      if (annotation && str(annotation.value) === "unconfined")
        report(
          containerReport(
            workload,
            container,
            "runs with AppArmor profile unconfined",
            reportSpan(annotation),
          ),
        );
    }),
);

const procMount = defineRule(
  {
    id: "K8S-027",
    title: "Container mounts /proc unmasked",
    severity: "high",
    rationale:
      "procMount: Unmasked exposes the /proc paths the runtime normally masks (kcore, sysrq-trigger, ...), information and controls that help escape to the host.",
    remediation: "Remove `securityContext.procMount` or set it to Default.",
    references: [PSS, SECURITY_CONTEXT],
  },
  (model, report) =>
    forEachLinuxContainer(model, (workload, container) => {
      const pair = pairOf(at(container.node, "securityContext"), "procMount");
      if (pair && str(pair.value) === "Unmasked")
        report(containerReport(workload, container, "mounts /proc unmasked", reportSpan(pair)));
    }),
);

const hostProcess = defineRule(
  {
    id: "K8S-030",
    title: "Windows container runs as a host process",
    severity: "high",
    rationale:
      "A Windows HostProcess container runs directly on the node with the node's network and file system, equivalent to privileged access to the host.",
    remediation:
      "Remove `windowsOptions.hostProcess: true`; run node-level agents only from dedicated, reviewed manifests.",
    references: [
      PSS,
      "https://kubernetes.io/docs/tasks/configure-pod-container/create-hostprocess-pod/",
      "CIS Kubernetes Benchmark 5.2.11",
    ],
  },
  (model, report) =>
    forEachContainer(model, (workload, container) => {
      const setting = effectiveSetting(workload, container, "windowsOptions", "hostProcess");
      if (setting && bool(setting.pair.value) === true)
        report(
          containerReport(
            workload,
            container,
            `runs as a Windows host process (set at ${setting.level} level)`,
            reportSpan(setting.pair),
          ),
        );
    }),
);

export const podSecurityRules: readonly K8sRule[] = [
  privileged,
  privilegeEscalation,
  runAsNonRoot,
  runAsRootUser,
  readOnlyRoot,
  dropAll,
  dangerousCapabilities,
  seccomp,
  appArmor,
  procMount,
  hostProcess,
];
