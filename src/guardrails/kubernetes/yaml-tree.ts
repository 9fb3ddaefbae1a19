/**
 * YAML (and JSON, which YAML 1.2 reads too) as a tree of plain values that keep their position:
 * every mapping key, value and sequence item knows its 1-based line and column, so a rule that
 * finds `privileged: true` can point at that exact key. Kubernetes manifests and CloudFormation
 * templates are both read through it; CloudFormation passes its short-form intrinsic tags.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from "yaml";
import type { Document, Node, ParseOptions, DocumentOptions, SchemaOptions } from "yaml";
import type { ScanDiagnostic, SourceSpan } from "../model.js";

export type LScalarValue = string | number | boolean | null;

export interface LScalar {
  kind: "scalar";
  value: LScalarValue;
  /** A local tag such as `!Ref`, when the source had one. */
  tag?: string | undefined;
  span: SourceSpan;
}

export interface LPair {
  key: string;
  keySpan: SourceSpan;
  /** From the key to the end of the value. */
  span: SourceSpan;
  value: LNode;
}

export interface LMap {
  kind: "map";
  pairs: LPair[];
  index: Map<string, LPair>;
  tag?: string | undefined;
  span: SourceSpan;
}

export interface LSeq {
  kind: "seq";
  items: LNode[];
  tag?: string | undefined;
  span: SourceSpan;
}

export type LNode = LScalar | LMap | LSeq;

export interface LDocument {
  /** Absent when the document is empty or has syntax errors (those become diagnostics). */
  root: LNode | undefined;
  span: SourceSpan;
}

export interface LFile {
  path: string;
  text: string;
  docs: LDocument[];
  diagnostics: ScanDiagnostic[];
}

export type YamlTreeOptions = ParseOptions & DocumentOptions & SchemaOptions;

/** Nesting deeper than this is not configuration; it is cut off rather than overflowing the stack. */
const MAX_DEPTH = 256;
/** Total nodes one file may expand to through aliases (the "billion laughs" guard). */
const MAX_NODES = 500_000;

/** Parses every document of a file; syntax errors become diagnostics with positions. Never throws. */
export function parseYamlFile(path: string, text: string, options: YamlTreeOptions = {}): LFile {
  const lines = new LineCounter();
  let parsed: ReturnType<typeof parseAllDocuments>;
  try {
    parsed = parseAllDocuments(text, {
      ...options,
      lineCounter: lines,
      prettyErrors: false,
      uniqueKeys: true,
    });
  } catch (error) {
    return {
      path,
      text,
      docs: [],
      diagnostics: [{ span: { file: path, line: 1, column: 1 }, message: `YAML: ${errorText(error)}` }],
    };
  }
  const builder = new TreeBuilder(path, text, lines);
  const docs: LDocument[] = [];
  const diagnostics: ScanDiagnostic[] = [];
  for (const doc of Array.isArray(parsed) ? parsed : []) {
    const span = builder.span(doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0, doc.range?.[1] ?? text.length);
    if (doc.errors.length > 0) {
      for (const error of doc.errors)
        diagnostics.push({
          span: builder.span(error.pos[0], error.pos[1]),
          message: `YAML syntax: ${firstLine(error.message)}`,
        });
      docs.push({ root: undefined, span });
      continue;
    }
    try {
      const root = doc.contents ? builder.build(doc.contents as Node, doc, 0) : undefined;
      docs.push({ root, span });
    } catch (error) {
      diagnostics.push({ span, message: `YAML: ${errorText(error)}` });
      docs.push({ root: undefined, span });
    }
  }
  return { path, text, docs, diagnostics };
}

class TreeBuilder {
  private readonly memo = new Map<Node, LNode>();
  private readonly building = new Set<Node>();
  private nodes = 0;

  constructor(
    private readonly file: string,
    private readonly text: string,
    private readonly lines: LineCounter,
  ) {}

  span(start: number, end: number): SourceSpan {
    let stop = Math.max(start, Math.min(end, this.text.length));
    while (stop > start && isSpace(this.text.charCodeAt(stop - 1))) stop--;
    const from = this.lines.linePos(start);
    const to = this.lines.linePos(stop);
    return { file: this.file, line: from.line, column: from.col, endLine: to.line, endColumn: to.col };
  }

  build(node: Node, doc: Document, depth: number): LNode {
    if (++this.nodes > MAX_NODES) throw new Error("the document expands to too many nodes through aliases");
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target || this.building.has(target) || depth > MAX_DEPTH) return this.nullAt(node);
      const cached = this.memo.get(target);
      if (cached) return cached;
      return this.build(target, doc, depth + 1);
    }
    const range = node.range ?? [0, 0, 0];
    const span = this.span(range[0], range[1]);
    const tag = node.tag?.startsWith("!") && !node.tag.startsWith("!!") ? node.tag : undefined;
    if (depth > MAX_DEPTH) return { kind: "scalar", value: null, span };
    if (isScalar(node)) {
      const value = node.value;
      const plain: LScalarValue =
        value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean"
          ? value
          : typeof value === "bigint"
            ? Number(value)
            : String((node as { source?: unknown }).source ?? this.text.slice(range[0], range[1]));
      return { kind: "scalar", value: plain, tag, span };
    }
    this.building.add(node);
    try {
      if (isSeq(node)) {
        const out: LSeq = { kind: "seq", items: [], tag, span };
        this.memo.set(node, out);
        for (const item of node.items)
          out.items.push(
            item && typeof item === "object" && "range" in item
              ? this.build(item as Node, doc, depth + 1)
              : { kind: "scalar", value: null, span },
          );
        return out;
      }
      if (isMap(node)) {
        const out: LMap = { kind: "map", pairs: [], index: new Map(), tag, span };
        this.memo.set(node, out);
        const merges: LNode[] = [];
        for (const pair of node.items) {
          if (!isPair(pair)) continue;
          const keyNode = pair.key as Node | null;
          const keySpan = keyNode?.range ? this.span(keyNode.range[0], keyNode.range[1]) : span;
          const key = isScalar(keyNode) ? String(keyNode.value) : keyNode ? this.slice(keyNode) : "";
          const valueNode = pair.value as Node | null;
          const value: LNode = valueNode
            ? this.build(valueNode, doc, depth + 1)
            : { kind: "scalar", value: null, span: keySpan };
          // `<<: *defaults` merges the anchored mapping's keys that are not set here (YAML 1.1).
          if (key === "<<" && value.kind !== "scalar") {
            merges.push(value);
            continue;
          }
          const end = valueNode?.range ? this.span(valueNode.range[0], valueNode.range[1]) : keySpan;
          const pairSpan: SourceSpan = { ...keySpan, endLine: end.endLine, endColumn: end.endColumn };
          const entry: LPair = { key, keySpan, span: pairSpan, value };
          out.pairs.push(entry);
          out.index.set(key, entry);
        }
        for (const merged of merges) {
          const sources = merged.kind === "seq" ? merged.items : [merged];
          for (const source of sources) {
            if (source.kind !== "map") continue;
            for (const entry of source.pairs) {
              if (out.index.has(entry.key)) continue;
              out.pairs.push(entry);
              out.index.set(entry.key, entry);
            }
          }
        }
        return out;
      }
    } finally {
      this.building.delete(node);
    }
    return { kind: "scalar", value: null, span };
  }

  private nullAt(node: Node): LScalar {
    const range = node.range ?? [0, 0, 0];
    return { kind: "scalar", value: null, span: this.span(range[0], range[1]) };
  }

  private slice(node: Node): string {
    const range = node.range;
    return range ? this.text.slice(range[0], range[1]) : "";
  }
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

function errorText(error: unknown): string {
  return firstLine(error instanceof Error ? error.message : String(error));
}

// --- Reading the tree ---------------------------------------------------------------------------

/** The node at `path` below `node` (map keys and sequence indexes), or undefined. */
export function at(node: LNode | undefined, ...path: (string | number)[]): LNode | undefined {
  let current = node;
  for (const segment of path) {
    if (!current) return undefined;
    if (current.kind === "map" && typeof segment === "string") current = current.index.get(segment)?.value;
    else if (current.kind === "seq" && typeof segment === "number") current = current.items[segment];
    else return undefined;
  }
  return current;
}

/** The key/value pair `key` of a mapping node. */
export function pairOf(node: LNode | undefined, key: string): LPair | undefined {
  return node?.kind === "map" ? node.index.get(key) : undefined;
}

export function asMap(node: LNode | undefined): LMap | undefined {
  return node?.kind === "map" ? node : undefined;
}

/** Items of a sequence; nothing for anything else. */
export function items(node: LNode | undefined): readonly LNode[] {
  return node?.kind === "seq" ? node.items : [];
}

/** A scalar's value as text (numbers and booleans too), undefined for collections and null. */
export function text(node: LNode | undefined): string | undefined {
  if (node?.kind !== "scalar" || node.value === null) return undefined;
  return String(node.value);
}

/** A string scalar's value. */
export function str(node: LNode | undefined): string | undefined {
  return node?.kind === "scalar" && typeof node.value === "string" ? node.value : undefined;
}

/**
 * A boolean as the consumers read it: Kubernetes decodes YAML 1.1 (`yes`, `on`) and
 * CloudFormation accepts `"true"` strings, so both spellings count.
 */
export function bool(node: LNode | undefined): boolean | undefined {
  if (node?.kind !== "scalar") return undefined;
  if (typeof node.value === "boolean") return node.value;
  if (typeof node.value !== "string") return undefined;
  const v = node.value.toLowerCase();
  if (v === "true" || v === "yes" || v === "on" || v === "y") return true;
  if (v === "false" || v === "no" || v === "off" || v === "n") return false;
  return undefined;
}

export function num(node: LNode | undefined): number | undefined {
  if (node?.kind !== "scalar") return undefined;
  if (typeof node.value === "number") return node.value;
  if (typeof node.value === "string" && /^-?\d+$/.test(node.value.trim())) return Number(node.value);
  return undefined;
}

/** The span a rule reports for a pair: the whole `key: value` for scalars, only the key for blocks. */
export function reportSpan(pair: LPair): SourceSpan {
  return pair.value.kind === "scalar" ? pair.span : pair.keySpan;
}

/** The node as a plain JavaScript value (for custom rules); aliases share, so the output is capped. */
export function toPlain(node: LNode | undefined, budget = { left: 100_000 }): unknown {
  if (!node || --budget.left < 0) return undefined;
  if (node.kind === "scalar") return node.value;
  if (node.kind === "seq") return node.items.map((item) => toPlain(item, budget));
  const out: Record<string, unknown> = {};
  for (const pair of node.pairs) out[pair.key] = toPlain(pair.value, budget);
  return out;
}
