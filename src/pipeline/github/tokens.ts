import {
  isBasicExpression,
  isBoolean,
  isMapping,
  isNumber,
  isSequence,
  isString,
} from "@actions/workflow-parser";
import type { MappingToken, TemplateToken } from "@actions/workflow-parser/templates/tokens/index";
import type { SourcePosition } from "../../errors/index.js";

/**
 * Reading the token tree of @actions/workflow-parser: every value keeps its range, and
 * expressions keep the text the user wrote, which is what the IR stores as templates.
 */

export type { MappingToken, TemplateToken };

export function positionOf(file: string, token: TemplateToken | undefined): SourcePosition {
  const start = token?.range?.start;
  return { file, line: start?.line ?? 1, column: start?.column ?? 1 };
}

/** The schema definition the parser matched this token against (`job-factory`, `run-step`...). */
export function definitionOf(token: TemplateToken): string | undefined {
  return token.definitionInfo?.definition.key;
}

/** The entries of a mapping by key, with the key tokens for positions. */
export function entries(
  token: TemplateToken | undefined,
): Map<string, { key: TemplateToken; value: TemplateToken }> {
  const out = new Map<string, { key: TemplateToken; value: TemplateToken }>();
  if (!token || !isMapping(token)) return out;
  for (const pair of token) out.set(keyText(pair.key), { key: pair.key, value: pair.value });
  return out;
}

export function keyText(token: TemplateToken): string {
  return isString(token) ? token.value : scalarText(token);
}

/**
 * A scalar as the IR's template text: a string as written, an expression with its `${{ }}`, a
 * number or boolean as text. Mappings and sequences have no template form.
 */
export function scalarText(token: TemplateToken): string {
  if (isString(token)) return token.value;
  if (isBasicExpression(token)) return token.source ?? `\${{ ${token.expression} }}`;
  if (isNumber(token)) return String(token.value);
  if (isBoolean(token)) return String(token.value);
  return "";
}

/** The plain value, with every expression kept as its `${{ }}` text for later evaluation. */
export function toJS(token: TemplateToken): unknown {
  if (isMapping(token)) {
    const out: Record<string, unknown> = {};
    for (const pair of token) out[keyText(pair.key)] = toJS(pair.value);
    return out;
  }
  if (isSequence(token)) return [...token].map(toJS);
  if (isString(token) || isBasicExpression(token)) return scalarText(token);
  if (isNumber(token) || isBoolean(token)) return token.value;
  return null;
}

/** A string or a sequence of strings (needs, branches...), each with its token. */
export function stringList(token: TemplateToken | undefined): { value: string; token: TemplateToken }[] {
  if (!token) return [];
  if (isSequence(token)) return [...token].map((item) => ({ value: scalarText(item), token: item }));
  return [{ value: scalarText(token), token }];
}

export { isBasicExpression, isBoolean, isMapping, isNumber, isSequence, isString };
