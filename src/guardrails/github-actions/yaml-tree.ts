import { isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, Scalar } from "yaml";
import type { Document, Node as YamlNode } from "yaml";
import type { ScanDiagnostic, SourceSpan } from "../model.js";
import { LineIndex, PositionedTextBuilder, type PositionedText } from "../source-text.js";

/**
 * YAML as CI files use it, with every node's offsets in the file: aliases are resolved to the
 * anchored node (which keeps the anchor's position, so a finding points where the value is
 * written), `<<` merge keys are applied, and custom tags (`!reference`) are kept on the node.
 * Pipelines are read from this tree rather than from plain JavaScript values so that any value
 * can be reported at its line and column.
 */
export type YNode = YMap | YSeq | YScalar;

interface YBase {
  /** The file the node is written in (merged GitLab configurations mix files). */
  file: string;
  start: number;
  end: number;
  /** A custom tag such as `!reference`. */
  tag: string | undefined;
}

export interface YScalar extends YBase {
  kind: "scalar";
  value: unknown;
  /** `PLAIN`, `QUOTE_SINGLE`, `QUOTE_DOUBLE`, `BLOCK_LITERAL`, `BLOCK_FOLDED`. */
  style: string;
}

export interface YPair {
  key: string;
  keyStart: number;
  keyEnd: number;
  value: YNode;
  /** From the key to the end of the value. */
  start: number;
  end: number;
}

export interface YMap extends YBase {
  kind: "map";
  pairs: YPair[];
}

export interface YSeq extends YBase {
  kind: "seq";
  items: YNode[];
}

export interface YamlFile {
  path: string;
  text: string;
  lines: LineIndex;
  /** One root per document (`---` separated). */
  documents: YNode[];
  diagnostics: ScanDiagnostic[];
}

const MAX_ALIAS_DEPTH = 64;

export function parseYaml(path: string, text: string): YamlFile {
  const lines = new LineIndex(path, text);
  const diagnostics: ScanDiagnostic[] = [];
  const documents: YNode[] = [];
  let docs: Document.Parsed[] = [];
  try {
    const parsed = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false });
    docs = Array.isArray(parsed) ? parsed : [];
  } catch (error) {
    diagnostics.push({ span: lines.span(0), message: `YAML syntax: ${String(error)}` });
  }
  for (const doc of docs) {
    for (const error of doc.errors)
      diagnostics.push({
        span: lines.span(error.pos[0], error.pos[1]),
        message: `YAML syntax: ${error.message.split("\n")[0] ?? error.message}`,
      });
    if (doc.errors.length > 0) continue;
    const converter = new Converter(doc, text, path);
    const root = converter.convert(doc.contents, 0);
    if (root) documents.push(root);
  }
  return { path, text, lines, documents, diagnostics };
}

class Converter {
  private readonly memo = new Map<unknown, YNode>();

  constructor(
    private readonly doc: Document.Parsed,
    private readonly text: string,
    private readonly file: string,
  ) {}

  convert(node: unknown, depth: number): YNode | undefined {
    if (depth > MAX_ALIAS_DEPTH) return undefined;
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      return target ? this.convert(target, depth + 1) : undefined;
    }
    const cached = this.memo.get(node);
    if (cached) return cached;
    const range = (node as YamlNode | null)?.range ?? [0, 0, 0];
    const tag = (node as YamlNode | null)?.tag;
    const base = {
      file: this.file,
      start: range[0],
      end: range[1],
      tag: tag && tag.startsWith("!") && !tag.startsWith("!!") ? tag : undefined,
    };
    if (isScalar(node)) {
      const scalar: YScalar = { kind: "scalar", value: node.value, style: node.type ?? "PLAIN", ...base };
      this.memo.set(node, scalar);
      return scalar;
    }
    if (isSeq(node)) {
      const seq: YSeq = { kind: "seq", items: [], ...base };
      this.memo.set(node, seq);
      for (const item of node.items) {
        const converted = this.convert(item, depth + 1);
        if (converted) seq.items.push(converted);
      }
      return seq;
    }
    if (isMap(node)) {
      const map: YMap = { kind: "map", pairs: [], ...base };
      this.memo.set(node, map);
      const merged: YPair[] = [];
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as YamlNode | null;
        const key = isScalar(keyNode)
          ? String(keyNode.value)
          : this.text.slice(keyNode?.range?.[0] ?? 0, keyNode?.range?.[1] ?? 0);
        const keyStart = keyNode?.range?.[0] ?? base.start;
        const keyEnd = keyNode?.range?.[1] ?? keyStart;
        const value = this.convert(pair.value, depth + 1) ?? nullScalar(this.file, keyEnd);
        if (key === "<<" && isScalar(keyNode) && keyNode.type === Scalar.PLAIN) {
          const sources = value.kind === "seq" ? value.items : [value];
          for (const source of sources) if (source.kind === "map") merged.push(...source.pairs);
          continue;
        }
        map.pairs.push({ key, keyStart, keyEnd, value, start: keyStart, end: Math.max(value.end, keyEnd) });
      }
      // Explicit keys win over merged ones; among merged maps the first one wins.
      for (const pair of merged) if (!map.pairs.some((p) => p.key === pair.key)) map.pairs.push(pair);
      return map;
    }
    return node === null || node === undefined ? undefined : nullScalar(this.file, base.start);
  }
}

function nullScalar(file: string, at: number): YScalar {
  return { kind: "scalar", value: null, style: "PLAIN", file, start: at, end: at, tag: undefined };
}

export function isYMap(node: YNode | undefined): node is YMap {
  return node?.kind === "map";
}

export function isYSeq(node: YNode | undefined): node is YSeq {
  return node?.kind === "seq";
}

export function pairOf(map: YNode | undefined, key: string): YPair | undefined {
  if (map?.kind !== "map") return undefined;
  for (let i = map.pairs.length - 1; i >= 0; i--) if (map.pairs[i]?.key === key) return map.pairs[i];
  return undefined;
}

export function child(map: YNode | undefined, key: string): YNode | undefined {
  return pairOf(map, key)?.value;
}

/** A scalar's value as a string (numbers and booleans as written); undefined for maps, lists and null. */
export function stringValue(node: YNode | undefined): string | undefined {
  if (node?.kind !== "scalar" || node.value === null || node.value === undefined) return undefined;
  return typeof node.value === "string" ? node.value : String(node.value);
}

/** A string or a list of strings (`runs-on: [self-hosted, linux]`, `extends: .base`). */
export function stringList(node: YNode | undefined): { value: string; node: YScalar }[] {
  if (node?.kind === "scalar") {
    const value = stringValue(node);
    return value === undefined ? [] : [{ value, node }];
  }
  if (node?.kind === "seq")
    return node.items.flatMap((item) => {
      const value = item.kind === "scalar" ? stringValue(item) : undefined;
      return value === undefined || item.kind !== "scalar" ? [] : [{ value, node: item }];
    });
  return [];
}

/** Truthy the way CI runners read it: `true`, `"true"`, `1`, `yes`. */
export function isTrue(node: YNode | undefined): boolean {
  const value = stringValue(node)?.toLowerCase();
  return value === "true" || value === "1" || value === "yes" || value === "on";
}

export function toPlain(node: YNode | undefined, depth = 0): unknown {
  if (!node || depth > 64) return undefined;
  if (node.kind === "scalar") return node.value;
  if (node.kind === "seq") return node.items.map((item) => toPlain(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const pair of node.pairs) out[pair.key] = toPlain(pair.value, depth + 1);
  return out;
}

/**
 * The span of [start, end) without trailing blanks and line breaks: YAML ranges of block nodes
 * end after the final newline, which would otherwise put the next key's line inside the span.
 */
export function offsetSpan(file: YamlFile, start: number, end: number): SourceSpan {
  let last = Math.max(start, end);
  while (last > start && /\s/.test(file.text[last - 1] ?? "")) last--;
  return file.lines.span(start, last);
}

export function nodeSpan(file: YamlFile, node: { start: number; end: number }): SourceSpan {
  return offsetSpan(file, node.start, node.end);
}

/** The span of a pair: the key's line through the end of its value. */
export function pairSpan(file: YamlFile, pair: YPair): SourceSpan {
  return offsetSpan(file, pair.keyStart, pair.end);
}

/**
 * A scalar's value with the file offset of each character, so findings inside a multi-line
 * `run:` or `script:` point at the right line and column. Block scalars are read line by line
 * without their indentation (folded ones join lines with spaces, as YAML does); one-line plain
 * and quoted scalars map directly. A quoted scalar with escapes falls back to its start.
 */
export function scalarText(file: YamlFile, node: YScalar): PositionedText {
  const value = node.value === null || node.value === undefined ? "" : String(node.value);
  const source = file.text.slice(node.start, node.end);
  const builder = new PositionedTextBuilder();
  if (node.style === Scalar.BLOCK_LITERAL || node.style === Scalar.BLOCK_FOLDED) {
    const folded = node.style === Scalar.BLOCK_FOLDED;
    const headerEnd = source.indexOf("\n");
    if (headerEnd < 0) return { text: "", offsets: [node.end] };
    const body = source.slice(headerEnd + 1);
    const bodyStart = node.start + headerEnd + 1;
    const rows = body.split("\n");
    const indent = /^( *)\S/m.exec(body)?.[1]?.length ?? 0;
    let offset = bodyStart;
    let previousText = false;
    rows.forEach((row, i) => {
      const line = row.replace(/\r$/, "");
      const content = line.length > indent ? line.slice(indent) : "";
      const moreIndented = /^[ \t]/.test(content);
      if (folded && previousText && content !== "" && !moreIndented) {
        // Folding: the line break between two text lines is a space.
        builder.synthesize(" ", offset - 1);
      } else if (i > 0) builder.synthesize("\n", offset - 1);
      builder.append(content, offset + Math.min(indent, line.length));
      previousText = content !== "" && !moreIndented;
      offset += row.length + 1;
    });
    return builder.build(node.end);
  }
  const quote = node.style === Scalar.QUOTE_DOUBLE || node.style === Scalar.QUOTE_SINGLE ? 1 : 0;
  const inner = source.slice(quote, source.length - quote);
  if (inner === value) {
    builder.append(value, node.start + quote);
    return builder.build(node.end);
  }
  if (!/\\|''/.test(inner)) {
    // A multi-line flow scalar: lines are trimmed and joined with spaces.
    let offset = node.start + quote;
    const rows = inner.split("\n");
    rows.forEach((row, i) => {
      const leading = row.length - row.trimStart().length;
      const content = row.trim();
      if (i > 0) builder.synthesize(content === "" ? "\n" : " ", offset - 1);
      builder.append(content, offset + leading);
      offset += row.length + 1;
    });
    const built = builder.build(node.end);
    if (built.text.replace(/\s+/g, " ") === value.replace(/\s+/g, " ")) return built;
  }
  return { text: value, offsets: Array.from({ length: value.length + 1 }, () => node.start) };
}
