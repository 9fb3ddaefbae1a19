import type { FieldValue, GenericResource, Provenance, SourceSpan } from "../model.js";

export const OPERATORS = [
  "exists",
  "equals",
  "not-equals",
  "in",
  "not-in",
  "matches",
  "contains",
  "greater-than",
  "less-than",
] as const;
export type Operator = (typeof OPERATORS)[number];

export type Test =
  | { op: "exists"; expected: boolean }
  | { op: "equals" | "not-equals" | "contains"; expected: unknown }
  | { op: "in" | "not-in"; expected: readonly unknown[] }
  | { op: "matches"; expected: RegExp }
  | { op: "greater-than" | "less-than"; expected: number };

export type Condition =
  | { all: readonly Condition[] }
  | { any: readonly Condition[] }
  | { not: Condition }
  | { attribute: string; test: Test };

type KnownField = Extract<FieldValue, { known: true }>;

/**
 * Three-valued: a test on a value the model cannot know (a variable without a value, an
 * apply-time attribute) is unknown, and unknown never makes a rule report. `all` is false as soon
 * as one part is false, `any` true as soon as one is true, `not` swaps true and false.
 */
export interface Outcome {
  value: boolean | "unknown";
  /** The test that decided the outcome, for the message and the span. */
  leaf?: { attribute: string; test: Test; field: KnownField } | undefined;
  /** The decisive test held where the rule needed it not to (under an odd number of `not`s). */
  negated?: boolean | undefined;
}

export function evaluate(condition: Condition, resource: GenericResource): Outcome {
  if ("all" in condition) {
    let unknown = false;
    let last: Outcome | undefined;
    for (const part of condition.all) {
      const outcome = evaluate(part, resource);
      if (outcome.value === false) return outcome;
      if (outcome.value === "unknown") unknown = true;
      else last = outcome;
    }
    return unknown ? { value: "unknown" } : { value: true, leaf: last?.leaf, negated: last?.negated };
  }
  if ("any" in condition) {
    let unknown = false;
    let first: Outcome | undefined;
    for (const part of condition.any) {
      const outcome = evaluate(part, resource);
      if (outcome.value === true) return outcome;
      if (outcome.value === "unknown") unknown = true;
      else first ??= outcome;
    }
    return unknown ? { value: "unknown" } : { value: false, leaf: first?.leaf, negated: first?.negated };
  }
  if ("not" in condition) {
    const outcome = evaluate(condition.not, resource);
    if (outcome.value === "unknown") return outcome;
    return { value: !outcome.value, leaf: outcome.leaf, negated: !outcome.negated };
  }
  let field: FieldValue;
  try {
    field = resource.get(condition.attribute);
  } catch {
    return { value: "unknown" };
  }
  if (!field.known) return { value: "unknown" };
  return {
    value: test(condition.test, field.value),
    leaf: { attribute: condition.attribute, test: condition.test, field },
  };
}

function test(t: Test, value: unknown): boolean {
  switch (t.op) {
    case "exists":
      return (value !== undefined && value !== null) === t.expected;
    case "equals":
      return looseEquals(value, t.expected);
    case "not-equals":
      return !looseEquals(value, t.expected);
    case "in":
      return t.expected.some((candidate) => looseEquals(value, candidate));
    case "not-in":
      return !t.expected.some((candidate) => looseEquals(value, candidate));
    case "matches":
      return (typeof value === "string" || typeof value === "number") && t.expected.test(String(value));
    case "contains":
      if (Array.isArray(value)) return value.some((item) => looseEquals(item, t.expected));
      if (typeof value === "string") return value.includes(String(t.expected));
      if (value && typeof value === "object") return Object.hasOwn(value, String(t.expected));
      return false;
    case "greater-than":
    case "less-than": {
      const n = toNumber(value);
      if (n === undefined) return false;
      return t.op === "greater-than" ? n > t.expected : n < t.expected;
    }
  }
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

/**
 * Equality as users mean it across formats: `80` and `"80"`, `true` and `"true"` are the same
 * value (Terraform and YAML disagree on quoting); arrays and objects compare by content.
 */
export function looseEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const scalar = (v: unknown) => typeof v === "string" || typeof v === "number" || typeof v === "boolean";
  if (scalar(a) && scalar(b)) return String(a) === String(b);
  if (a && b && typeof a === "object" && typeof b === "object")
    return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

export function show(value: unknown): string {
  if (value === undefined) return "not set";
  const text = value instanceof RegExp ? String(value) : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Why a resource fails: "`tags.owner` is not set", "`acl` is "public-read", expected one of ...". */
export function describeViolation(outcome: Outcome): string {
  const leaf = outcome.leaf;
  if (!leaf) return "the required condition does not hold";
  const name = `\`${leaf.attribute}\``;
  const actual = show(leaf.field.value);
  const { test: t } = leaf;
  if (outcome.negated) {
    switch (t.op) {
      case "exists":
        return t.expected
          ? `${name} is set (${actual}), which the rule forbids`
          : `${name} is not set, which the rule forbids`;
      default:
        return `${name} is ${actual}, which the rule forbids (${t.op} ${show(t.expected)})`;
    }
  }
  switch (t.op) {
    case "exists":
      return t.expected ? `${name} is not set` : `${name} is set (${actual}); it must not be`;
    case "equals":
      return `${name} is ${actual}, expected ${show(t.expected)}`;
    case "not-equals":
      return `${name} must not be ${show(t.expected)}`;
    case "in":
      return `${name} is ${actual}, expected one of ${t.expected.map(show).join(", ")}`;
    case "not-in":
      return `${name} is ${actual}, which is not allowed`;
    case "matches":
      return `${name} is ${actual}, which does not match ${String(t.expected)}`;
    case "contains":
      return `${name} is ${actual}, which does not contain ${show(t.expected)}`;
    case "greater-than":
      return `${name} is ${actual}, expected more than ${t.expected}`;
    case "less-than":
      return `${name} is ${actual}, expected less than ${t.expected}`;
  }
}

/** The span and provenance of the value that decided the outcome, when the model knows them. */
export function evidence(outcome: Outcome): {
  span?: SourceSpan | undefined;
  provenance: readonly Provenance[];
} {
  return { span: outcome.leaf?.field.span, provenance: outcome.leaf?.field.provenance ?? [] };
}
