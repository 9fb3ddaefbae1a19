// A small framework for tests of the scanner core, the custom rules and the output formats: it
// reads YAML objects (`kind`, `metadata.name`, `spec`), offers them as GenericResources, has two
// rules, and reads `# slipway:ignore` comments above an object as covering the object's first
// line only, so suppressions reach findings deeper in the object through `enclosing`.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { isMap, isPair, isScalar, LineCounter, parseAllDocuments } from "yaml";
import { YamlSource } from "../../../src/config/yaml-source.js";
import { runCustomRules } from "../../../src/guardrails/custom/index.js";
import {
  parseSuppressionComment,
  runRules,
  type FieldValue,
  type FrameworkScanner,
  type GenericResource,
  type Rule,
  type ScanDiagnostic,
  type SourceSpan,
  type Suppression,
} from "../../../src/guardrails/index.js";

export interface ToyObject {
  kind: string;
  name: string;
  /** The `kind:` line: what a suppression comment above the object covers. */
  head: SourceSpan;
  /** The whole document. */
  span: SourceSpan;
  source: YamlSource;
  data: Record<string, unknown>;
}

type ToyModel = ToyObject[];

function field(object: ToyObject, path: string): FieldValue {
  const segments = path.split(".");
  let value: unknown = object.data;
  for (const segment of segments) {
    if (value === null || typeof value !== "object") {
      value = undefined;
      break;
    }
    value = (value as Record<string, unknown>)[segment];
  }
  // `(unknown)` stands for a value the model cannot know, like an unset variable.
  if (value === "(unknown)") return { known: false };
  const position = object.source.positionOf(segments);
  return {
    known: true,
    value,
    span: { file: object.span.file, line: position.line, column: position.column },
    provenance: [],
  };
}

export function toyResources(model: ToyModel): GenericResource[] {
  return model.map((object) => ({
    framework: "kubernetes",
    type: object.kind,
    address: `${object.kind}/${object.name}`,
    span: object.head,
    get: (path) => field(object, path),
  }));
}

const privileged: Rule<ToyModel> = {
  id: "K8S-901",
  title: "Toy container runs privileged",
  severity: "high",
  framework: "kubernetes",
  rationale: "A privileged container has every capability of the host; this is a test rule.",
  remediation: "Set spec.privileged to false.",
  references: [
    "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
    "CIS Kubernetes 5.2.1",
  ],
  check(model, report) {
    for (const object of model) {
      const value = field(object, "spec.privileged");
      if (!value.known || value.value !== true || !value.span) continue;
      const span = { ...value.span, endColumn: value.span.column + 4 };
      report({
        message: `${object.kind}/${object.name} runs privileged`,
        span,
        resource: `${object.kind}/${object.name}`,
        enclosing: [object.head],
        fix: {
          description: "set privileged to false",
          replacements: [{ span: { ...span, endLine: span.line }, text: "false" }],
        },
      });
    }
  },
};

const latestTag: Rule<ToyModel> = {
  id: "K8S-902",
  title: "Toy image uses the latest tag",
  severity: "medium",
  framework: "kubernetes",
  rationale: "A moving tag makes deployments irreproducible; this is a test rule.",
  remediation: "Pin the image to a version or a digest.",
  references: ["https://kubernetes.io/docs/concepts/containers/images/"],
  check(model, report) {
    for (const object of model) {
      const value = field(object, "spec.image");
      if (!value.known || typeof value.value !== "string" || !value.value.endsWith(":latest") || !value.span)
        continue;
      const tagFrom = field(object, "spec.tagFrom");
      report({
        message: `${object.kind}/${object.name} uses ${value.value}`,
        span: value.span,
        resource: `${object.kind}/${object.name}`,
        enclosing: [object.head],
        provenance:
          tagFrom.known && typeof tagFrom.value === "string"
            ? [{ description: "tag set by the release values", span: parseSpan(tagFrom.value) }]
            : [],
      });
    }
  },
};

/** `values.yaml:3:7` as a span. */
function parseSpan(text: string): SourceSpan {
  const [file = "", line = "1", column = "1"] = text.split(":");
  return { file, line: Number(line), column: Number(column) };
}

export const TOY_RULES = [privileged, latestTag];

export const toyScanner: FrameworkScanner = {
  framework: "kubernetes",
  rules: TOY_RULES,
  claims: (file) => /\.ya?ml$/.test(file.path) && /^kind:/m.test(file.text),
  scan(files, context) {
    const model: ToyModel = [];
    const suppressions: Suppression[] = [];
    const diagnostics: ScanDiagnostic[] = [];
    for (const file of files) {
      const { sources, diagnostics: syntax } = YamlSource.parseAll(file.path, file.text);
      for (const d of syntax) diagnostics.push({ span: { ...d.position }, message: d.message, hint: d.hint });
      const lines = new LineCounter();
      const docs = parseAllDocuments(file.text, { lineCounter: lines });
      if (!Array.isArray(docs)) continue;
      docs.forEach((doc, index) => {
        const source = sources[index];
        const contents = doc.contents;
        if (!source || !isMap(contents)) return;
        const data = source.toJS() as Record<string, unknown>;
        const kindPair = contents.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === "kind");
        const metadata = data["metadata"] as Record<string, unknown> | undefined;
        if (!kindPair || typeof data["kind"] !== "string" || typeof metadata?.["name"] !== "string") return;
        const start = lines.linePos((kindPair.key as { range?: [number, number, number] }).range?.[0] ?? 0);
        const end = lines.linePos(contents.range[1]);
        model.push({
          kind: data["kind"],
          name: metadata["name"],
          head: { file: file.path, line: start.line, column: 1, endLine: start.line },
          span: { file: file.path, line: start.line, column: 1, endLine: end.line },
          source,
          data,
        });
      });
      file.text.split("\n").forEach((text, i) => {
        const comment = /#\s*(slipway:ignore.*)$/.exec(text);
        if (!comment?.[1]) return;
        const line = i + 1;
        const parsed = parseSuppressionComment(
          comment[1],
          { file: file.path, line: line + 1, column: 1, endLine: line + 1 },
          { file: file.path, line, column: comment.index + 1 },
        );
        if (!parsed) return;
        if ("diagnostic" in parsed) diagnostics.push(parsed.diagnostic);
        else suppressions.push(...parsed.suppressions);
      });
    }
    const findings = runRules(model, TOY_RULES, context);
    const custom = runCustomRules("kubernetes", toyResources(model), context);
    findings.push(...custom.findings);
    diagnostics.push(...custom.diagnostics);
    return Promise.resolve({
      findings,
      suppressions,
      diagnostics,
      notes: [],
      files: files.map((f) => f.path),
    });
  },
};

/** Writes `files` (path → text) into a new temporary directory and returns it. */
export async function writeTree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "slipway-guardrails-"));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}
