/**
 * Variable type constraints (`type = list(object({ port = optional(number, 443) }))`): values
 * are converted as Terraform converts them, so "22" from a tfvars file compares equal to 22 and
 * an object's optional attributes get their defaults.
 * https://developer.hashicorp.com/terraform/language/expressions/type-constraints
 */
import { toSet } from "./functions.js";
import { UNKNOWN, type HclValue } from "./model.js";
import type { Expr } from "./syntax.js";
import { isObject, type HclObject } from "./values.js";

export type TypeSpec =
  | { kind: "any" | "string" | "number" | "bool" }
  | { kind: "list" | "set" | "map"; element: TypeSpec }
  | { kind: "tuple"; elements: TypeSpec[] }
  | {
      kind: "object";
      attributes: Map<string, { type: TypeSpec; optional: boolean; fallback: Expr | undefined }>;
    };

const ANY: TypeSpec = { kind: "any" };

/** Reads a type constraint expression; anything unrecognised is `any` (no conversion). */
export function parseType(expr: Expr): TypeSpec {
  if (expr.kind === "variable") {
    if (expr.name === "string" || expr.name === "number" || expr.name === "bool") return { kind: expr.name };
    return ANY;
  }
  if (expr.kind === "call") {
    const [first] = expr.args;
    switch (expr.name) {
      case "list":
      case "set":
      case "map":
        return { kind: expr.name, element: first ? parseType(first) : ANY };
      case "tuple":
        return first?.kind === "tuple" ? { kind: "tuple", elements: first.items.map(parseType) } : ANY;
      case "object": {
        if (first?.kind !== "object") return ANY;
        const attributes = new Map<
          string,
          { type: TypeSpec; optional: boolean; fallback: Expr | undefined }
        >();
        for (const item of first.items) {
          const name = item.key.kind === "variable" ? item.key.name : literalString(item.key);
          if (name === undefined) continue;
          const value = item.value;
          if (value.kind === "call" && value.name === "optional")
            attributes.set(name, {
              type: value.args[0] ? parseType(value.args[0]) : ANY,
              optional: true,
              fallback: value.args[1],
            });
          else attributes.set(name, { type: parseType(value), optional: false, fallback: undefined });
        }
        return { kind: "object", attributes };
      }
      default:
        return ANY;
    }
  }
  return ANY;
}

function literalString(expr: Expr): string | undefined {
  if (expr.kind === "literal" && typeof expr.value === "string") return expr.value;
  if (expr.kind === "template" && expr.parts.length === 1 && expr.parts[0]?.kind === "literal")
    return expr.parts[0].text;
  return undefined;
}

/** Converts a value to a type; what cannot be converted is left as it is. */
export function convertToType(
  value: HclValue,
  type: TypeSpec,
  evalConst: (expr: Expr) => HclValue,
): HclValue {
  if (value === UNKNOWN || value === null) return value;
  switch (type.kind) {
    case "any":
      return value;
    case "string":
      if (typeof value === "number") return String(value);
      if (typeof value === "boolean") return value ? "true" : "false";
      return value;
    case "number":
      if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value)))
        return Number(value);
      return value;
    case "bool":
      if (value === "true") return true;
      if (value === "false") return false;
      return value;
    case "list":
    case "set": {
      if (!Array.isArray(value)) return value;
      const items = value.map((v) => convertToType(v, type.element, evalConst));
      return type.kind === "set" && !items.includes(UNKNOWN) ? toSet(items) : items;
    }
    case "tuple":
      if (!Array.isArray(value)) return value;
      return value.map((v, i) => convertToType(v, type.elements[i] ?? ANY, evalConst));
    case "map": {
      if (!isObject(value)) return value;
      const out: HclObject = {};
      for (const [key, v] of Object.entries(value)) out[key] = convertToType(v, type.element, evalConst);
      return out;
    }
    case "object": {
      if (!isObject(value)) return value;
      const out: HclObject = {};
      for (const [name, attribute] of type.attributes) {
        const present = value[name];
        if (present !== undefined && present !== null)
          out[name] = convertToType(present, attribute.type, evalConst);
        else if (attribute.optional)
          out[name] = attribute.fallback
            ? convertToType(evalConst(attribute.fallback), attribute.type, evalConst)
            : null;
        else if (present === null) out[name] = null;
      }
      return out;
    }
  }
}
