import { Evaluator, Lexer, Parser, data } from "@actions/expressions";
import type { Expr } from "@actions/expressions";
import { hashFiles } from "./hash-files.js";

/**
 * `${{ }}` expressions, in GitHub Actions' language (parsed and evaluated by @actions/expressions,
 * so operators, coercion and built-in functions match what users know from GitHub).
 * Slipway adds the status functions and decides which contexts exist where.
 */

export const STATUS_FUNCTIONS = ["success", "failure", "always", "cancelled"] as const;
export type StatusFunction = (typeof STATUS_FUNCTIONS)[number];

/**
 * Functions Slipway adds to the language's built-in ones: the status functions, and
 * `hashFiles(pattern...)` over the workspace as GitHub's runner computes it.
 */
const extraFunctionInfo = [
  ...STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 })),
  { name: "hashFiles", minArgs: 1, maxArgs: 255 },
];

/** The contexts an expression may read, by where it appears. */
export const CONTEXTS = {
  pipeline: ["env", "secrets", "slipway", "inputs"],
  job: ["env", "secrets", "slipway", "inputs", "matrix", "needs"],
  step: ["env", "secrets", "slipway", "inputs", "matrix", "needs", "steps", "job"],
} as const;
export type ExpressionPlace = keyof typeof CONTEXTS;

export interface ExpressionSegment {
  /** The expression without the `${{ }}` wrapper, trimmed. */
  source: string;
  /** Offset of `${{` in the template. */
  start: number;
  /** Offset just after `}}`. */
  end: number;
}

export class ExpressionSyntaxError extends Error {
  /** Offset inside the template (or bare expression) where the problem is. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

const OPEN = "${{";
const CLOSE = "}}";

/** Splits a template into its `${{ }}` parts; string literals inside may contain `}}`. */
export function findExpressions(template: string): ExpressionSegment[] {
  const segments: ExpressionSegment[] = [];
  let from = 0;
  for (;;) {
    const start = template.indexOf(OPEN, from);
    if (start === -1) return segments;
    let i = start + OPEN.length;
    let inString = false;
    let end = -1;
    for (; i < template.length; i++) {
      const c = template[i];
      if (c === "'") {
        // '' is an escaped quote inside a string literal.
        if (inString && template[i + 1] === "'") i++;
        else inString = !inString;
      } else if (!inString && template.startsWith(CLOSE, i)) {
        end = i + CLOSE.length;
        break;
      }
    }
    if (end === -1)
      throw new ExpressionSyntaxError("unterminated expression: `${{` without a closing `}}`", start);
    segments.push({ source: template.slice(start + OPEN.length, end - CLOSE.length).trim(), start, end });
    from = end;
  }
}

export function hasExpressions(template: string): boolean {
  return template.includes(OPEN);
}

/** `if:` accepts a bare expression or one wrapped in `${{ }}`, as GitHub does. */
export function unwrapCondition(condition: string): string {
  const trimmed = condition.trim();
  if (trimmed.startsWith(OPEN) && trimmed.endsWith(CLOSE)) {
    const segments = findExpressions(trimmed);
    if (segments.length === 1 && segments[0]?.start === 0 && segments[0].end === trimmed.length) {
      return segments[0].source;
    }
  }
  return trimmed;
}

const parsed = new Map<string, Expr>();

/** Parses (with a cache: the same expression runs once per matrix child and per retry). */
export function parseExpression(source: string, place: ExpressionPlace): Expr {
  return parseWithContexts(source, CONTEXTS[place]);
}

/**
 * Parses against an explicit list of context names. The engine parses with the contexts it
 * actually supplies, so a front-end with other contexts (GitHub's `github`, `runner`...) needs
 * no place table here: its own compiler checked where each context is allowed.
 */
function parseWithContexts(source: string, contexts: readonly string[]): Expr {
  const cacheKey = `${contexts.join(",")}\u0000${source}`;
  const hit = parsed.get(cacheKey);
  if (hit) return hit;
  try {
    const tokens = new Lexer(source).lex().tokens;
    const expr = new Parser(tokens, [...contexts], extraFunctionInfo).parse();
    parsed.set(cacheKey, expr);
    return expr;
  } catch (error) {
    const tok = (error as { tok?: { range?: { start?: { column?: number } } } }).tok;
    const column = tok?.range?.start?.column ?? 0;
    throw new ExpressionSyntaxError(describeParseError(error, contexts), column);
  }
}

function describeParseError(error: unknown, contexts: readonly string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/Unrecognized named-value/i.test(message)) {
    return `${message}; contexts available here: ${contexts.join(", ")}`;
  }
  return message;
}

/** Checks every expression of a template (or a bare condition) and returns the problems with offsets. */
export function checkTemplate(
  template: string,
  place: ExpressionPlace,
  options: { bare?: boolean } = {},
): ExpressionSyntaxError[] {
  const errors: ExpressionSyntaxError[] = [];
  if (options.bare) {
    const source = unwrapCondition(template);
    try {
      parseExpression(source, place);
    } catch (error) {
      if (error instanceof ExpressionSyntaxError) errors.push(error);
      else throw error;
    }
    return errors;
  }
  let segments: ExpressionSegment[];
  try {
    segments = findExpressions(template);
  } catch (error) {
    if (error instanceof ExpressionSyntaxError) return [error];
    throw error;
  }
  for (const segment of segments) {
    try {
      parseExpression(segment.source, place);
    } catch (error) {
      if (!(error instanceof ExpressionSyntaxError)) throw error;
      errors.push(new ExpressionSyntaxError(error.message, segment.start));
    }
  }
  return errors;
}

/** What the status functions answer for the job or step being decided. */
export interface StatusState {
  /** Something earlier (a needed job, or an earlier step of this job) failed. */
  failed: boolean;
  cancelled: boolean;
}

export interface EvaluationContext {
  contexts: Record<string, unknown>;
  status: StatusState;
  place: ExpressionPlace;
  /** The directory `hashFiles()` reads; without it, hashFiles fails. */
  workspace?: string | undefined;
}

type FunctionDefinition = ConstructorParameters<typeof Evaluator>[2] extends Map<string, infer F> | undefined
  ? F
  : never;

function functionImplementations(ctx: EvaluationContext): Map<string, FunctionDefinition> {
  const { status } = ctx;
  const answers: Record<StatusFunction, boolean> = {
    success: !status.failed && !status.cancelled,
    failure: status.failed && !status.cancelled,
    always: true,
    cancelled: status.cancelled,
  };
  const functions = new Map<string, FunctionDefinition>(
    STATUS_FUNCTIONS.map((name) => [
      name,
      { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(answers[name]) },
    ]),
  );
  functions.set("hashfiles", {
    name: "hashFiles",
    minArgs: 1,
    maxArgs: 255,
    call: (...args) => {
      if (ctx.workspace === undefined) throw new Error("hashFiles() is only available in steps");
      return new data.StringData(
        hashFiles(
          ctx.workspace,
          args.map((a) => a.coerceString()),
        ),
      );
    },
  });
  return functions;
}

function toExpressionData(value: Record<string, unknown>): data.Dictionary {
  return JSON.parse(JSON.stringify(value), data.reviver) as data.Dictionary;
}

function evaluateRaw(source: string, ctx: EvaluationContext): data.ExpressionData {
  const expr = parseWithContexts(source, Object.keys(ctx.contexts));
  return new Evaluator(expr, toExpressionData(ctx.contexts), functionImplementations(ctx)).evaluate();
}

/** Evaluates one bare expression to a plain JSON value (arrays and objects included). */
export function evaluateValue(source: string, ctx: EvaluationContext): unknown {
  const value = evaluateRaw(source, ctx);
  return JSON.parse(JSON.stringify(value, data.replacer) ?? "null") as unknown;
}

/**
 * Decides an `if:`. As on GitHub, a condition without a status function is implicitly
 * `success() && (condition)`, so a job does not start after a failure unless it asks to.
 */
export function evaluateCondition(
  condition: string,
  ctx: EvaluationContext | (() => EvaluationContext),
  status?: StatusState,
): boolean {
  const source = unwrapCondition(condition);
  // The default condition needs no context: deciding it without building one keeps short jobs cheap.
  if (source === "success()" && status) return !status.failed && !status.cancelled;
  if (typeof ctx === "function") ctx = ctx();
  const usesStatus = STATUS_FUNCTIONS.some((name) => new RegExp(`\\b${name}\\s*\\(`, "i").test(source));
  const full = usesStatus ? source : `success() && (${source})`;
  return truthy(evaluateRaw(full, ctx));
}

function truthy(value: data.ExpressionData): boolean {
  switch (value.kind) {
    case data.Kind.Null:
      return false;
    case data.Kind.Boolean:
      return value.coerceString() === "true";
    case data.Kind.Number:
      return value.number() !== 0 && !Number.isNaN(value.number());
    case data.Kind.String:
      return value.coerceString() !== "";
    default:
      return true;
  }
}

/** Replaces each `${{ }}` in a template by its value as a string (objects and arrays as JSON). */
export function interpolate(template: string, ctx: EvaluationContext): string {
  if (!hasExpressions(template)) return template;
  let out = "";
  let last = 0;
  for (const segment of findExpressions(template)) {
    out += template.slice(last, segment.start);
    const value = evaluateRaw(segment.source, ctx);
    out +=
      value.kind === data.Kind.Dictionary || value.kind === data.Kind.Array
        ? JSON.stringify(value, data.replacer)
        : value.kind === data.Kind.Null
          ? ""
          : value.coerceString();
    last = segment.end;
  }
  return out + template.slice(last);
}
