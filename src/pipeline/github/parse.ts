import { NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { TemplateToken } from "@actions/workflow-parser/templates/tokens/template-token";
import { closest } from "../../config/suggest.js";
import type { Diagnostic } from "../../errors/index.js";
import { KEY_SUPPORT, LOOSE_DEFINITIONS } from "./keys.js";
import { definitionOf, isMapping, keyText, positionOf, scalarText } from "./tokens.js";
import type { MappingToken } from "./tokens.js";

export interface ParsedWorkflow {
  root: MappingToken | undefined;
  diagnostics: Diagnostic[];
}

const CONTEXTS_DOC =
  "https://docs.github.com/actions/reference/workflows-and-actions/contexts#context-availability";

/**
 * Parses and validates a workflow with GitHub's own parser and schema (so what GitHub rejects is
 * rejected here, with the same words), then checks every key against what Slipway supports.
 * Every problem of the file comes back at once, positioned.
 */
export function parseWorkflowFile(text: string, file: string): ParsedWorkflow {
  const result = parseWorkflow({ name: file, content: text }, new NoOperationTraceWriter());
  const root = result.value && isMapping(result.value) ? result.value : undefined;
  const diagnostics: Diagnostic[] = result.context.errors.getErrors().map((error) => {
    const position = error.range
      ? { file, line: error.range.start.line, column: error.range.start.column }
      : positionFromPrefix(file, error.message);
    return { position, ...describe(error.rawMessage, root, position) };
  });
  if (root) diagnostics.push(...unsupportedKeys(root, file));
  return { root, diagnostics };
}

/** The parser puts `(Line: n, Col: m)` in the message of errors without a range. */
function positionFromPrefix(file: string, message: string) {
  const match = /\(Line: (\d+), Col: (\d+)\)/.exec(message);
  return { file, line: Number(match?.[1] ?? 1), column: Number(match?.[2] ?? 1) };
}

function describe(
  raw: string,
  root: MappingToken | undefined,
  position: { line: number; column: number },
): { message: string; hint?: string | undefined } {
  const unexpected = /^Unexpected value '(.*)'$/.exec(raw);
  if (unexpected?.[1] !== undefined) {
    const key = unexpected[1];
    const around = root ? definitionAround(root, position) : undefined;
    const isEvent = around === "on-mapping-strict" || around === "on";
    const known = Object.keys(KEY_SUPPORT[isEvent ? "on-mapping-strict" : (around ?? "")] ?? {});
    const suggestion = closest(key, known);
    return {
      message: isEvent ? `unknown event "${key}"` : `unknown key "${key}"`,
      hint: suggestion
        ? `did you mean "${suggestion}"?`
        : isEvent
          ? "see https://docs.github.com/actions/reference/workflows-and-actions/events-that-trigger-workflows"
          : known.length > 0
            ? `allowed here: ${known.join(", ")}`
            : undefined,
    };
  }
  if (/Unrecognized named-value|Unrecognized function/.test(raw)) {
    return {
      message: `invalid expression: ${raw}`,
      hint: `each key allows its own contexts: ${CONTEXTS_DOC}`,
    };
  }
  if (
    /^(Unexpected symbol|Unexpected end|Unexpected type|Too (few|many) parameters|The expression is not closed)/.test(
      raw,
    )
  ) {
    return { message: `invalid expression: ${raw}` };
  }
  return { message: raw };
}

/**
 * The schema definition of the innermost mapping around a position, for "did you mean"; "on"
 * when the position is in the value of `on:` outside any mapping (`on: [pushh]`).
 */
function definitionAround(
  root: MappingToken,
  position: { line: number; column: number },
): string | undefined {
  let best: MappingToken | undefined;
  for (const [, token] of TemplateToken.traverse(root)) {
    if (!isMapping(token) || !token.range || !contains(token.range, position)) continue;
    if (!best?.range || contains(best.range, token.range.start)) best = token;
  }
  if (best === root) {
    for (const pair of root) {
      if (keyText(pair.key) === "on" && pair.value.range && contains(pair.value.range, position)) return "on";
    }
  }
  return best ? definitionOf(best) : undefined;
}

function contains(
  range: { start: { line: number; column: number }; end: { line: number; column: number } },
  p: { line: number; column: number },
): boolean {
  const after = p.line > range.start.line || (p.line === range.start.line && p.column >= range.start.column);
  const before = p.line < range.end.line || (p.line === range.end.line && p.column <= range.end.column);
  return after && before;
}

/** Every key the table rejects, wherever it appears, at the key. */
function unsupportedKeys(root: MappingToken, file: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const [, token] of TemplateToken.traverse(root)) {
    if (!isMapping(token)) continue;
    const definition = definitionOf(token);
    const table = definition ? KEY_SUPPORT[definition] : undefined;
    if (!table) continue;
    for (const pair of token) {
      const key = keyText(pair.key);
      const support = table[key];
      if (support === undefined) {
        if (definition && LOOSE_DEFINITIONS.has(definition)) continue;
        diagnostics.push({
          position: positionOf(file, pair.key),
          message: `"${key}" is not supported by Slipway yet`,
          hint: "remove it for a local run",
        });
      } else if (support.kind === "rejected" && support.reportedAt === undefined) {
        diagnostics.push({
          position: positionOf(file, pair.key),
          message:
            definition === "workflow-job" && key === "uses"
              ? `reusable workflow ${scalarText(pair.value)} is not available: ${support.reason}`
              : `"${key}" is not supported: ${support.reason}`,
          hint: support.hint,
        });
      }
    }
  }
  return diagnostics;
}
