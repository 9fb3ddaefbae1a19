/**
 * Evaluates CloudFormation intrinsic functions statically, as far as the template alone allows:
 * parameters take their Default (recorded as provenance), conditions are computed from those
 * defaults, mappings are looked up, and strings are joined, split and substituted. Whatever
 * depends on the deployment (resource attributes, parameters without default, the account and
 * region) is `unknown`, remembering which resources it refers to for cross-resource rules.
 *
 * Short forms (`!Ref X`) and long forms (`{ "Ref": "X" }`, `{ "Fn::Sub": ... }`) are the same
 * call: the tag or the single `Fn::` key names the function.
 */
import type { Provenance, SourceSpan } from "../model.js";
import { asMap, at, pairOf, str, text, type LMap, type LNode } from "../kubernetes/yaml-tree.js";
import type { CfnEntry, CfnValue } from "./model.js";
import { functionOfTag } from "./tags.js";

/** `Ref: AWS::NoValue`: the property it is assigned to is removed. */
export const NO_VALUE: unique symbol = Symbol("AWS::NoValue");
export type Evaluated = CfnValue | typeof NO_VALUE;

const LIST_PARAMETER = /^(?:CommaDelimitedList|List<.*>)$/;
/** Intrinsics nest; deeper than this is not a template anyone wrote. */
const MAX_DEPTH = 64;

interface Condition {
  value: boolean | undefined;
  provenance: readonly Provenance[];
}

export class Evaluator {
  private readonly parameters: LMap | undefined;
  private readonly mappings: LMap | undefined;
  private readonly conditions: LMap | undefined;
  private readonly resources: LMap | undefined;
  private readonly conditionCache = new Map<string, Condition>();
  private readonly evaluating = new Set<string>();

  constructor(root: LMap) {
    this.parameters = asMap(at(root, "Parameters"));
    this.mappings = asMap(at(root, "Mappings"));
    this.conditions = asMap(at(root, "Conditions"));
    this.resources = asMap(at(root, "Resources"));
  }

  /** The value of a node of the template, with every intrinsic function it holds evaluated. */
  value(node: LNode, depth = 0): Evaluated {
    if (depth > MAX_DEPTH) return unknown(node.span);
    const call = intrinsic(node);
    if (call) return this.call(call.fn, call.arg, node.span, depth + 1);
    if (node.kind === "scalar")
      return { kind: "scalar", value: node.value, span: node.span, provenance: [], refs: [] };
    if (node.kind === "seq") {
      const values: CfnValue[] = [];
      for (const item of node.items) {
        const value = this.value(item, depth + 1);
        if (value !== NO_VALUE) values.push(value);
      }
      return { kind: "list", items: values, span: node.span, provenance: [], refs: [] };
    }
    const entries = new Map<string, CfnEntry>();
    for (const pair of node.pairs) {
      const value = this.value(pair.value, depth + 1);
      if (value !== NO_VALUE)
        entries.set(pair.key, { key: pair.key, keySpan: pair.keySpan, span: pair.span, value });
    }
    return { kind: "map", entries, span: node.span, provenance: [], refs: [] };
  }

  /** A named condition: true, false, or undefined when it depends on the deployment. */
  condition(name: string): Condition {
    const cached = this.conditionCache.get(name);
    if (cached) return cached;
    const pair = pairOf(this.conditions, name);
    if (!pair || this.evaluating.has(name)) return { value: undefined, provenance: [] };
    this.evaluating.add(name);
    const inner = this.conditionOf(pair.value, 0);
    this.evaluating.delete(name);
    const result: Condition = {
      value: inner.value,
      provenance: [{ description: `condition ${name}`, span: pair.span }, ...inner.provenance],
    };
    this.conditionCache.set(name, result);
    return result;
  }

  private conditionOf(node: LNode, depth: number): Condition {
    if (depth > MAX_DEPTH) return { value: undefined, provenance: [] };
    if (node.kind === "scalar" && typeof node.value === "boolean")
      return { value: node.value, provenance: [] };
    const call = intrinsic(node) ?? conditionReference(node);
    if (!call) return { value: undefined, provenance: [] };
    const args = call.arg.kind === "seq" ? call.arg.items : [call.arg];
    switch (call.fn) {
      case "Condition":
        return this.condition(text(call.arg) ?? "");
      case "Fn::Equals": {
        const [a, b] = args.map((arg) => this.value(arg, depth + 1));
        const provenance = [...provenanceOf(a), ...provenanceOf(b)];
        if (a === undefined || b === undefined || a === NO_VALUE || b === NO_VALUE)
          return { value: undefined, provenance };
        if (a.kind !== "scalar" || b.kind !== "scalar") return { value: undefined, provenance };
        return { value: String(a.value) === String(b.value), provenance };
      }
      case "Fn::Not": {
        const inner = args[0] ? this.conditionOf(args[0], depth + 1) : { value: undefined, provenance: [] };
        return { value: inner.value === undefined ? undefined : !inner.value, provenance: inner.provenance };
      }
      case "Fn::And":
      case "Fn::Or": {
        const parts = args.map((arg) => this.conditionOf(arg, depth + 1));
        const decisive = call.fn === "Fn::And" ? false : true;
        const provenance = parts.flatMap((p) => p.provenance);
        if (parts.some((p) => p.value === decisive)) return { value: decisive, provenance };
        if (parts.every((p) => p.value === !decisive)) return { value: !decisive, provenance };
        return { value: undefined, provenance };
      }
      default:
        return { value: undefined, provenance: [] };
    }
  }

  private call(fn: string, arg: LNode, span: SourceSpan, depth: number): Evaluated {
    const args = arg.kind === "seq" ? arg.items : [];
    switch (fn) {
      case "Ref":
        return this.ref(text(arg) ?? "", span);
      case "Fn::GetAtt": {
        const target = arg.kind === "seq" ? text(args[0]) : text(arg)?.split(".")[0];
        return unknown(span, target !== undefined && this.isResource(target) ? [target] : []);
      }
      case "Fn::Sub":
        return this.sub(arg, span, depth);
      case "Fn::Join": {
        const delimiter = args[0] ? this.value(args[0], depth) : NO_VALUE;
        const list = args[1] ? this.value(args[1], depth) : NO_VALUE;
        if (
          delimiter === NO_VALUE ||
          list === NO_VALUE ||
          delimiter.kind !== "scalar" ||
          list.kind !== "list"
        )
          return unknown(span, refsOf(list));
        if (!list.items.every((item) => item.kind === "scalar"))
          return unknown(span, list.items.flatMap(refsOf), list.items.flatMap(provenanceOf));
        return {
          kind: "scalar",
          value: list.items
            .map((item) => String((item as { value: unknown }).value ?? ""))
            .join(String(delimiter.value ?? "")),
          span,
          provenance: [...list.provenance, ...list.items.flatMap(provenanceOf)],
          refs: [],
        };
      }
      case "Fn::Select": {
        const index = args[0] ? this.value(args[0], depth) : NO_VALUE;
        const list = args[1] ? this.value(args[1], depth) : NO_VALUE;
        const position = index !== NO_VALUE && index.kind === "scalar" ? Number(index.value) : Number.NaN;
        if (list === NO_VALUE || list.kind !== "list" || !Number.isInteger(position))
          return unknown(span, refsOf(list));
        const item = list.items[position];
        return item ? withProvenance(item, list.provenance) : unknown(span);
      }
      case "Fn::Split": {
        const delimiter = args[0] ? this.value(args[0], depth) : NO_VALUE;
        const source = args[1] ? this.value(args[1], depth) : NO_VALUE;
        if (
          delimiter === NO_VALUE ||
          source === NO_VALUE ||
          delimiter.kind !== "scalar" ||
          source.kind !== "scalar"
        )
          return unknown(span, refsOf(source));
        const parts = String(source.value ?? "").split(String(delimiter.value ?? ""));
        return {
          kind: "list",
          items: parts.map((part) => ({
            kind: "scalar",
            value: part,
            span,
            provenance: source.provenance,
            refs: [],
          })),
          span,
          provenance: source.provenance,
          refs: [],
        };
      }
      case "Fn::If": {
        const name = text(args[0]) ?? "";
        const condition = this.condition(name);
        const [whenTrue, whenFalse] = [args[1], args[2]];
        if (condition.value !== undefined) {
          const branch = condition.value ? whenTrue : whenFalse;
          const chosen = branch ? this.value(branch, depth) : NO_VALUE;
          return chosen === NO_VALUE ? NO_VALUE : withProvenance(chosen, condition.provenance);
        }
        const a = whenTrue ? this.value(whenTrue, depth) : NO_VALUE;
        const b = whenFalse ? this.value(whenFalse, depth) : NO_VALUE;
        if (a === NO_VALUE && b === NO_VALUE) return NO_VALUE;
        // Both branches alike: the condition does not matter.
        if (a !== NO_VALUE && b !== NO_VALUE && sameValue(a, b)) return a;
        return unknown(span, [...refsOf(a), ...refsOf(b)]);
      }
      case "Fn::FindInMap": {
        const keys = args.slice(0, 3).map((key) => this.value(key, depth));
        const names = keys.map((key) =>
          key !== NO_VALUE && key.kind === "scalar" ? String(key.value) : undefined,
        );
        const [map, top, second] = names;
        if (map === undefined || top === undefined || second === undefined || names.length < 3)
          return unknown(span);
        const entry = pairOf(at(this.mappings, map, top), second);
        if (!entry) {
          const fallback = at(args[3], "DefaultValue");
          return fallback ? this.value(fallback, depth) : unknown(span);
        }
        const found = this.value(entry.value, depth);
        if (found === NO_VALUE) return NO_VALUE;
        return respan(found, span, [
          ...keys.flatMap(provenanceOf),
          { description: `mapping ${map}.${top}.${second}`, span: entry.span },
        ]);
      }
      case "Fn::Base64": {
        const value = this.value(arg, depth);
        if (value === NO_VALUE || value.kind !== "scalar") return unknown(span, refsOf(value));
        return { ...value, value: Buffer.from(String(value.value ?? "")).toString("base64"), span };
      }
      case "Fn::Equals":
      case "Fn::Not":
      case "Fn::And":
      case "Fn::Or": {
        const result = this.conditionOf(wrap(fn, arg), depth);
        return result.value === undefined
          ? unknown(span)
          : { kind: "scalar", value: result.value, span, provenance: result.provenance, refs: [] };
      }
      default: {
        // ImportValue, GetAZs, Cidr, Transform...: only the deployment knows; keep what they refer to.
        const inner = this.value(arg, depth);
        return unknown(span, inner === NO_VALUE ? [] : collectRefs(inner));
      }
    }
  }

  private ref(name: string, span: SourceSpan): Evaluated {
    if (name === "AWS::NoValue") return NO_VALUE;
    if (name.startsWith("AWS::")) return unknown(span);
    const parameter = pairOf(this.parameters, name);
    if (parameter) return this.parameter(name, parameter.value, span);
    return unknown(span, this.isResource(name) ? [name] : []);
  }

  private parameter(name: string, definition: LNode, span: SourceSpan): Evaluated {
    const defaultPair = pairOf(definition, "Default");
    if (!defaultPair) return unknown(span);
    const provenance: Provenance[] = [{ description: `parameter ${name} default`, span: defaultPair.span }];
    const type = str(at(definition, "Type")) ?? "String";
    const raw = defaultPair.value;
    if (LIST_PARAMETER.test(type) && raw.kind === "scalar") {
      const parts = String(raw.value ?? "")
        .split(",")
        .map((part) => part.trim());
      return {
        kind: "list",
        items: parts.map((part) => ({ kind: "scalar", value: part, span, provenance, refs: [] })),
        span,
        provenance,
        refs: [],
      };
    }
    const value = this.value(raw);
    return value === NO_VALUE ? NO_VALUE : respan(value, span, provenance);
  }

  private sub(arg: LNode, span: SourceSpan, depth: number): Evaluated {
    const template = arg.kind === "seq" ? str(args0(arg)) : str(arg);
    const variables = arg.kind === "seq" ? asMap(arg.items[1]) : undefined;
    if (template === undefined) return unknown(span);
    const parts: string[] = [];
    const provenance: Provenance[] = [];
    const refs: string[] = [];
    let known = true;
    let last = 0;
    for (const match of template.matchAll(/\$\{([^}]*)\}/g)) {
      parts.push(template.slice(last, match.index));
      last = match.index + match[0].length;
      const name = (match[1] ?? "").trim();
      if (name.startsWith("!")) {
        parts.push(`\${${name.slice(1)}}`);
        continue;
      }
      const variable = pairOf(variables, name);
      let value: Evaluated;
      if (variable) value = this.value(variable.value, depth);
      else if (name.includes(".")) {
        const target = name.split(".")[0] ?? "";
        value = unknown(span, this.isResource(target) ? [target] : []);
      } else value = this.ref(name, span);
      if (value === NO_VALUE || value.kind !== "scalar") {
        known = false;
        if (value !== NO_VALUE) refs.push(...collectRefs(value));
        continue;
      }
      parts.push(String(value.value ?? ""));
      provenance.push(...value.provenance);
    }
    parts.push(template.slice(last));
    if (!known) return unknown(span, refs, provenance);
    return { kind: "scalar", value: parts.join(""), span, provenance, refs: [] };
  }

  private isResource(name: string): boolean {
    return this.resources?.index.has(name) ?? false;
  }
}

function args0(node: LNode): LNode | undefined {
  return node.kind === "seq" ? node.items[0] : undefined;
}

/** `!Fn arg` or `{ "Fn::X": arg }` / `{ "Ref": arg }`: the function and its argument. */
function intrinsic(node: LNode): { fn: string; arg: LNode } | undefined {
  if (node.tag) {
    const fn = functionOfTag(node.tag);
    if (fn) return { fn, arg: { ...node, tag: undefined } };
  }
  if (node.kind === "map" && node.pairs.length === 1) {
    const pair = node.pairs[0];
    if (pair && (pair.key === "Ref" || pair.key.startsWith("Fn::"))) return { fn: pair.key, arg: pair.value };
  }
  return undefined;
}

/** `{ "Condition": "Name" }`, which only means a condition inside Conditions and Fn::And/Or/Not. */
function conditionReference(node: LNode): { fn: string; arg: LNode } | undefined {
  if (node.kind !== "map" || node.pairs.length !== 1) return undefined;
  const pair = node.pairs[0];
  return pair?.key === "Condition" ? { fn: "Condition", arg: pair.value } : undefined;
}

function wrap(fn: string, arg: LNode): LNode {
  const pair = { key: fn, keySpan: arg.span, span: arg.span, value: arg };
  return { kind: "map", pairs: [pair], index: new Map([[fn, pair]]), span: arg.span };
}

function unknown(
  span: SourceSpan,
  refs: readonly string[] = [],
  provenance: readonly Provenance[] = [],
): CfnValue {
  return { kind: "unknown", span, provenance, refs: [...new Set(refs)] };
}

function provenanceOf(value: Evaluated | undefined): readonly Provenance[] {
  return value === undefined || value === NO_VALUE ? [] : value.provenance;
}

function refsOf(value: Evaluated | undefined): readonly string[] {
  return value === undefined || value === NO_VALUE ? [] : collectRefs(value);
}

/** Every logical id a value refers to, anywhere inside it. */
export function collectRefs(value: CfnValue): string[] {
  const out = [...value.refs];
  if (value.kind === "list") for (const item of value.items) out.push(...collectRefs(item));
  if (value.kind === "map") for (const entry of value.entries.values()) out.push(...collectRefs(entry.value));
  return out;
}

function withProvenance(value: CfnValue, provenance: readonly Provenance[]): CfnValue {
  return provenance.length === 0 ? value : { ...value, provenance: [...provenance, ...value.provenance] };
}

/** A value moved to where it is used (a `!Ref` or `!FindInMap`), remembering where it was set. */
function respan(value: CfnValue, span: SourceSpan, provenance: readonly Provenance[]): CfnValue {
  const all = [...provenance, ...value.provenance];
  if (value.kind === "list")
    return { ...value, span, provenance: all, items: value.items.map((i) => respan(i, span, provenance)) };
  if (value.kind === "map")
    return {
      ...value,
      span,
      provenance: all,
      entries: new Map(
        [...value.entries].map(([key, entry]) => [
          key,
          { ...entry, keySpan: span, span, value: respan(entry.value, span, provenance) },
        ]),
      ),
    };
  return { ...value, span, provenance: all };
}

function sameValue(a: CfnValue, b: CfnValue): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "unknown") return false;
  if (a.kind === "scalar" && b.kind === "scalar") return a.value === b.value;
  if (a.kind === "list" && b.kind === "list")
    return (
      a.items.length === b.items.length && a.items.every((item, i) => sameValue(item, b.items[i] as CfnValue))
    );
  if (a.kind === "map" && b.kind === "map")
    return (
      a.entries.size === b.entries.size &&
      [...a.entries].every(([key, entry]) => {
        const other = b.entries.get(key);
        return other !== undefined && sameValue(entry.value, other.value);
      })
    );
  return false;
}
