import { describe, expect, it } from "vitest";
import { kubernetesScanner } from "../../../src/guardrails/kubernetes/index.js";
import { scanFiles } from "./scan-helper.js";

function deployment(annotations: string, containerComment = ""): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: agent
  namespace: ops
${annotations}spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      hostNetwork: true
      containers:
${containerComment}        - name: agent
          image: ghcr.io/acme/agent:1.0.0
          securityContext:
            privileged: true
        - name: sidecar
          image: ghcr.io/acme/sidecar:1.0.0
          securityContext:
            privileged: true
`;
}

const RULES = ["K8S-001", "K8S-008"];

describe("slipway.dev/ignore annotations", () => {
  it("silence the listed rules on the whole object, containers included, with one reason each", async () => {
    const result = await scanFiles(
      kubernetesScanner,
      {
        "agent.yaml": deployment(
          '  annotations:\n    slipway.dev/ignore: "K8S-001 the agent tunes the kernel; K8S-008 reads node traffic"\n',
        ),
      },
      { rules: RULES },
    );
    expect(result.findings).toEqual([]);
    expect(result.suppressed.map((s) => `${s.finding.ruleId} ${s.reason}`).sort()).toEqual([
      "K8S-001 the agent tunes the kernel",
      "K8S-001 the agent tunes the kernel",
      "K8S-008 reads node traffic",
    ]);
  });

  it("stop applying after their expiry date, with a note", async () => {
    const result = await scanFiles(
      kubernetesScanner,
      {
        "agent.yaml": deployment(
          '  annotations:\n    slipway.dev/ignore: "K8S-001,K8S-008 expires=2025-12-31 until the eBPF agent ships"\n',
        ),
      },
      { rules: RULES, today: "2026-01-01" },
    );
    expect(result.findings.map((f) => f.ruleId).sort()).toEqual(["K8S-001", "K8S-001", "K8S-008"]);
    expect(result.notes).toEqual(
      expect.arrayContaining([expect.stringContaining("slipway:ignore K8S-001 expired on 2025-12-31")]),
    );
    const before = await scanFiles(
      kubernetesScanner,
      {
        "agent.yaml": deployment(
          '  annotations:\n    slipway.dev/ignore: "K8S-001,K8S-008 expires=2025-12-31 until the eBPF agent ships"\n',
        ),
      },
      { rules: RULES, today: "2025-06-01" },
    );
    expect(before.findings).toEqual([]);
  });

  it("report malformed entries as diagnostics at the annotation", async () => {
    const result = await scanFiles(
      kubernetesScanner,
      {
        "agent.yaml": deployment(
          '  annotations:\n    slipway.dev/ignore: "K8S-001; K8S-008 expires=tomorrow x"\n',
        ),
      },
      { rules: RULES },
    );
    expect(result.diagnostics.map((d) => [d.span.line, d.message])).toEqual([
      [7, "slipway.dev/ignore: slipway:ignore K8S-001 needs a reason"],
      [7, "slipway.dev/ignore: slipway:ignore expects expires=YYYY-MM-DD, found expires=tomorrow"],
    ]);
    expect(result.findings).toHaveLength(3);
  });
});

describe("# slipway:ignore comments", () => {
  it("above a document cover all of it", async () => {
    const result = await scanFiles(
      kubernetesScanner,
      { "agent.yaml": `---\n# slipway:ignore K8S-001,K8S-008 node agent\n${deployment("")}` },
      { rules: RULES },
    );
    expect(result.findings).toEqual([]);
    expect(result.suppressed).toHaveLength(3);
  });

  it("above a container cover only that container", async () => {
    const result = await scanFiles(
      kubernetesScanner,
      { "agent.yaml": deployment("", "        # slipway:ignore K8S-001 the agent needs it\n") },
      { rules: RULES },
    );
    expect(result.findings.map((f) => f.message)).toEqual([
      "Deployment/ops/agent: pod sets hostNetwork: true",
      "Deployment/ops/agent container sidecar: runs privileged, with full access to the node",
    ]);
  });

  it("above a key cover that key only, and an expired one is reported as such", async () => {
    const text = deployment("").replace(
      "      hostNetwork: true\n",
      "      # slipway:ignore K8S-008 expires=2025-01-31 migration\n      hostNetwork: true\n",
    );
    const live = await scanFiles(
      kubernetesScanner,
      { "agent.yaml": text },
      { rules: ["K8S-008"], today: "2025-01-01" },
    );
    expect(live.findings).toEqual([]);
    const expired = await scanFiles(
      kubernetesScanner,
      { "agent.yaml": text },
      { rules: ["K8S-008"], today: "2025-02-01" },
    );
    expect(expired.findings.map((f) => f.ruleId)).toEqual(["K8S-008"]);
    expect(expired.expiredSuppressions).toHaveLength(1);
  });
});
