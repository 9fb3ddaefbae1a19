import { describe, expect, it } from "vitest";
import { commentSuppressions } from "../../../src/guardrails/kubernetes/comment-suppressions.js";
import { at, bool, pairOf, parseYamlFile, text } from "../../../src/guardrails/kubernetes/yaml-tree.js";

describe("YAML tree positions", () => {
  const yaml = [
    "apiVersion: v1", // 1
    "kind: Pod", // 2
    "metadata:", // 3
    "  name: web", // 4
    "spec:", // 5
    "  containers:", // 6
    "    - name: app", // 7
    "      image: nginx:1.27", // 8
    "      securityContext:", // 9
    "        privileged: true", // 10
    "---", // 11
    "apiVersion: v1", // 12
    "kind: Service", // 13
    "metadata: { name: web }", // 14
    "",
  ].join("\n");

  it("gives every key, value and item its 1-based line and column", () => {
    const file = parseYamlFile("pod.yaml", yaml);
    expect(file.diagnostics).toEqual([]);
    expect(file.docs).toHaveLength(2);
    const pod = file.docs[0]?.root;
    const privileged = pairOf(at(pod, "spec", "containers", 0, "securityContext"), "privileged");
    expect(privileged?.keySpan).toMatchObject({ file: "pod.yaml", line: 10, column: 9 });
    expect(privileged?.span).toMatchObject({ line: 10, column: 9, endLine: 10, endColumn: 25 });
    expect(privileged?.value.span).toMatchObject({ line: 10, column: 21 });
    expect(at(pod, "spec", "containers", 0)?.span).toMatchObject({ line: 7, column: 7, endLine: 10 });
    expect(text(at(file.docs[1]?.root, "metadata", "name"))).toBe("web");
    expect(at(file.docs[1]?.root, "metadata", "name")?.span).toMatchObject({ line: 14, column: 19 });
  });

  it("ends a document's span at its last content line, not at the next document", () => {
    const file = parseYamlFile("pod.yaml", yaml);
    expect(file.docs[0]?.span).toMatchObject({ line: 1, column: 1, endLine: 10 });
    expect(file.docs[1]?.span).toMatchObject({ line: 12, endLine: 14 });
  });

  it("reads JSON with positions", () => {
    const json = '{\n\t"apiVersion": "v1",\n\t"kind": "Pod",\n\t"spec": {"hostNetwork": true}\n}\n';
    const file = parseYamlFile("pod.json", json);
    expect(file.diagnostics).toEqual([]);
    const pair = pairOf(at(file.docs[0]?.root, "spec"), "hostNetwork");
    expect(pair?.keySpan).toMatchObject({ line: 4, column: 11 });
    expect(bool(pair?.value)).toBe(true);
  });

  it("resolves anchors, aliases and merge keys", () => {
    const file = parseYamlFile(
      "x.yaml",
      "defaults: &ctx\n  runAsNonRoot: true\n  runAsUser: 1000\nctx:\n  <<: *ctx\n  runAsUser: 2000\ncopy: *ctx\n",
    );
    const ctx = at(file.docs[0]?.root, "ctx");
    expect(bool(at(ctx, "runAsNonRoot"))).toBe(true);
    expect(text(at(ctx, "runAsUser"))).toBe("2000");
    expect(text(at(file.docs[0]?.root, "copy", "runAsUser"))).toBe("1000");
  });

  it("turns syntax errors into positioned diagnostics and keeps the other documents", () => {
    const file = parseYamlFile("bad.yaml", "a: 1\n---\nkey: [unclosed\n---\nkind: Pod\n");
    expect(file.diagnostics.length).toBeGreaterThan(0);
    for (const d of file.diagnostics) expect(d.span.line).toBeGreaterThan(0);
    expect(file.docs.map((d) => d.root !== undefined)).toEqual([true, false, true]);
  });

  it("reports duplicate keys, which kubectl rejects", () => {
    const file = parseYamlFile("dup.yaml", "kind: Pod\nkind: Service\n");
    expect(file.diagnostics[0]).toMatchObject({ span: { line: 2 } });
  });

  it("accepts YAML 1.1 booleans as Kubernetes decodes them", () => {
    const file = parseYamlFile("x.yaml", "a: yes\nb: off\nc: 'true'\nd: maybe\n");
    const root = file.docs[0]?.root;
    expect([bool(at(root, "a")), bool(at(root, "b")), bool(at(root, "c")), bool(at(root, "d"))]).toEqual([
      true,
      false,
      true,
      undefined,
    ]);
  });

  it("stops alias expansion bombs with a diagnostic instead of running out of memory", () => {
    const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    const file = parseYamlFile("bomb.yaml", lines.join("\n") + "\n");
    // Shared nodes are built once, so the tree stays small even though it denotes 10^8 values.
    expect(file.docs[0]?.root).toBeDefined();
  });
});

describe("slipway:ignore comments", () => {
  const yaml = [
    "# slipway:ignore K8S-001 whole document", // 1
    "apiVersion: v1", // 2
    "kind: Pod", // 3
    "spec:", // 4
    "  # slipway:ignore K8S-008 expires=2030-01-01 node agent", // 5
    "  hostNetwork: true", // 6
    "  containers:", // 7
    "    # slipway:ignore K8S-014 one container", // 8
    "    - name: app", // 9
    "      image: nginx", // 10
    "    - name: sidecar", // 11
    "      image: envoy # slipway:ignore K8S-015 trailing", // 12
    "---", // 13
    "# slipway:ignore K8S-041", // 14
    "kind: ConfigMap", // 15
    "",
  ].join("\n");

  it("cover the document, key or item below them, or the node on their own line", () => {
    const { suppressions, diagnostics } = commentSuppressions(parseYamlFile("pod.yaml", yaml));
    const covered = Object.fromEntries(suppressions.map((s) => [s.ruleId, [s.span.line, s.span.endLine]]));
    expect(covered).toEqual({
      "K8S-001": [2, 12],
      "K8S-008": [6, 6],
      "K8S-014": [9, 10],
      "K8S-015": [12, 12],
    });
    expect(suppressions.find((s) => s.ruleId === "K8S-008")?.expires).toBe("2030-01-01");
    expect(diagnostics).toEqual([
      expect.objectContaining({
        message: "slipway:ignore K8S-041 needs a reason",
        span: expect.objectContaining({ line: 14 }),
      }),
    ]);
  });
});
