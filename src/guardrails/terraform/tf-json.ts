/**
 * `.tf.json` files (https://developer.hashicorp.com/terraform/language/syntax/json) to the same
 * syntax tree as native files. Strings are templates (`"${var.x}"`); without the provider
 * schema, objects and arrays of objects inside resources are read as nested blocks, which is
 * how lookups see them either way.
 */
import type { ScanDiagnostic, SourceSpan } from "../model.js";
import { parseJsonSource, JsonSyntaxError, type JsonNode } from "./json-source.js";
import { emptyBody, type HclParser } from "./parser.js";
import type { Attribute, Block, Body, Expr, ParsedFile } from "./syntax.js";

/** Blocks whose first level of keys are labels, not attributes. */
const LABELLED_BLOCKS = new Set(["dynamic", "provisioner"]);

export function loadTfJson(
  text: string,
  path: string,
  parser: HclParser,
): { file: ParsedFile; diagnostics: ScanDiagnostic[] } {
  let root: JsonNode;
  try {
    root = parseJsonSource(text, path);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    return {
      file: { path, body: emptyBody(), comments: [] },
      diagnostics: [{ span: error.span, message: `invalid JSON: ${error.message}` }],
    };
  }
  const body = emptyBody();
  if (root.kind !== "object")
    return {
      file: { path, body, comments: [] },
      diagnostics: [{ span: root.span, message: "a .tf.json file must hold an object" }],
    };
  const reader = new Reader(parser);
  for (const entry of root.entries) {
    const value = entry.value;
    switch (entry.key) {
      case "resource":
      case "data":
        for (const [type, names] of members(value))
          for (const [name, bodies] of members(names))
            for (const one of asList(bodies))
              body.blocks.push(reader.block(entry.key, [type, name], one, true));
        break;
      case "variable":
        for (const [name, decl] of members(value)) body.blocks.push(reader.variable(name, decl));
        break;
      case "output":
      case "module":
        for (const [name, decl] of members(value))
          body.blocks.push(reader.block(entry.key, [name], decl, false));
        break;
      case "locals":
        for (const one of asList(value)) body.blocks.push(reader.block("locals", [], one, false));
        break;
      default:
        break;
    }
  }
  return { file: { path, body, comments: [] }, diagnostics: [] };
}

function members(node: JsonNode): [string, JsonNode, SourceSpan][] {
  if (node.kind !== "object") return [];
  return node.entries
    .filter((e) => e.key !== "//")
    .map((e) => [e.key, e.value, keyedSpan(e.keySpan, e.value.span)]);
}

function asList(node: JsonNode): JsonNode[] {
  return node.kind === "array" ? node.items : [node];
}

class Reader {
  constructor(private readonly parser: HclParser) {}

  block(type: string, labels: string[], node: JsonNode, nested: boolean): Block {
    return { type, labels, body: this.body(node, nested), span: node.span };
  }

  variable(name: string, node: JsonNode): Block {
    const body = emptyBody();
    for (const [key, value, span] of members(node)) {
      if (key === "type" && value.kind === "value" && typeof value.value === "string") {
        const expr = this.parser.expression(value.value);
        if (expr) body.attributes.push({ name: key, expr, span });
      } else if (key === "default") body.attributes.push({ name: key, expr: literal(value), span });
      else if (value.kind === "value") body.attributes.push({ name: key, expr: this.expr(value), span });
    }
    return { type: "variable", labels: [name], body, span: node.span };
  }

  /** In resources, objects become nested blocks; elsewhere (locals, module arguments) values. */
  private body(node: JsonNode, nested: boolean): Body {
    const body = emptyBody();
    for (const [key, value, span] of members(node)) {
      if (nested && LABELLED_BLOCKS.has(key)) {
        for (const [label, inner] of members(value))
          for (const one of asList(inner)) body.blocks.push(this.block(key, [label], one, true));
        continue;
      }
      const objects =
        value.kind === "array" && value.items.length > 0 && value.items.every((i) => i.kind === "object");
      if (nested && (value.kind === "object" || objects)) {
        for (const one of asList(value)) body.blocks.push(this.block(key, [], one, true));
        continue;
      }
      const attribute: Attribute = { name: key, expr: this.expr(value), span };
      body.attributes.push(attribute);
    }
    return body;
  }

  private expr(node: JsonNode): Expr {
    const span = node.span;
    if (node.kind === "array") return { kind: "tuple", items: node.items.map((i) => this.expr(i)), span };
    if (node.kind === "object")
      return {
        kind: "object",
        items: node.entries.map((e) => ({
          key: { kind: "literal", value: e.key, span: e.keySpan },
          value: this.expr(e.value),
        })),
        span,
      };
    if (typeof node.value === "string" && (node.value.includes("${") || node.value.includes("%{"))) {
      const template = this.parser.template(node.value, span.file);
      return template.kind === "invalid" ? { kind: "invalid", span } : { ...template, span };
    }
    if (typeof node.value === "string")
      return { kind: "literal", value: node.value.replace(/\$\$\{/g, "${"), span };
    return { kind: "literal", value: node.value, span };
  }
}

/** JSON values as constants: defaults are not templates. */
function literal(node: JsonNode): Expr {
  const span = node.span;
  if (node.kind === "array") return { kind: "tuple", items: node.items.map(literal), span };
  if (node.kind === "object")
    return {
      kind: "object",
      items: node.entries.map((e) => ({
        key: { kind: "literal", value: e.key, span: e.keySpan },
        value: literal(e.value),
      })),
      span,
    };
  return { kind: "literal", value: node.value, span };
}

/** From an attribute's key to the end of its value, as native attributes span. */
function keyedSpan(key: SourceSpan, value: SourceSpan): SourceSpan {
  return {
    file: key.file,
    line: key.line,
    column: key.column,
    endLine: value.endLine,
    endColumn: value.endColumn,
  };
}
