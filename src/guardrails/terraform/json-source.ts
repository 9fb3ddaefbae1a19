/**
 * JSON with the line and column of every value and key: `.tf.json` configurations and plan
 * files report findings at the place they came from, which JSON.parse cannot tell.
 */
import type { SourceSpan } from "../model.js";

export type JsonNode =
  | { kind: "object"; entries: { key: string; keySpan: SourceSpan; value: JsonNode }[]; span: SourceSpan }
  | { kind: "array"; items: JsonNode[]; span: SourceSpan }
  | { kind: "value"; value: string | number | boolean | null; span: SourceSpan };

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly span: SourceSpan,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// Everything up to a quote, a backslash or a control character (which JSON forbids in strings).
// eslint-disable-next-line no-control-regex
const STRING_BODY = /[^"\\\u0000-\u001f]*/y;

/** Parses JSON text; throws JsonSyntaxError with the position of the first error. */
export function parseJsonSource(text: string, file: string): JsonNode {
  let at = 0;
  let line = 1;
  let lineStart = 0;
  const span = (start: number, startLine: number, startLineStart: number): SourceSpan => ({
    file,
    line: startLine,
    column: start - startLineStart + 1,
    endLine: line,
    endColumn: at - lineStart + 1,
  });
  const fail = (message: string): never => {
    throw new JsonSyntaxError(message, { file, line, column: at - lineStart + 1 });
  };
  const skip = () => {
    for (;;) {
      const c = text.charCodeAt(at);
      if (c === 10) {
        at++;
        line++;
        lineStart = at;
      } else if (c === 32 || c === 9 || c === 13) at++;
      else return;
    }
  };
  const string = (): string => {
    at++;
    let out = "";
    for (;;) {
      STRING_BODY.lastIndex = at;
      const chunk = STRING_BODY.exec(text);
      if (chunk) {
        out += chunk[0];
        at += chunk[0].length;
      }
      const c = text[at];
      if (c === '"') {
        at++;
        return out;
      }
      if (c !== "\\") return fail(c === undefined ? "unterminated string" : "control character in string");
      const escape = text[at + 1];
      if (escape === "u") {
        const hex = text.slice(at + 2, at + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) return fail("invalid \\u escape");
        out += String.fromCharCode(Number.parseInt(hex, 16));
        at += 6;
        continue;
      }
      const simple: Record<string, string> = {
        '"': '"',
        "\\": "\\",
        "/": "/",
        b: "\b",
        f: "\f",
        n: "\n",
        r: "\r",
        t: "\t",
      };
      const replacement = escape === undefined ? undefined : simple[escape];
      if (replacement === undefined) return fail("invalid escape in string");
      out += replacement;
      at += 2;
    }
  };
  let depth = 0;
  const value = (): JsonNode => {
    skip();
    const start = at;
    const startLine = line;
    const startLineStart = lineStart;
    const c = text[at];
    if (c === "{") {
      if (++depth > 512) fail("nesting too deep");
      at++;
      const entries: { key: string; keySpan: SourceSpan; value: JsonNode }[] = [];
      skip();
      if (text[at] === "}") at++;
      else
        for (;;) {
          skip();
          if (text[at] !== '"') fail("expected a string key");
          const keyStart = at;
          const keyLine = line;
          const keyLineStart = lineStart;
          const key = string();
          const keySpan = span(keyStart, keyLine, keyLineStart);
          skip();
          if (text[at] !== ":") fail('expected ":"');
          at++;
          entries.push({ key, keySpan, value: value() });
          skip();
          if (text[at] === ",") {
            at++;
            continue;
          }
          if (text[at] === "}") {
            at++;
            break;
          }
          fail('expected "," or "}"');
        }
      depth--;
      return { kind: "object", entries, span: span(start, startLine, startLineStart) };
    }
    if (c === "[") {
      if (++depth > 512) fail("nesting too deep");
      at++;
      const items: JsonNode[] = [];
      skip();
      if (text[at] === "]") at++;
      else
        for (;;) {
          items.push(value());
          skip();
          if (text[at] === ",") {
            at++;
            continue;
          }
          if (text[at] === "]") {
            at++;
            break;
          }
          fail('expected "," or "]"');
        }
      depth--;
      return { kind: "array", items, span: span(start, startLine, startLineStart) };
    }
    if (c === '"') {
      const s = string();
      return { kind: "value", value: s, span: span(start, startLine, startLineStart) };
    }
    for (const [word, literal] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return { kind: "value", value: literal, span: span(start, startLine, startLineStart) };
      }
    }
    NUMBER.lastIndex = at;
    const number = NUMBER.exec(text);
    if (number && number[0].length > 0) {
      at += number[0].length;
      return { kind: "value", value: Number(number[0]), span: span(start, startLine, startLineStart) };
    }
    return fail(c === undefined ? "unexpected end of JSON" : `unexpected ${JSON.stringify(c)}`);
  };
  if (text.charCodeAt(0) === 0xfeff) at = 1;
  const root = value();
  skip();
  if (at < text.length) fail("unexpected text after JSON value");
  return root;
}

/** The plain value of a node. */
export function jsonValue(node: JsonNode): unknown {
  if (node.kind === "value") return node.value;
  if (node.kind === "array") return node.items.map(jsonValue);
  const out: Record<string, unknown> = {};
  for (const entry of node.entries) out[entry.key] = jsonValue(entry.value);
  return out;
}

export function jsonMember(node: JsonNode | undefined, key: string): JsonNode | undefined {
  if (node?.kind !== "object") return undefined;
  for (const entry of node.entries) if (entry.key === key) return entry.value;
  return undefined;
}
