/**
 * HCL files to syntax trees, with tree-sitter (the HCL grammar compiled to WebAssembly). The
 * tree-sitter tree is walked once with a cursor into plain objects; the walk skips the insides
 * of leaves (identifiers, literals, comments) because every crossing into WebAssembly costs
 * more than the JavaScript around it. Syntax errors become diagnostics and the parts of the
 * file that still parse are kept, so one typo does not hide a whole configuration.
 */
import { createRequire } from "node:module";
import { Language, Parser, type TreeCursor } from "web-tree-sitter";
import type { ScanDiagnostic, SourceSpan } from "../model.js";
import { LineIndex } from "../source-text.js";
import type {
  Attribute,
  BinaryOperator,
  Block,
  Body,
  Comment,
  Expr,
  ParsedFile,
  TemplatePart,
  TraversalOp,
} from "./syntax.js";

export interface ParseResult {
  file: ParsedFile;
  diagnostics: ScanDiagnostic[];
}

export interface HclParser {
  parse(text: string, path: string): ParseResult;
  /** One expression on its own (a TF_VAR_ value); undefined when it does not parse. */
  expression(text: string): Expr | undefined;
  /** A template file's text (for `templatefile`) as a template expression. */
  template(text: string, path: string): Expr;
}

const TEMPLATE_MARKER = "__SLIPWAY_TEMPLATE__";

let loading: Promise<HclParser> | undefined;

/** The parser, initialised once per process: loading the WebAssembly takes tens of milliseconds. */
export function hclParser(): Promise<HclParser> {
  loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function load(): Promise<HclParser> {
  // The CLI is bundled and web-tree-sitter stays a package, so the grammar is found through
  // module resolution rather than next to this source file.
  const require = createRequire(import.meta.url);
  const wasm = require.resolve("@tree-sitter-grammars/tree-sitter-hcl/tree-sitter-hcl.wasm");
  await Parser.init();
  const language = await Language.load(wasm);
  const parser = new Parser();
  parser.setLanguage(language);
  const types = language.types.slice();
  const grammar: Grammar = {
    types,
    leaves: types.map((name, id) => LEAVES.has(name) || !language.nodeTypeIsNamed(id)),
  };
  const hcl: HclParser = {
    expression(text) {
      const { file, diagnostics } = hcl.parse(`value = ${text}\n`, "<value>");
      const attribute = file.body.attributes[0];
      return diagnostics.length === 0 && file.body.attributes.length === 1 ? attribute?.expr : undefined;
    },
    template(text, path) {
      // A heredoc holds any text; the newline added before its closing marker is removed again.
      const { file } = hcl.parse(`value = <<${TEMPLATE_MARKER}\n${text}\n${TEMPLATE_MARKER}\n`, path);
      const expr = file.body.attributes[0]?.expr;
      if (expr?.kind !== "template") return { kind: "invalid", span: { file: path, line: 1, column: 1 } };
      const last = expr.parts[expr.parts.length - 1];
      if (last?.kind === "literal" && last.text.endsWith("\n")) last.text = last.text.slice(0, -1);
      return expr;
    },
    parse(text, path) {
      // Chunks rather than the whole rest of the text: web-tree-sitter slices the string it is
      // given from the requested offset on every call, quadratic on large files.
      const tree = parser.parse((offset) => text.slice(offset, offset + 4096));
      if (!tree) return { file: { path, body: emptyBody(), comments: [] }, diagnostics: [] };
      try {
        const cursor = tree.walk();
        try {
          return convert(cursor, grammar, text, path, tree.rootNode.hasError);
        } catch (error) {
          // Thousands of nested brackets exhaust the stack of the recursive walk.
          if (!(error instanceof RangeError)) throw error;
          return {
            file: { path, body: emptyBody(), comments: [] },
            diagnostics: [
              { span: { file: path, line: 1, column: 1 }, message: "expressions nested too deeply to read" },
            ],
          };
        } finally {
          cursor.delete();
        }
      } finally {
        tree.delete();
      }
    },
  };
  return hcl;
}

/** A node of the tree-sitter tree copied into JavaScript: type, offsets and (some) children. */
interface Node {
  type: string;
  start: number;
  end: number;
  children: Node[];
  missing: boolean;
  /** An ERROR or MISSING node is in this subtree. */
  broken: boolean;
}

interface Grammar {
  /** Node type names by type id. */
  types: string[];
  /** By type id: tokens and nodes whose text is all the converter needs. */
  leaves: boolean[];
}

/** Nodes whose text is all the converter needs. */
const LEAVES = new Set([
  "identifier",
  "literal_value",
  "variable_expr",
  "get_attr",
  "legacy_index",
  "numeric_lit",
  "bool_lit",
  "null_lit",
  "string_lit",
  "template_literal",
  "heredoc_identifier",
  "heredoc_start",
  "strip_marker",
  "ellipsis",
  "comment",
  "quoted_template_start",
  "quoted_template_end",
  "block_start",
  "block_end",
  "tuple_start",
  "tuple_end",
  "object_start",
  "object_end",
]);

const MAX_DIAGNOSTICS_PER_FILE = 20;

/** Shared by every leaf, so the walk allocates no array for them. */
const NO_CHILDREN: Node[] = [];

function convert(cursor: TreeCursor, grammar: Grammar, text: string, path: string, hasError: boolean) {
  const comments: Node[] = [];
  const errors: Node[] = [];
  const read = (): Node => {
    const id = cursor.nodeTypeId;
    const type = grammar.types[id] ?? "ERROR";
    const missing = hasError && cursor.nodeIsMissing;
    const node: Node = {
      type,
      start: 0,
      end: 0,
      children: NO_CHILDREN,
      missing,
      broken: missing || type === "ERROR",
    };
    if (type === "comment") comments.push(node);
    if (node.broken) errors.push(node);
    // A file with errors is walked whole, so MISSING tokens inside leaves are found too.
    if ((hasError || !grammar.leaves[id]) && cursor.gotoFirstChild()) {
      // A node spans its children: their offsets give its own without asking WebAssembly.
      node.children = [];
      let first = true;
      do {
        const child = read();
        if (first) node.start = child.start;
        first = false;
        node.end = child.end;
        if (child.broken) node.broken = true;
        if (child.type !== "comment") node.children.push(child);
      } while (cursor.gotoNextSibling());
      cursor.gotoParent();
    } else {
      node.start = cursor.startIndex;
      node.end = cursor.endIndex;
    }
    return node;
  };
  const root = read();
  const converter = new Converter(text, new LineIndex(path, text));
  const body = root.children.find((c) => c.type === "body");
  const file: ParsedFile = {
    path,
    body: body ? converter.body(body, true) : emptyBody(),
    comments: comments.map((c): Comment => ({
      text: text.slice(c.start, c.end),
      span: converter.span(c.start, c.end),
    })),
  };
  // An ERROR node often holds a MISSING token at its own start: one diagnostic per place.
  const seen = new Set<number>();
  const distinct = errors.filter((node) => !seen.has(node.start) && seen.add(node.start));
  const diagnostics = distinct.slice(0, MAX_DIAGNOSTICS_PER_FILE).map((node): ScanDiagnostic => ({
    span: converter.span(node.start, node.end),
    message: node.missing
      ? `syntax error: missing ${JSON.stringify(node.type)}`
      : `syntax error near ${JSON.stringify(snippet(text, node))}`,
    hint: "the rest of the file was still checked; values in the broken part are treated as unknown",
  }));
  if (distinct.length > MAX_DIAGNOSTICS_PER_FILE) {
    const last = diagnostics[diagnostics.length - 1];
    if (last) last.message += ` (and ${distinct.length - MAX_DIAGNOSTICS_PER_FILE} more syntax errors)`;
  }
  return { file, diagnostics };
}

function snippet(text: string, node: Node): string {
  const raw = text.slice(node.start, Math.min(node.end, node.start + 30));
  const firstLine = raw.split("\n")[0] ?? "";
  return firstLine.length > 0 ? firstLine : raw.trim().slice(0, 30);
}

export function emptyBody(): Body {
  return { attributes: [], blocks: [] };
}

const BINARY = new Set<string>(["*", "/", "%", "+", "-", ">", ">=", "<", "<=", "==", "!=", "&&", "||"]);
const QUOTED_ESCAPE = /\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))|\$\$\{|%%\{/gs;
const TEMPLATE_ESCAPE = /\$\$\{|%%\{/g;
const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

/** Raised inside conversion when a node is not what the grammar promises (only near errors). */
class Malformed extends Error {}

class Converter {
  constructor(
    private readonly text: string,
    private readonly lines: LineIndex,
  ) {}

  span(start: number, end: number): SourceSpan {
    return this.lines.span(start, end);
  }

  private slice(node: Node): string {
    return this.text.slice(node.start, node.end);
  }

  body(node: Node, topLevel = false): Body {
    const body = emptyBody();
    for (const child of node.children) {
      if (child.type === "attribute") {
        const attribute = this.attribute(child);
        if (attribute) body.attributes.push(attribute);
      } else if (child.type === "block") {
        const block = this.block(child);
        if (!block) continue;
        body.blocks.push(block);
        // A block left unclosed swallows the blocks after it: give them back to the file.
        if (topLevel && child.children[child.children.length - 1]?.broken) body.blocks.push(...hoist(block));
      }
    }
    return body;
  }

  private attribute(node: Node): Attribute | undefined {
    const name = node.children[0];
    if (name?.type !== "identifier" || name.missing) return undefined;
    const span = this.span(node.start, node.end);
    const expression = node.children.find((c) => c.type === "expression");
    // Error recovery may invent tokens (a MISSING "{" makes an empty object): never use them.
    const broken = !expression || node.broken;
    return {
      name: this.slice(name),
      expr: broken ? { kind: "invalid", span } : this.expression(expression),
      span,
    };
  }

  private block(node: Node): Block | undefined {
    const [type, ...rest] = node.children;
    if (type?.type !== "identifier") return undefined;
    const labels: string[] = [];
    let body = emptyBody();
    for (const child of rest) {
      if (child.type === "string_lit") labels.push(this.stringLiteral(child));
      else if (child.type === "identifier") labels.push(this.slice(child));
      else if (child.type === "body") body = this.body(child);
    }
    return { type: this.slice(type), labels, body, span: this.span(node.start, node.end) };
  }

  /** Converts an `expression` node; anything unexpected (only near syntax errors) is `invalid`. */
  expression(node: Node): Expr {
    try {
      return this.expressionUnsafe(node);
    } catch (error) {
      if (error instanceof Malformed) return { kind: "invalid", span: this.span(node.start, node.end) };
      throw error;
    }
  }

  private expressionUnsafe(node: Node): Expr {
    if (node.type !== "expression") throw new Malformed();
    const [first] = node.children;
    if (first?.type === "conditional") return this.conditional(first);
    return this.terms(node.children, node);
  }

  private conditional(node: Node): Expr {
    const parts = node.children.filter((c) => c.type === "expression");
    const [condition, then, otherwise] = parts;
    if (!condition || !then || !otherwise || parts.length !== 3) throw new Malformed();
    return {
      kind: "conditional",
      condition: this.expressionUnsafe(condition),
      then: this.expressionUnsafe(then),
      else: this.expressionUnsafe(otherwise),
      span: this.span(node.start, node.end),
    };
  }

  /** A term followed by attribute, index and splat steps, as tree-sitter lays them side by side. */
  private terms(nodes: readonly Node[], whole: Node): Expr {
    let index = 0;
    let expr: Expr;
    const head = nodes[0];
    if (!head) throw new Malformed();
    if (head.type === "(") {
      const inner = nodes[1];
      if (inner?.type !== "expression" || nodes[2]?.type !== ")") throw new Malformed();
      expr = {
        kind: "paren",
        inner: this.expressionUnsafe(inner),
        span: this.span(head.start, nodes[2].end),
      };
      index = 3;
    } else {
      expr = this.primary(head);
      index = 1;
    }
    for (; index < nodes.length; index++) {
      const step = nodes[index];
      if (!step) break;
      const span = this.span(whole.start, step.end);
      if (step.type === "splat") {
        const kind = step.children[0];
        if (!kind) throw new Malformed();
        expr = { kind: "splat", target: expr, ops: kind.children.slice(1).map((op) => this.op(op)), span };
      } else {
        const op = this.op(step);
        expr =
          op.kind === "attr"
            ? { kind: "attr", target: expr, name: op.name, span }
            : { kind: "index", target: expr, key: op.key, span };
      }
    }
    return expr;
  }

  private op(node: Node): TraversalOp {
    if (node.type === "get_attr") {
      const name = this.slice(node).slice(1).trim();
      if (!name) throw new Malformed();
      return { kind: "attr", name };
    }
    if (node.type === "index") {
      const inner = node.children[0];
      if (inner?.type === "new_index") {
        const key = inner.children.find((c) => c.type === "expression");
        if (!key) throw new Malformed();
        return { kind: "index", key: this.expressionUnsafe(key) };
      }
      if (inner?.type === "legacy_index") {
        const digits = this.slice(inner).slice(1);
        return {
          kind: "index",
          key: { kind: "literal", value: Number(digits), span: this.span(inner.start, inner.end) },
        };
      }
    }
    throw new Malformed();
  }

  private primary(node: Node): Expr {
    const span = this.span(node.start, node.end);
    switch (node.type) {
      case "expression":
        return this.expressionUnsafe(node);
      case "literal_value":
        return this.literal(node);
      case "variable_expr":
        return { kind: "variable", name: this.slice(node), span };
      case "collection_value":
        return this.collection(node);
      case "template_expr":
        return this.template(node);
      case "function_call":
        return this.call(node);
      case "for_expr":
        return this.forExpr(node);
      case "operation":
        return this.operation(node);
      default:
        throw new Malformed();
    }
  }

  /** A literal_value, read from its text (the walk does not descend into it). */
  private literal(node: Node): Expr {
    const span = this.span(node.start, node.end);
    const raw = this.slice(node);
    if (raw.startsWith('"')) return { kind: "literal", value: this.stringLiteral(node), span };
    if (raw === "true" || raw === "false") return { kind: "literal", value: raw === "true", span };
    if (raw === "null") return { kind: "literal", value: null, span };
    const value = raw.startsWith("0x") ? Number.parseInt(raw, 16) : Number(raw);
    if (Number.isNaN(value)) throw new Malformed();
    return { kind: "literal", value, span };
  }

  private stringLiteral(node: Node): string {
    // Without its closing quote the literal runs to the end of the node.
    const closed = this.text[node.end - 1] === '"' && node.end - node.start >= 2;
    return unescapeQuoted(this.text.slice(node.start + 1, closed ? node.end - 1 : node.end));
  }

  private collection(node: Node): Expr {
    const inner = node.children[0];
    const span = this.span(node.start, node.end);
    if (inner?.type === "tuple")
      return {
        kind: "tuple",
        items: inner.children.filter((c) => c.type === "expression").map((c) => this.expressionUnsafe(c)),
        span,
      };
    if (inner?.type === "object") {
      const items = inner.children
        .filter((c) => c.type === "object_elem")
        .map((element) => {
          const [key, value] = element.children.filter((c) => c.type === "expression");
          if (!key || !value) throw new Malformed();
          return { key: this.expressionUnsafe(key), value: this.expressionUnsafe(value) };
        });
      return { kind: "object", items, span };
    }
    throw new Malformed();
  }

  private call(node: Node): Expr {
    const [name, ...rest] = node.children;
    if (name?.type !== "identifier") throw new Malformed();
    const args = rest.find((c) => c.type === "function_arguments");
    return {
      kind: "call",
      name: this.slice(name),
      args: (args?.children ?? [])
        .filter((c) => c.type === "expression")
        .map((c) => this.expressionUnsafe(c)),
      expandFinal: (args?.children ?? []).some((c) => c.type === "ellipsis"),
      span: this.span(node.start, node.end),
    };
  }

  private forExpr(node: Node): Expr {
    const inner = node.children[0];
    if (!inner) throw new Malformed();
    const intro = inner.children.find((c) => c.type === "for_intro");
    if (!intro) throw new Malformed();
    const names = intro.children.filter((c) => c.type === "identifier").map((c) => this.slice(c));
    const collection = intro.children.find((c) => c.type === "expression");
    const body = inner.children.filter((c) => c.type === "expression");
    const condition = inner.children
      .find((c) => c.type === "for_cond")
      ?.children.find((c) => c.type === "expression");
    if (!collection || names.length === 0) throw new Malformed();
    const object = inner.type === "for_object_expr";
    const [first, second] = body;
    if (!first || (object && !second)) throw new Malformed();
    return {
      kind: "for",
      keyVar: names.length > 1 ? names[0] : undefined,
      valueVar: names[names.length - 1] ?? "",
      collection: this.expressionUnsafe(collection),
      key: object ? this.expressionUnsafe(first) : undefined,
      value: this.expressionUnsafe(object && second ? second : first),
      condition: condition ? this.expressionUnsafe(condition) : undefined,
      grouping: inner.children.some((c) => c.type === "ellipsis"),
      span: this.span(node.start, node.end),
    };
  }

  private operation(node: Node): Expr {
    const inner = node.children[0];
    const span = this.span(node.start, node.end);
    if (!inner) throw new Malformed();
    if (inner.type === "unary_operation") {
      const [operator, ...operand] = inner.children;
      if (operator?.type !== "-" && operator?.type !== "!") throw new Malformed();
      return { kind: "unary", operator: operator.type, operand: this.terms(operand, inner), span };
    }
    if (inner.type === "binary_operation") {
      const at = inner.children.findIndex((c, i) => i > 0 && BINARY.has(c.type));
      const operator = inner.children[at];
      if (at <= 0 || !operator) throw new Malformed();
      const left = inner.children.slice(0, at);
      const right = inner.children.slice(at + 1);
      const leftNode = { ...inner, end: operator.start };
      const rightNode = { ...inner, start: right[0]?.start ?? operator.end };
      return {
        kind: "binary",
        operator: operator.type as BinaryOperator,
        left: this.terms(left, leftNode),
        right: this.terms(right, rightNode),
        span,
      };
    }
    throw new Malformed();
  }

  private template(node: Node): Expr {
    const inner = node.children[0];
    const span = this.span(node.start, node.end);
    if (!inner) throw new Malformed();
    if (inner.type === "quoted_template") {
      const open = inner.children[0];
      const close = inner.children[inner.children.length - 1];
      const end = close?.type === "quoted_template_end" && !close.missing ? close.start : inner.end;
      return {
        kind: "template",
        parts: this.parts(inner.children, open?.end ?? inner.start, end, true),
        span,
      };
    }
    if (inner.type === "heredoc_template") return this.heredoc(inner, span);
    throw new Malformed();
  }

  private heredoc(node: Node, span: SourceSpan): Expr {
    const start = node.children.find((c) => c.type === "heredoc_start");
    const identifiers = node.children.filter((c) => c.type === "heredoc_identifier");
    const [open, close] = identifiers;
    if (!start || !open) throw new Malformed();
    const newline = this.text.indexOf("\n", open.end);
    const from = newline === -1 ? open.end : newline + 1;
    // The content runs to the start of the closing marker's line, newline included.
    const to =
      close && !close.missing ? this.lines.lineStart(this.lines.position(close.start).line) : node.end;
    const outer = this.indent;
    // `<<-` removes the indentation of the least indented line before anything else is read.
    this.indent = this.slice(start) === "<<-" ? commonIndent(this.text.slice(from, to)) : 0;
    try {
      return { kind: "template", parts: this.parts(node.children, from, Math.max(from, to), false), span };
    } finally {
      this.indent = outer;
    }
  }

  /** Indentation to remove from the lines of the heredoc being read (`<<-`). */
  private indent = 0;

  /** The source between two offsets without the heredoc's common indentation. */
  private dedented(from: number, to: number): string {
    if (this.indent === 0) return this.text.slice(from, to);
    let out = "";
    let at = from;
    while (at < to) {
      if (this.text[at - 1] === "\n")
        for (let k = 0; k < this.indent && at < to && (this.text[at] === " " || this.text[at] === "\t"); k++)
          at++;
      const newline = this.text.indexOf("\n", at);
      const end = newline === -1 || newline >= to ? to : newline + 1;
      out += this.text.slice(at, end);
      at = end;
    }
    return out;
  }

  /**
   * Template parts between `from` and `to`: interpolations and directives among `children`,
   * and the source text between them as literals (tree-sitter drops spaces between chunks, so
   * literal text is always taken from the source).
   */
  private parts(children: readonly Node[], from: number, to: number, quoted: boolean): TemplatePart[] {
    const parts: TemplatePart[] = [];
    let at = from;
    let stripNext = false;
    const literal = (end: number, stripEnd: boolean) => {
      let raw = this.dedented(at, Math.max(at, end));
      if (stripNext) raw = raw.replace(/^\s+/, "");
      if (stripEnd) raw = raw.replace(/\s+$/, "");
      const text = quoted ? unescapeQuoted(raw) : raw.replace(TEMPLATE_ESCAPE, (m) => m.slice(1));
      if (text) parts.push({ kind: "literal", text });
      stripNext = false;
    };
    for (const child of children) {
      if (child.start < from || child.end > to) continue;
      if (child.type === "template_interpolation") {
        const markers = stripMarkers(child);
        literal(child.start, markers.before);
        const expr = child.children.find((c) => c.type === "expression");
        if (expr) parts.push({ kind: "interpolation", expr: this.expressionUnsafe(expr) });
        at = child.end;
        stripNext = markers.after;
      } else if (child.type === "template_directive") {
        const directive = child.children[0];
        if (!directive) throw new Malformed();
        const opening = directive.children[0];
        const closing = directive.children[directive.children.length - 1];
        literal(child.start, opening ? stripMarkers(opening).before : false);
        parts.push(
          directive.type === "template_if"
            ? this.templateIf(directive, quoted)
            : this.templateFor(directive, quoted),
        );
        at = child.end;
        stripNext = closing ? stripMarkers(closing).after : false;
      }
    }
    literal(to, false);
    return parts;
  }

  private templateIf(node: Node, quoted: boolean): TemplatePart {
    const intro = node.children.find((c) => c.type === "template_if_intro");
    const elseIntro = node.children.find((c) => c.type === "template_else_intro");
    const end = node.children.find((c) => c.type === "template_if_end");
    const condition = intro?.children.find((c) => c.type === "expression");
    if (!intro || !end || !condition) throw new Malformed();
    const thenEnd = elseIntro ?? end;
    return {
      kind: "if",
      condition: this.expressionUnsafe(condition),
      then: this.branch(node.children, intro, thenEnd, quoted),
      else: elseIntro ? this.branch(node.children, elseIntro, end, quoted) : [],
    };
  }

  private templateFor(node: Node, quoted: boolean): TemplatePart {
    const start = node.children.find((c) => c.type === "template_for_start");
    const end = node.children.find((c) => c.type === "template_for_end");
    if (!start || !end) throw new Malformed();
    const names = start.children.filter((c) => c.type === "identifier").map((c) => this.slice(c));
    const collection = start.children.find((c) => c.type === "expression");
    if (!collection || names.length === 0) throw new Malformed();
    return {
      kind: "for",
      keyVar: names.length > 1 ? names[0] : undefined,
      valueVar: names[names.length - 1] ?? "",
      collection: this.expressionUnsafe(collection),
      body: this.branch(node.children, start, end, quoted),
    };
  }

  /** The parts between two directive markers, honouring their `~` strip markers. */
  private branch(children: readonly Node[], open: Node, close: Node, quoted: boolean): TemplatePart[] {
    const parts = this.parts(children, open.end, close.start, quoted);
    const first = parts[0];
    if (stripMarkers(open).after && first?.kind === "literal") first.text = first.text.replace(/^\s+/, "");
    const last = parts[parts.length - 1];
    if (stripMarkers(close).before && last?.kind === "literal") last.text = last.text.replace(/\s+$/, "");
    return parts.filter((p) => p.kind !== "literal" || p.text !== "");
  }
}

const TOP_LEVEL = new Set([
  "resource",
  "data",
  "module",
  "variable",
  "output",
  "locals",
  "provider",
  "terraform",
]);

/** Removes top-level kinds of blocks from inside `block` (recursively) and returns them. */
function hoist(block: Block): Block[] {
  const out: Block[] = [];
  const kept: Block[] = [];
  for (const inner of block.body.blocks) {
    if (TOP_LEVEL.has(inner.type) && inner.labels.length > 0) out.push(inner, ...hoist(inner));
    else kept.push(inner);
  }
  block.body.blocks = kept;
  return out;
}

/** Whether a `~` follows the opening `${`/`%{` of a node, or precedes its closing `}`. */
function stripMarkers(node: Node): { before: boolean; after: boolean } {
  const children = node.children;
  const last = children.length - 2;
  return {
    before: children[1]?.type === "strip_marker",
    after: last > 1 && children[last]?.type === "strip_marker",
  };
}

export function unescapeQuoted(raw: string): string {
  if (!raw.includes("\\") && !raw.includes("$${") && !raw.includes("%%{")) return raw;
  return raw.replace(
    QUOTED_ESCAPE,
    (match, u4: string | undefined, u8: string | undefined, c: string | undefined) => {
      if (u4) return String.fromCharCode(Number.parseInt(u4, 16));
      if (u8) return String.fromCodePoint(Math.min(Number.parseInt(u8, 16), 0x10ffff));
      if (c !== undefined) return ESCAPES[c] ?? match;
      return match.slice(1);
    },
  );
}

/** The indentation common to every non-blank line of a text. */
function commonIndent(text: string): number {
  let indent = Number.POSITIVE_INFINITY;
  for (const line of text.split("\n")) if (line.trim() !== "") indent = Math.min(indent, leading(line));
  return Number.isFinite(indent) ? indent : 0;
}

function leading(line: string): number {
  return line.length - line.trimStart().length;
}
