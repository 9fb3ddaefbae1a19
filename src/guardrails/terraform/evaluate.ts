/**
 * Evaluates HCL expressions against one module instance, recording on the way where the
 * variables, locals and module arguments it read were set (provenance) and which resources it
 * referred to. Semantics follow Terraform's: an unknown operand makes an operation unknown,
 * a conditional on an unknown condition is unknown unless both branches agree, and what
 * Terraform would reject as an error is unknown here (the scan goes on).
 * https://developer.hashicorp.com/terraform/language/expressions
 */
import type { Provenance } from "../model.js";
import { callFunction, type FunctionContext } from "./functions.js";
import { UNKNOWN, type HclValue, type TfAttribute } from "./model.js";
import type { Expr, TemplatePart, TraversalOp } from "./syntax.js";
import {
  EvalError,
  UnknownSignal,
  asBool,
  asNumber,
  asString,
  equal,
  isObject,
  isOpenObject,
  sortedKeys,
  typeName,
  type HclObject,
} from "./values.js";

/** A named value in scope with where it came from. */
export interface Binding {
  value: HclValue;
  provenance: readonly Provenance[];
  references: readonly string[];
}

/** One instance of a resource, data source or module call as expressions see it. */
export interface InstanceValue {
  value: HclValue;
  /** Full address of the instance, for references (`module.a[0].aws_s3_bucket.b["x"]`). */
  address: string;
  /** A named part (resource attribute, module output) with its own provenance. */
  member(name: string): Binding | undefined;
}

/** All instances of one resource or module call: by key, or unknown when count/for_each is. */
export interface Collection {
  shape: "single" | "list" | "map" | "unknown";
  instances: ReadonlyMap<string | number, InstanceValue>;
  /** Address without instance keys (`module.a.aws_s3_bucket.b`), recorded as a reference. */
  configAddress: string | undefined;
}

/** What a module instance offers to its expressions. */
export interface ModuleScope {
  variable(name: string): Binding | undefined;
  local(name: string): Binding | undefined;
  moduleCall(name: string): Collection | undefined;
  resource(mode: "managed" | "data", type: string, name: string): Collection | undefined;
  path(name: string): string | undefined;
  functions: FunctionContext;
}

export class Trace {
  readonly provenance: Provenance[] = [];
  readonly references = new Set<string>();
  private readonly seen = new Set<string>();

  addProvenance(entries: readonly Provenance[]): void {
    for (const entry of entries) {
      const key = `${entry.description}\0${entry.span.file}\0${entry.span.line}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      this.provenance.push(entry);
    }
  }

  addBinding(binding: Binding): void {
    this.addProvenance(binding.provenance);
    for (const reference of binding.references) this.references.add(reference);
  }

  merge(other: Trace): void {
    this.addProvenance(other.provenance);
    for (const reference of other.references) this.references.add(reference);
  }

  binding(value: HclValue): Binding {
    return { value, provenance: this.provenance, references: [...this.references] };
  }
}

/** Names bound inside a module: count, each, for-expression and dynamic-block iterators. */
export class Scope {
  private constructor(
    readonly module: ModuleScope,
    private readonly names: ReadonlyMap<string, Binding> | undefined,
    private readonly parent: Scope | undefined,
  ) {}

  static of(module: ModuleScope): Scope {
    return new Scope(module, undefined, undefined);
  }

  with(names: ReadonlyMap<string, Binding>): Scope {
    return new Scope(this.module, names, this);
  }

  get(name: string): Binding | undefined {
    return this.names?.get(name) ?? this.parent?.get(name);
  }
}

/** Evaluates an attribute's expression; errors and unknowns give UNKNOWN, never an exception. */
export function evaluateBinding(expr: Expr, scope: Scope): Binding {
  const trace = new Trace();
  let value: HclValue;
  try {
    value = evaluate(expr, scope, trace);
  } catch (error) {
    if (!(error instanceof EvalError || error instanceof UnknownSignal || error instanceof RangeError))
      throw error;
    value = UNKNOWN;
  }
  return trace.binding(value);
}

export function evaluate(expr: Expr, scope: Scope, trace: Trace): HclValue {
  try {
    return evaluateUnsafe(expr, scope, trace);
  } catch (error) {
    if (error instanceof UnknownSignal) return UNKNOWN;
    throw error;
  }
}

function evaluateUnsafe(expr: Expr, scope: Scope, trace: Trace): HclValue {
  switch (expr.kind) {
    case "literal":
      return expr.value;
    case "template":
      return template(expr.parts, scope, trace);
    case "tuple":
      return expr.items.map((item) => evaluate(item, scope, trace));
    case "object": {
      const out: HclObject = {};
      for (const item of expr.items) {
        const key = item.key.kind === "variable" ? item.key.name : evaluate(item.key, scope, trace);
        if (key === UNKNOWN) return UNKNOWN;
        out[asString(key)] = evaluate(item.value, scope, trace);
      }
      return out;
    }
    case "paren":
      return evaluate(expr.inner, scope, trace);
    case "variable":
    case "attr":
    case "index":
      return traversal(expr, scope, trace);
    case "splat": {
      const target = evaluate(expr.target, scope, trace);
      if (target === UNKNOWN) return UNKNOWN;
      if (target === null) return [];
      const items = Array.isArray(target) ? target : [target];
      return items.map((item) => applyOps(item, expr.ops, scope, trace));
    }
    case "call":
      return call(expr, scope, trace);
    case "for":
      return forExpression(expr, scope, trace);
    case "conditional": {
      const condition = evaluate(expr.condition, scope, trace);
      if (condition !== UNKNOWN) return evaluate(asBool(condition) ? expr.then : expr.else, scope, trace);
      const then = evaluate(expr.then, scope, trace);
      const otherwise = evaluate(expr.else, scope, trace);
      return equal(then, otherwise) === true ? then : UNKNOWN;
    }
    case "unary": {
      const operand = evaluate(expr.operand, scope, trace);
      if (operand === UNKNOWN) return UNKNOWN;
      return expr.operator === "-" ? -asNumber(operand) : !asBool(operand);
    }
    case "binary":
      return binary(expr.operator, evaluate(expr.left, scope, trace), evaluate(expr.right, scope, trace));
    case "invalid":
      return UNKNOWN;
  }
}

function binary(operator: string, left: HclValue, right: HclValue): HclValue {
  if (operator === "==" || operator === "!=") {
    const same = equal(left, right);
    if (same === UNKNOWN) return UNKNOWN;
    return operator === "==" ? same : !same;
  }
  if (left === UNKNOWN || right === UNKNOWN) return UNKNOWN;
  switch (operator) {
    case "&&":
      return asBool(left) && asBool(right);
    case "||":
      return asBool(left) || asBool(right);
  }
  const a = asNumber(left);
  const b = asNumber(right);
  switch (operator) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      if (b === 0) throw new EvalError("division by zero");
      return a / b;
    case "%":
      if (b === 0) throw new EvalError("division by zero");
      return a % b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    default:
      throw new EvalError(`unknown operator ${operator}`);
  }
}

// ---- traversals: var.x, local.y, module.m.out, aws_s3_bucket.b[0].bucket, each.value.port ----

interface Chain {
  root: string;
  ops: TraversalOp[];
}

function chainOf(expr: Expr): Chain | undefined {
  const ops: TraversalOp[] = [];
  let at: Expr = expr;
  for (;;) {
    if (at.kind === "attr") ops.push({ kind: "attr", name: at.name });
    else if (at.kind === "index") ops.push({ kind: "index", key: at.key });
    else if (at.kind === "variable") return { root: at.name, ops: ops.reverse() };
    else return undefined;
    at = at.target;
  }
}

function traversal(expr: Expr, scope: Scope, trace: Trace): HclValue {
  const chain = chainOf(expr);
  if (!chain) {
    // An index or attribute on something that is not a name: `(local.x)[0]`, `f(x).y`.
    if (expr.kind === "attr")
      return applyOps(evaluate(expr.target, scope, trace), [{ kind: "attr", name: expr.name }], scope, trace);
    if (expr.kind === "index")
      return applyOps(evaluate(expr.target, scope, trace), [{ kind: "index", key: expr.key }], scope, trace);
    return UNKNOWN;
  }
  const { root, ops } = chain;
  const bound = scope.get(root);
  if (bound) {
    trace.addBinding(bound);
    return applyOps(bound.value, ops, scope, trace);
  }
  const module = scope.module;
  const first = ops[0];
  const firstName = first?.kind === "attr" ? first.name : undefined;
  switch (root) {
    case "var":
    case "local": {
      if (firstName === undefined) throw new EvalError(`${root} must be followed by a name`);
      const binding = root === "var" ? module.variable(firstName) : module.local(firstName);
      if (!binding) throw new EvalError(`${root}.${firstName} is not declared`);
      trace.addBinding(binding);
      return applyOps(binding.value, ops.slice(1), scope, trace);
    }
    case "module": {
      if (firstName === undefined) throw new EvalError("module must be followed by a name");
      const collection = module.moduleCall(firstName);
      if (!collection) throw new EvalError(`module.${firstName} is not declared`);
      return collectionOps(collection, ops.slice(1), scope, trace);
    }
    case "data": {
      const second = ops[1];
      if (firstName === undefined || second?.kind !== "attr")
        throw new EvalError("data must be followed by a type and name");
      const collection = module.resource("data", firstName, second.name);
      if (!collection) return UNKNOWN;
      return collectionOps(collection, ops.slice(2), scope, trace);
    }
    case "path": {
      if (firstName === undefined) return UNKNOWN;
      const value = module.path(firstName);
      return value === undefined ? UNKNOWN : applyOps(value, ops.slice(1), scope, trace);
    }
    case "count":
    case "each":
    case "self":
    case "terraform":
      // Outside count/for_each these are errors; `self` and `terraform.workspace` depend on the run.
      return UNKNOWN;
    default: {
      if (firstName === undefined) return UNKNOWN;
      const collection = module.resource("managed", root, firstName);
      if (!collection) return UNKNOWN;
      return collectionOps(collection, ops.slice(1), scope, trace);
    }
  }
}

/** Steps into a resource or module call: instance key, then a member with its own provenance. */
function collectionOps(collection: Collection, ops: TraversalOp[], scope: Scope, trace: Trace): HclValue {
  if (collection.configAddress) trace.references.add(collection.configAddress);
  if (collection.shape === "unknown") return UNKNOWN;
  let instance: InstanceValue | undefined;
  let rest = ops;
  if (collection.shape === "single") {
    instance = collection.instances.values().next().value;
  } else {
    const [first, ...after] = ops;
    if (first?.kind !== "index") return applyOps(collectionValue(collection), ops, scope, trace);
    const key = evaluate(first.key, scope, trace);
    if (key === UNKNOWN) return UNKNOWN;
    instance = collection.instances.get(collection.shape === "list" ? asNumber(key) : asString(key));
    if (!instance) throw new EvalError(`no instance ${asString(key)}`);
    rest = after;
  }
  if (!instance) return UNKNOWN;
  if (instance.address !== collection.configAddress) trace.references.add(instance.address);
  const [next, ...after] = rest;
  if (next?.kind === "attr") {
    const member = instance.member(next.name);
    if (member) {
      trace.addBinding(member);
      return applyOps(member.value, after, scope, trace);
    }
  }
  return applyOps(instance.value, rest, scope, trace);
}

function collectionValue(collection: Collection): HclValue {
  if (collection.shape === "list") return [...collection.instances.values()].map((i) => i.value);
  const out: HclObject = {};
  for (const [key, instance] of collection.instances) out[String(key)] = instance.value;
  return out;
}

function applyOps(value: HclValue, ops: readonly TraversalOp[], scope: Scope, trace: Trace): HclValue {
  let current = value;
  for (const op of ops) {
    if (current === UNKNOWN) return UNKNOWN;
    if (op.kind === "attr") current = getAttr(current, op.name);
    else {
      const key = evaluate(op.key, scope, trace);
      if (key === UNKNOWN) return UNKNOWN;
      current = getIndex(current, key);
    }
  }
  return current;
}

function getAttr(value: HclValue, name: string): HclValue {
  if (isObject(value)) {
    const found = value[name];
    if (found !== undefined) return found;
    if (isOpenObject(value)) return UNKNOWN;
    throw new EvalError(`no attribute ${JSON.stringify(name)}`);
  }
  throw new EvalError(`cannot read attribute ${JSON.stringify(name)} of a ${typeName(value)}`);
}

export function getIndex(value: HclValue, key: HclValue): HclValue {
  if (value === UNKNOWN) return UNKNOWN;
  if (Array.isArray(value)) {
    const index = asNumber(key);
    const found = value[index];
    if (found === undefined) throw new EvalError(`index ${index} out of range`);
    return found;
  }
  if (isObject(value)) {
    const found = value[asString(key)];
    if (found !== undefined) return found;
    if (isOpenObject(value)) return UNKNOWN;
    throw new EvalError(`no key ${JSON.stringify(asString(key))}`);
  }
  throw new EvalError(`cannot index a ${typeName(value)}`);
}

// ---- functions, for expressions, templates ----

function call(expr: Extract<Expr, { kind: "call" }>, scope: Scope, trace: Trace): HclValue {
  if (expr.name === "try" || expr.name === "can") {
    for (const [i, argument] of expr.args.entries()) {
      const attempt = new Trace();
      try {
        const value = evaluateUnsafe(argument, scope, attempt);
        trace.merge(attempt);
        if (expr.name === "can") return value === UNKNOWN ? UNKNOWN : true;
        return value;
      } catch (error) {
        if (error instanceof UnknownSignal) {
          trace.merge(attempt);
          return UNKNOWN;
        }
        if (!(error instanceof EvalError)) throw error;
        if (expr.name === "can") return false;
        if (i === expr.args.length - 1) throw error;
      }
    }
    throw new EvalError(`${expr.name} needs an argument`);
  }
  let args = expr.args.map((argument) => evaluate(argument, scope, trace));
  if (expr.expandFinal) {
    const last = args[args.length - 1];
    if (last === UNKNOWN) return UNKNOWN;
    if (!Array.isArray(last)) throw new EvalError("only a list can be expanded with ...");
    args = [...args.slice(0, -1), ...last];
  }
  return callFunction(expr.name, args, scope.module.functions);
}

function entriesOf(collection: HclValue): [HclValue, HclValue][] {
  if (Array.isArray(collection)) return collection.map((value, index) => [index, value]);
  if (isObject(collection)) return sortedKeys(collection).map((key) => [key, collection[key] as HclValue]);
  throw new EvalError(`cannot iterate over a ${typeName(collection)}`);
}

const NO_PROVENANCE: readonly Provenance[] = [];
const NO_REFERENCES: readonly string[] = [];

function bind(value: HclValue): Binding {
  return { value, provenance: NO_PROVENANCE, references: NO_REFERENCES };
}

function forExpression(expr: Extract<Expr, { kind: "for" }>, scope: Scope, trace: Trace): HclValue {
  const collection = evaluate(expr.collection, scope, trace);
  if (collection === UNKNOWN) return UNKNOWN;
  const list: HclValue[] = [];
  const object: HclObject = {};
  const groups: Record<string, HclValue[]> = {};
  for (const [key, value] of entriesOf(collection)) {
    const names = new Map<string, Binding>([[expr.valueVar, bind(value)]]);
    if (expr.keyVar !== undefined) names.set(expr.keyVar, bind(key));
    const inner = scope.with(names);
    if (expr.condition) {
      const keep = evaluate(expr.condition, inner, trace);
      if (keep === UNKNOWN) return UNKNOWN;
      if (!asBool(keep)) continue;
    }
    if (!expr.key) {
      list.push(evaluate(expr.value, inner, trace));
      continue;
    }
    const k = evaluate(expr.key, inner, trace);
    if (k === UNKNOWN) return UNKNOWN;
    const name = asString(k);
    const v = evaluate(expr.value, inner, trace);
    if (expr.grouping) (groups[name] ??= []).push(v);
    else if (name in object) throw new EvalError(`duplicate key ${JSON.stringify(name)} in for expression`);
    else object[name] = v;
  }
  if (!expr.key) return list;
  return expr.grouping ? groups : object;
}

function template(parts: readonly TemplatePart[], scope: Scope, trace: Trace): HclValue {
  // A template that is exactly one interpolation keeps the value's type (`"${var.ports}"`).
  const [only] = parts;
  if (parts.length === 1 && only?.kind === "interpolation") return evaluate(only.expr, scope, trace);
  let out = "";
  for (const part of parts) {
    switch (part.kind) {
      case "literal":
        out += part.text;
        break;
      case "interpolation": {
        const value = evaluate(part.expr, scope, trace);
        if (value === UNKNOWN) return UNKNOWN;
        out += asString(value);
        break;
      }
      case "if": {
        const condition = evaluate(part.condition, scope, trace);
        if (condition === UNKNOWN) return UNKNOWN;
        const rendered = template(asBool(condition) ? part.then : part.else, scope, trace);
        if (rendered === UNKNOWN) return UNKNOWN;
        out += asString(rendered);
        break;
      }
      case "for": {
        const collection = evaluate(part.collection, scope, trace);
        if (collection === UNKNOWN) return UNKNOWN;
        for (const [key, value] of entriesOf(collection)) {
          const names = new Map<string, Binding>([[part.valueVar, bind(value)]]);
          if (part.keyVar !== undefined) names.set(part.keyVar, bind(key));
          const rendered = template(part.body, scope.with(names), trace);
          if (rendered === UNKNOWN) return UNKNOWN;
          out += asString(rendered);
        }
        break;
      }
    }
  }
  return out;
}

/** The attribute of a resource instance, as `InstanceValue.member` hands it to references. */
export function attributeBinding(attribute: TfAttribute): Binding {
  return { value: attribute.value, provenance: attribute.provenance, references: attribute.references };
}
