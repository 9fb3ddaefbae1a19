import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, parseDocument } from "yaml";
import type { Document, Node, Pair, YAMLMap } from "yaml";
import type { Diagnostic, SourcePosition } from "../errors/index.js";

export type YamlPath = readonly PropertyKey[];

/**
 * A parsed YAML file that remembers where every value came from, so that any later check
 * (zod validation, semantic checks of the IR) can report a line and column for a path like
 * `jobs.build.steps.2.run`. Every front-end reads its files through this.
 */
export class YamlSource {
  private constructor(
    readonly file: string,
    readonly text: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** Parses `text`; YAML syntax errors come back as diagnostics, all of them, not only the first. */
  static parse(file: string, text: string): { source: YamlSource; diagnostics: Diagnostic[] } {
    const lines = new LineCounter();
    // uniqueKeys: a duplicated job id would otherwise silently replace the first one.
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const source = new YamlSource(file, text, doc, lines);
    const diagnostics = doc.errors.map((error) => ({
      position: source.positionAt(error.pos[0]),
      message: `YAML syntax: ${firstLine(error.message)}`,
      hint: yamlHint(error.code),
    }));
    return { source, diagnostics };
  }

  /**
   * Parses every document of a multi-document file (`---` separated); each source reports
   * positions in the whole file. Syntax errors of all documents come back together.
   */
  static parseAll(file: string, text: string): { sources: YamlSource[]; diagnostics: Diagnostic[] } {
    const lines = new LineCounter();
    const parsed = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const docs = Array.isArray(parsed) ? parsed : [];
    const sources = docs.map((doc) => new YamlSource(file, text, doc, lines));
    const diagnostics = docs.flatMap((doc, i) => {
      const source = sources[i];
      if (!source) return [];
      return doc.errors.map((error) => ({
        position: source.positionAt(error.pos[0]),
        message: `YAML syntax: ${firstLine(error.message)}`,
        hint: yamlHint(error.code),
      }));
    });
    return { sources, diagnostics };
  }

  /** The plain JavaScript value of the document. */
  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 10_000 });
  }

  positionAt(offset: number): SourcePosition {
    const pos = this.lines.linePos(offset);
    return { file: this.file, line: pos.line, column: pos.col };
  }

  /** Each map's pairs by key, built once: a pipeline of thousands of jobs asks for thousands of positions. */
  readonly #pairs = new WeakMap<object, Map<string, Pair<unknown, unknown>>>();

  private pairsOf(map: YAMLMap<unknown, unknown>): Map<string, Pair<unknown, unknown>> {
    let pairs = this.#pairs.get(map);
    if (pairs === undefined) {
      pairs = new Map();
      for (const p of map.items) {
        // The first of duplicate keys, as a linear search would find.
        if (isPair(p) && isScalar(p.key) && !pairs.has(String(p.key.value)))
          pairs.set(String(p.key.value), p);
      }
      this.#pairs.set(map, pairs);
    }
    return pairs;
  }

  /**
   * Position of the value at `path`, or of its key when `key` is set. When the path does not exist
   * (a required key is missing) it falls back to the closest existing parent, which is where the
   * user has to add it.
   */
  positionOf(path: YamlPath, options: { key?: boolean } = {}): SourcePosition {
    let node: unknown = this.doc.contents;
    let best: Node | null = this.doc.contents;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = this.pairsOf(node).get(String(segment));
        if (!pair) break;
        if (last && options.key && isScalar(pair.key)) {
          best = pair.key;
          break;
        }
        node = pair.value;
      } else if (isSeq(node) && typeof segment === "number") {
        node = node.items[segment];
      } else {
        break;
      }
      if (node && typeof node === "object" && "range" in node) best = node as Node;
      else break;
    }
    const offset = best?.range?.[0] ?? 0;
    return this.positionAt(offset);
  }
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

/** A hint for the YAML parser's error codes, in the user's terms. */
export function yamlHint(code: string): string | undefined {
  switch (code) {
    case "DUPLICATE_KEY":
      return "each key may appear once in a mapping; merge the two entries or rename one";
    case "BAD_INDENT":
    case "MISSING_CHAR":
      return "check the indentation: nested keys need more spaces than their parent, and never tabs";
    case "TAB_AS_INDENT":
      return "YAML indentation must use spaces, not tabs";
    case "BLOCK_AS_IMPLICIT_KEY":
      return "a value containing ': ' must be quoted";
    default:
      return undefined;
  }
}
