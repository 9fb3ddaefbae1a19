import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, Scalar } from "yaml";
import type { Document, Node as YamlNode } from "yaml";
import type { Diagnostic, SourcePosition } from "../../errors/index.js";
import type { Entry, Node } from "./tree.js";
import { yamlHint } from "../../config/yaml-source.js";

/**
 * Reads one GitLab YAML file into a position-keeping tree. GitLab loads YAML with Ruby's Psych,
 * a YAML 1.1 loader, so this does too: `on`, `yes` and `no` are booleans and `<<` merge keys
 * work. Anchors and aliases are resolved here; `!reference` tags are kept as nodes, because
 * they are resolved only after includes and extends are merged.
 */
export function parseGitlabYaml(
  file: string,
  text: string,
): { root: Node | undefined; diagnostics: Diagnostic[] } {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    version: "1.1",
    customTags: [{ tag: "!reference", collection: "seq", resolve: (value: unknown) => value }],
  });
  const position = (offset: number): SourcePosition => {
    const p = lines.linePos(offset);
    return { file, line: p.line, column: p.col };
  };
  const list = Array.isArray(docs) ? docs : [];
  const diagnostics: Diagnostic[] = [];
  for (const doc of list) {
    for (const error of doc.errors) {
      diagnostics.push({
        position: position(error.pos[0]),
        message: `YAML syntax: ${error.message.split("\n")[0] ?? error.message}`,
        hint: yamlHint(error.code),
      });
    }
    for (const warning of doc.warnings) {
      if (warning.code !== "TAG_RESOLVE_FAILED") continue;
      diagnostics.push({
        position: position(warning.pos[0]),
        message: `YAML syntax: ${warning.message.split("\n")[0] ?? warning.message}`,
        hint: "GitLab supports one custom tag, !reference [job, key, ...]",
      });
    }
  }
  const first = list[0];
  if (list.length > 1 && first) {
    const header = first.contents;
    const spec = isMap(header) && header.items.some((p) => isScalar(p.key) && p.key.value === "spec");
    diagnostics.push({
      position: position(spec ? (header?.range?.[0] ?? 0) : (list[1]?.range[0] ?? 0)),
      message: spec
        ? "not supported: a spec: header (inputs for CI/CD components and includes)"
        : "YAML syntax: the file holds several documents",
      hint: spec
        ? "Slipway has no GitLab server to interpolate $[[ inputs ]]; write the values into the file"
        : "a GitLab CI file is one YAML document; remove the `---` separators",
    });
  }
  if (diagnostics.length > 0 || !first) return { root: undefined, diagnostics };
  const converter = new Converter(first, text, position, diagnostics);
  const root = first.contents ? converter.node(first.contents as YamlNode, new Set()) : undefined;
  return { root, diagnostics };
}

class Converter {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly text: string,
    private readonly position: (offset: number) => SourcePosition,
    private readonly diagnostics: Diagnostic[],
  ) {}

  node(node: YamlNode, aliases: Set<YamlNode>): Node {
    const pos = this.position(node.range?.[0] ?? 0);
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target || aliases.has(target)) {
        this.diagnostics.push({ position: pos, message: `YAML alias *${node.source} refers to itself` });
        return { kind: "scalar", pos, value: null };
      }
      return this.node(target, new Set([...aliases, target]));
    }
    if (isSeq(node)) {
      const items = node.items.map((item) => this.node(item as YamlNode, aliases));
      if (node.tag === "!reference") {
        // The node starts at its `[`; errors point at the tag, which is what the user wrote.
        const start = node.range?.[0] ?? 0;
        const tag = this.text.lastIndexOf("!reference", start);
        const sameLine = tag !== -1 && !this.text.slice(tag, start).includes("\n");
        return this.reference(items, sameLine ? this.position(tag) : pos);
      }
      return { kind: "seq", pos, items };
    }
    if (isMap(node)) return this.map(node.items, pos, aliases);
    if (isScalar(node)) return this.scalar(node, pos);
    return { kind: "scalar", pos, value: null };
  }

  private map(pairs: readonly unknown[], pos: SourcePosition, aliases: Set<YamlNode>): Node {
    const entries = new Map<string, Entry>();
    const merged: Node[] = [];
    for (const pair of pairs) {
      if (!isPair(pair)) continue;
      const key = pair.key as YamlNode | null;
      const keyPos = this.position(key?.range?.[0] ?? 0);
      const value: Node = pair.value
        ? this.node(pair.value as YamlNode, aliases)
        : { kind: "scalar", pos: keyPos, value: null };
      if (isScalar(key) && (typeof key.value === "symbol" || key.source === "<<")) {
        merged.push(...(value.kind === "seq" ? value.items : [value]));
        continue;
      }
      if (!isScalar(key)) {
        this.diagnostics.push({ position: keyPos, message: "YAML syntax: a key must be a plain value" });
        continue;
      }
      const name = String(key.value);
      entries.set(name, { key: name, keyPos, value });
    }
    // YAML merge keys: the mapping's own keys win, then earlier merged mappings over later ones.
    for (const source of merged) {
      if (source.kind !== "map") {
        this.diagnostics.push({ position: source.pos, message: "YAML syntax: << merges a mapping" });
        continue;
      }
      for (const [name, entry] of source.entries) if (!entries.has(name)) entries.set(name, entry);
    }
    return { kind: "map", pos, entries };
  }

  private reference(items: Node[], pos: SourcePosition): Node {
    const path: string[] = [];
    for (const item of items) {
      if (item.kind === "scalar" && item.value !== null) path.push(String(item.value));
      else {
        this.diagnostics.push({
          position: item.pos,
          message: "!reference takes a list of names, e.g. !reference [.setup, script]",
        });
      }
    }
    if (path.length === 0) {
      this.diagnostics.push({ position: pos, message: "!reference needs at least a job name" });
    }
    return { kind: "reference", pos, path };
  }

  private scalar(node: Scalar, pos: SourcePosition): Node {
    let value = node.value;
    // YAML 1.1 timestamps and binary are not GitLab values; keep what was written.
    if (value instanceof Date || value instanceof Uint8Array || typeof value === "bigint") {
      value = node.source ?? String(value);
    }
    const start = node.range?.[0] ?? 0;
    const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE;
    const plain = node.type === Scalar.PLAIN || quoted;
    return {
      kind: "scalar",
      pos,
      value:
        typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? value : null,
      textPos: plain ? this.position(start + (quoted ? 1 : 0)) : undefined,
    };
  }
}
