import jsep from "jsep";

/**
 * Success and failure conditions: the part of the expr language
 * (https://expr-lang.org/docs/language-definition) that Argo Rollouts' analysis conditions use,
 * with expr's strict semantics rather than JavaScript's loose ones.
 *
 * Supported syntax
 *   the value     `result`: a number (Prometheus scalar), number[] (Prometheus vector), any
 *                 JSON value (web provider)
 *   literals      1  0.05  1e-3  'text'  "text"  true  false  nil (or null)  [1, 2]
 *   access        result.ok  result["a-b"]  result[0]  result[-1] (from the end)
 *                 result?.ok  result?.[0] (nil instead of an error when result is nil)
 *   arithmetic    + - * / % **   (numbers; + also joins two strings), unary - and +
 *   comparison    == != (deep equality; values of different types are unequal)
 *                 < <= > >= (two numbers or two strings)
 *   logic         && || ! and the words and, or, not; cond ? a : b; a ?? b (b when a is nil)
 *   functions     len(x) isNaN(n) isInf(n) isNil(x) isNull(x) asInt(x) asFloat(x)
 *                 default(x, fallback) abs(n) min(..) max(..) sum(list) mean(list)
 *
 * Where expr and JavaScript differ, this follows expr (and so Argo): an index outside an array
 * is an error, not undefined; && || ! and ?: take booleans only; ordering a number against a
 * string is an error; a condition must produce true or false. An evaluation error makes the
 * measurement Error, as Argo's utils/evaluate/evaluate.go does, so an empty Prometheus vector
 * meets `result[0] < 0.01` with an Error whose message says to guard with `len(result) > 0`.
 *
 * Parsing is jsep, which only builds a syntax tree (nothing is handed to a JavaScript engine);
 * the tree is checked once at compile time (names, functions, operators) and walked here.
 */

// jsep's operator tables are global to the process: these three words become operators for
// every jsep user, which is harmless as long as nobody needs them as identifiers.
jsep.addBinaryOp("or", 1);
jsep.addBinaryOp("and", 2);
jsep.addUnaryOp("not");

export class ConditionError extends Error {
  override readonly name = "ConditionError";
}

export interface Condition {
  readonly source: string;
  /** Throws ConditionError when the condition cannot be evaluated for this value. */
  evaluate(result: unknown): boolean;
}

type Node = jsep.Expression;

const BINARY = new Set([
  "||",
  "or",
  "&&",
  "and",
  "??",
  "==",
  "!=",
  "<",
  "<=",
  ">",
  ">=",
  "+",
  "-",
  "*",
  "/",
  "%",
  "**",
]);
const UNARY = new Set(["!", "not", "-", "+"]);

interface FunctionDef {
  minArgs: number;
  maxArgs: number;
  call(args: unknown[]): unknown;
}

const FUNCTIONS: Record<string, FunctionDef> = {
  len: { minArgs: 1, maxArgs: 1, call: ([x]) => length(x) },
  isNaN: { minArgs: 1, maxArgs: 1, call: ([x]) => Number.isNaN(number(x, "isNaN()")) },
  isInf: {
    minArgs: 1,
    maxArgs: 1,
    call: ([x]) => {
      const n = number(x, "isInf()");
      return n === Infinity || n === -Infinity;
    },
  },
  isNil: { minArgs: 1, maxArgs: 1, call: ([x]) => x === null || x === undefined },
  isNull: { minArgs: 1, maxArgs: 1, call: ([x]) => x === null || x === undefined },
  asInt: { minArgs: 1, maxArgs: 1, call: ([x]) => asInt(x) },
  asFloat: { minArgs: 1, maxArgs: 1, call: ([x]) => asFloat(x) },
  default: {
    minArgs: 2,
    maxArgs: 2,
    call: ([x, fallback]) => (x === null || x === undefined ? fallback : x),
  },
  abs: { minArgs: 1, maxArgs: 1, call: ([x]) => Math.abs(number(x, "abs()")) },
  min: { minArgs: 1, maxArgs: Infinity, call: (args) => Math.min(...numbers(args, "min()")) },
  max: { minArgs: 1, maxArgs: Infinity, call: (args) => Math.max(...numbers(args, "max()")) },
  sum: { minArgs: 1, maxArgs: 1, call: ([x]) => numbers([x], "sum()").reduce((a, b) => a + b, 0) },
  mean: {
    minArgs: 1,
    maxArgs: 1,
    call: ([x]) => {
      const values = numbers([x], "mean()");
      if (values.length === 0) throw new ConditionError("mean() of an empty list");
      return values.reduce((a, b) => a + b, 0) / values.length;
    },
  },
};

/** Parses and checks a condition; throws ConditionError with what is wrong and where. */
export function compileCondition(source: string): Condition {
  let tree: Node;
  try {
    tree = jsep(source);
  } catch (error) {
    throw new ConditionError(`cannot parse \`${source}\`: ${(error as Error).message}`);
  }
  check(tree, source);
  return {
    source,
    evaluate(result: unknown): boolean {
      const value = evaluate(tree, result);
      if (typeof value !== "boolean") {
        throw new ConditionError(`\`${source}\` must be true or false, but gave ${describe(value)}`);
      }
      return value;
    },
  };
}

function check(node: Node, source: string): void {
  const fail = (message: string): never => {
    throw new ConditionError(`\`${source}\`: ${message}`);
  };
  switch (node.type) {
    case "Literal": {
      const value = (node as jsep.Literal).value;
      if (value instanceof RegExp) fail("regular expressions are not supported");
      return;
    }
    case "Identifier": {
      const name = (node as jsep.Identifier).name;
      if (name === "result" || name === "nil") return;
      if (name in FUNCTIONS) fail(`${name} is a function: call it as ${name}(...)`);
      return fail(`unknown name \`${name}\`; the measured value is \`result\``);
    }
    case "MemberExpression": {
      const member = node as jsep.MemberExpression;
      check(member.object, source);
      if (member.computed) check(member.property, source);
      else if (member.property.type !== "Identifier") fail("expected a field name after `.`");
      return;
    }
    case "CallExpression": {
      const call = node as jsep.CallExpression;
      const name = call.callee.type === "Identifier" ? (call.callee as jsep.Identifier).name : undefined;
      const fn = name === undefined ? undefined : FUNCTIONS[name];
      if (name === undefined || fn === undefined) {
        return fail(
          `unknown function${name === undefined ? "" : ` \`${name}\``}; known: ${Object.keys(FUNCTIONS).join(", ")}`,
        );
      }
      const count = call.arguments.length;
      if (count < fn.minArgs || count > fn.maxArgs) {
        const wanted = fn.minArgs === fn.maxArgs ? `${fn.minArgs}` : `at least ${fn.minArgs}`;
        fail(
          `${name}() takes ${wanted} argument${fn.minArgs === 1 && fn.maxArgs === 1 ? "" : "s"}, got ${count}`,
        );
      }
      for (const arg of call.arguments) check(arg, source);
      return;
    }
    case "UnaryExpression": {
      const unary = node as jsep.UnaryExpression;
      if (!UNARY.has(unary.operator)) fail(`operator \`${unary.operator}\` is not supported`);
      check(unary.argument, source);
      return;
    }
    case "BinaryExpression": {
      const binary = node as jsep.BinaryExpression;
      if (!BINARY.has(binary.operator)) {
        const hint =
          binary.operator === "===" || binary.operator === "!=="
            ? `; use \`${binary.operator.slice(0, 2)}\``
            : "";
        fail(`operator \`${binary.operator}\` is not supported${hint}`);
      }
      check(binary.left, source);
      check(binary.right, source);
      return;
    }
    case "ConditionalExpression": {
      const conditional = node as jsep.ConditionalExpression;
      check(conditional.test, source);
      check(conditional.consequent, source);
      check(conditional.alternate, source);
      return;
    }
    case "ArrayExpression": {
      for (const element of (node as jsep.ArrayExpression).elements) {
        if (element === null) fail("empty element in a list");
        else check(element, source);
      }
      return;
    }
    case "Compound":
    case "SequenceExpression":
      return fail("expected one expression; is an operator missing?");
    default:
      return fail(`${node.type} is not supported`);
  }
}

function evaluate(node: Node, result: unknown): unknown {
  switch (node.type) {
    case "Literal":
      return (node as jsep.Literal).value;
    case "Identifier":
      return (node as jsep.Identifier).name === "result" ? (result ?? null) : null;
    case "ArrayExpression":
      return (node as jsep.ArrayExpression).elements.map((e) => (e === null ? null : evaluate(e, result)));
    case "MemberExpression": {
      const member = node as jsep.MemberExpression;
      const object = evaluate(member.object, result);
      if (member.optional === true && (object === null || object === undefined)) return null;
      const key = member.computed
        ? evaluate(member.property, result)
        : (member.property as jsep.Identifier).name;
      return fetchMember(object, key);
    }
    case "CallExpression": {
      const call = node as jsep.CallExpression;
      const fn = FUNCTIONS[(call.callee as jsep.Identifier).name];
      if (fn === undefined) throw new ConditionError("unknown function");
      return fn.call(call.arguments.map((a) => evaluate(a, result)));
    }
    case "UnaryExpression": {
      const unary = node as jsep.UnaryExpression;
      const value = evaluate(unary.argument, result);
      if (unary.operator === "!" || unary.operator === "not") return !boolean(value, unary.operator);
      const n = number(value, `unary ${unary.operator}`);
      return unary.operator === "-" ? -n : n;
    }
    case "BinaryExpression":
      return binary(node as jsep.BinaryExpression, result);
    case "ConditionalExpression": {
      const conditional = node as jsep.ConditionalExpression;
      return boolean(evaluate(conditional.test, result), "?:")
        ? evaluate(conditional.consequent, result)
        : evaluate(conditional.alternate, result);
    }
    default:
      throw new ConditionError(`${node.type} is not supported`);
  }
}

function binary(node: jsep.BinaryExpression, result: unknown): unknown {
  const op = node.operator;
  const left = evaluate(node.left, result);
  switch (op) {
    case "&&":
    case "and":
      return boolean(left, op) ? boolean(evaluate(node.right, result), op) : false;
    case "||":
    case "or":
      return boolean(left, op) ? true : boolean(evaluate(node.right, result), op);
    case "??":
      return left === null || left === undefined ? evaluate(node.right, result) : left;
  }
  const right = evaluate(node.right, result);
  switch (op) {
    case "==":
      return equal(left, right);
    case "!=":
      return !equal(left, right);
    case "<":
    case "<=":
    case ">":
    case ">=": {
      const bothNumbers = typeof left === "number" && typeof right === "number";
      const bothStrings = typeof left === "string" && typeof right === "string";
      if (!bothNumbers && !bothStrings) {
        throw new ConditionError(`cannot compare ${describe(left)} ${op} ${describe(right)}`);
      }
      const [a, b] = [left as number | string, right as number | string];
      return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b;
    }
    case "+":
      if (typeof left === "string" && typeof right === "string") return left + right;
      return arithmetic(op, left, right);
    default:
      return arithmetic(op, left, right);
  }
}

function arithmetic(op: string, left: unknown, right: unknown): number {
  if (typeof left !== "number" || typeof right !== "number") {
    throw new ConditionError(`cannot compute ${describe(left)} ${op} ${describe(right)}`);
  }
  switch (op) {
    case "+":
      return left + right;
    case "-":
      return left - right;
    case "*":
      return left * right;
    case "/":
      return left / right;
    case "%":
      return left % right;
    default:
      return left ** right;
  }
}

function fetchMember(object: unknown, key: unknown): unknown {
  if (Array.isArray(object) || typeof object === "string") {
    if (typeof key !== "number" || !Number.isInteger(key)) {
      throw new ConditionError(`cannot index ${describe(object)} with ${describe(key)}`);
    }
    const index = key < 0 ? object.length + key : key;
    if (index < 0 || index >= object.length) {
      const guard = object.length === 0 ? "; guard the condition with len(result) > 0" : "";
      throw new ConditionError(`index out of range: ${key} (length ${object.length})${guard}`);
    }
    return object[index];
  }
  if (object !== null && typeof object === "object") {
    if (typeof key !== "string") throw new ConditionError(`cannot index a map with ${describe(key)}`);
    // Own fields only: `result.constructor` must not reach into JavaScript's prototypes.
    return Object.hasOwn(object, key) ? ((object as Record<string, unknown>)[key] ?? null) : null;
  }
  throw new ConditionError(`cannot fetch ${JSON.stringify(key)} from ${describe(object)}`);
}

function equal(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) {
    return (a === null || a === undefined) && (b === null || b === undefined);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => equal(x, b[i]));
  }
  if (typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    const rb = b as Record<string, unknown>;
    return (
      ka.length === kb.length &&
      ka.every((k) => Object.hasOwn(rb, k) && equal((a as Record<string, unknown>)[k], rb[k]))
    );
  }
  return a === b;
}

function length(x: unknown): number {
  if (Array.isArray(x) || typeof x === "string") return x.length;
  if (x !== null && typeof x === "object") return Object.keys(x).length;
  throw new ConditionError(`len() needs a list, string or map, got ${describe(x)}`);
}

function number(x: unknown, where: string): number {
  if (typeof x !== "number") throw new ConditionError(`${where} needs a number, got ${describe(x)}`);
  return x;
}

function numbers(args: unknown[], where: string): number[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  return list.map((x) => number(x, where));
}

function boolean(x: unknown, op: string): boolean {
  if (typeof x !== "boolean") throw new ConditionError(`\`${op}\` needs true or false, got ${describe(x)}`);
  return x;
}

function asInt(x: unknown): number {
  if (typeof x === "number") return Math.trunc(x);
  if (typeof x === "string" && /^\s*[+-]?\d+\s*$/.test(x)) return Number.parseInt(x, 10);
  throw new ConditionError(`asInt() cannot convert ${describe(x)}`);
}

function asFloat(x: unknown): number {
  if (typeof x === "number") return x;
  if (typeof x === "string") {
    const text = x.trim();
    // Go's strconv.ParseFloat, which Argo uses, also reads NaN and Inf.
    const special: Record<string, number> = { nan: NaN, inf: Infinity, "+inf": Infinity, "-inf": -Infinity };
    const named = special[text.toLowerCase()];
    if (named !== undefined) return named;
    if (text !== "" && Number.isFinite(Number(text))) return Number(text);
  }
  throw new ConditionError(`asFloat() cannot convert ${describe(x)}`);
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return "nil";
  if (Array.isArray(x)) return `a list of ${x.length}`;
  if (typeof x === "string") return `string ${JSON.stringify(x)}`;
  if (typeof x === "object") return "a map";
  return `${typeof x} ${String(x)}`;
}
