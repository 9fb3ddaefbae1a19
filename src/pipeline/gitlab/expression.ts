/**
 * GitLab's CI/CD variable expressions (`rules:if`, `only:variables`, `workflow:rules:if`),
 * evaluated when the pipeline is created. Follows GitLab's lexer and parser
 * (lib/gitlab/ci/pipeline/expression): `$VAR`, "strings" and 'strings', /regex/flags, `null`,
 * `true`/`false`, `==` `!=` `=~` `!~` (binding tightest), then `&&`, then `||`, and parentheses.
 * Values behave as in Ruby: `&&` and `||` return an operand, only `null` and `false` are falsy
 * on the way, and the final answer is Ruby's `present?` (a blank string is false).
 * https://docs.gitlab.com/ci/jobs/job_rules/#cicd-variable-expressions
 */

export type Value = string | boolean | null | RegExp;

export class ExpressionError extends Error {
  constructor(
    message: string,
    /** Offset in the expression text. */
    readonly offset: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}

type Token =
  | { type: "value"; kind: "variable"; name: string; offset: number }
  | { type: "value"; kind: "string"; value: string; offset: number }
  | { type: "value"; kind: "pattern"; regex: RegExp; offset: number }
  | { type: "value"; kind: "literal"; value: boolean | null; offset: number }
  | { type: "op"; op: Operator; offset: number }
  | { type: "open" | "close"; offset: number };

type Operator = "==" | "!=" | "=~" | "!~" | "&&" | "||";
const PRECEDENCE: Record<Operator, number> = { "==": 3, "!=": 3, "=~": 3, "!~": 3, "&&": 2, "||": 1 };

export type Expr =
  | { kind: "variable"; name: string }
  | { kind: "string"; value: string }
  | { kind: "pattern"; regex: RegExp }
  | { kind: "literal"; value: boolean | null }
  | { kind: "binary"; op: Operator; left: Expr; right: Expr };

export function parseExpression(text: string): Expr {
  const tokens = lex(text);
  if (tokens.length === 0) throw new ExpressionError("the expression is empty", 0);
  let index = 0;
  const peek = () => tokens[index];
  const parseOperand = (): Expr => {
    const token = tokens[index++];
    if (!token) {
      const previous = tokens[index - 2];
      if (previous?.type === "op")
        throw new ExpressionError(`"${previous.op}" needs a value on its right`, previous.offset);
      throw new ExpressionError("the expression ends where a value was expected", text.length);
    }
    if (token.type === "open") {
      const inner = parseBinary(0);
      const close = tokens[index++];
      if (close?.type !== "close") {
        throw new ExpressionError("unmatched parenthesis", close?.offset ?? token.offset, "close it with )");
      }
      return inner;
    }
    if (token.type === "value") {
      if (token.kind === "variable") return { kind: "variable", name: token.name };
      if (token.kind === "string") return { kind: "string", value: token.value };
      if (token.kind === "pattern") return { kind: "pattern", regex: token.regex };
      return { kind: "literal", value: token.value };
    }
    throw new ExpressionError(
      token.type === "op" ? `"${token.op}" needs a value on its left` : "unexpected )",
      token.offset,
    );
  };
  const parseBinary = (minimum: number): Expr => {
    let left = parseOperand();
    for (;;) {
      const token = peek();
      if (token?.type !== "op" || PRECEDENCE[token.op] < minimum) return left;
      index++;
      const right = parseBinary(PRECEDENCE[token.op] + 1);
      left = { kind: "binary", op: token.op, left, right };
    }
  };
  const tree = parseBinary(0);
  const rest = tokens[index];
  if (rest) {
    throw new ExpressionError(
      rest.type === "close"
        ? "unmatched parenthesis"
        : "two values in a row: an operator (==, &&, ||...) is missing",
      rest.offset,
    );
  }
  return tree;
}

function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? "";
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    const rest = text.slice(i);
    if (c === "(" || c === ")") {
      tokens.push({ type: c === "(" ? "open" : "close", offset: start });
      i++;
      continue;
    }
    const variable = /^\$(\w+)/.exec(rest);
    if (variable) {
      tokens.push({ type: "value", kind: "variable", name: variable[1] ?? "", offset: start });
      i += variable[0].length;
      continue;
    }
    if (rest.startsWith("${")) {
      throw new ExpressionError(
        "${VAR} is not expression syntax",
        start,
        "write variables as $VAR in rules:if",
      );
    }
    if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end === -1) throw new ExpressionError("unterminated string", start, `close it with ${c}`);
      tokens.push({ type: "value", kind: "string", value: text.slice(i + 1, end), offset: start });
      i = end + 1;
      continue;
    }
    if (c === "/") {
      const pattern = scanPattern(text, i);
      tokens.push({ type: "value", kind: "pattern", regex: pattern.regex, offset: start });
      i = pattern.end;
      continue;
    }
    const word = /^(null|true|false)\b/.exec(rest);
    if (word) {
      const value = word[1] === "null" ? null : word[1] === "true";
      tokens.push({ type: "value", kind: "literal", value, offset: start });
      i += word[0].length;
      continue;
    }
    const op = /^(==|!=|=~|!~|&&|\|\|)/.exec(rest);
    if (op) {
      tokens.push({ type: "op", op: op[1] as Operator, offset: start });
      i += 2;
      continue;
    }
    throw new ExpressionError(
      `unknown token ${JSON.stringify(rest.slice(0, 10))}`,
      start,
      c === "!"
        ? "there is no ! operator: use != or !~, or compare with null"
        : c === "="
          ? "comparisons are == or =~"
          : 'expressions use $VAR, "strings", /regex/, null, ==, !=, =~, !~, &&, || and parentheses',
    );
  }
  return tokens;
}

function scanPattern(text: string, start: number): { regex: RegExp; end: number } {
  let i = start + 1;
  let source = "";
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && text[i + 1] === "/") {
      source += "/";
      i++;
    } else if (c === "\\") {
      source += c + (text[i + 1] ?? "");
      i++;
    } else if (c === "/") {
      break;
    } else {
      source += c;
    }
  }
  if (i >= text.length)
    throw new ExpressionError("unterminated regular expression", start, "close it with /");
  const flags = /^[ismU]*/.exec(text.slice(i + 1))?.[0] ?? "";
  return { regex: toRegExp(source, flags, start), end: i + 1 + flags.length };
}

/**
 * GitLab matches with RE2 in Ruby syntax; JavaScript's engine agrees on the patterns people
 * write. Ruby's `m` is JavaScript's `s` (dot matches newlines); `\A` and `\z` are anchors.
 */
export function toRegExp(source: string, flags: string, offset = 0): RegExp {
  let js = "";
  if (flags.includes("i")) js += "i";
  if (flags.includes("m") || flags.includes("s")) js += "s";
  const translated = source.replace(/\\A/g, "^").replace(/\\[zZ]/g, "$");
  try {
    return new RegExp(translated, js);
  } catch (error) {
    throw new ExpressionError(`invalid regular expression /${source}/: ${(error as Error).message}`, offset);
  }
}

/** Variables by name; an undefined variable is `null`. */
export type Variables = Readonly<Record<string, string | undefined>>;

export function evaluate(expr: Expr, variables: Variables): Value {
  switch (expr.kind) {
    case "variable":
      return variables[expr.name] ?? null;
    case "string":
      return expr.value;
    case "pattern":
      return expr.regex;
    case "literal":
      return expr.value;
    case "binary": {
      const { op } = expr;
      if (op === "&&") {
        const left = evaluate(expr.left, variables);
        return rubyTruthy(left) ? evaluate(expr.right, variables) : left;
      }
      if (op === "||") {
        const left = evaluate(expr.left, variables);
        return rubyTruthy(left) ? left : evaluate(expr.right, variables);
      }
      const left = evaluate(expr.left, variables);
      const right = evaluate(expr.right, variables);
      if (op === "==") return same(left, right);
      if (op === "!=") return !same(left, right);
      const matched = matches(left, right);
      return op === "=~" ? matched : !matched;
    }
  }
}

/** The answer of a `rules:if`: Ruby's `present?` of the value. */
export function isTrue(expr: Expr, variables: Variables): boolean {
  const value = evaluate(expr, variables);
  if (value === null || value === false) return false;
  if (typeof value === "string") return /\S/.test(value);
  return true;
}

function rubyTruthy(value: Value): boolean {
  return value !== null && value !== false;
}

function same(a: Value, b: Value): boolean {
  if (a instanceof RegExp || b instanceof RegExp) {
    return a instanceof RegExp && b instanceof RegExp && a.source === b.source && a.flags === b.flags;
  }
  return a === b;
}

/**
 * `=~`: a null right side never matches. A variable on the right holding "/re/flags" is used
 * as a regular expression; any other string matches as a substring, as Ruby's String#scan does.
 */
function matches(left: Value, right: Value): boolean {
  if (right === null || right === false) return false;
  const text = left === null || left === false ? "" : left instanceof RegExp ? left.source : String(left);
  if (right instanceof RegExp) return right.test(text);
  const source = String(right);
  const pattern = /^\/((?:\\.|[^\\])+)\/([ismU]*)$/s.exec(source);
  if (pattern) {
    try {
      return toRegExp((pattern[1] ?? "").replace(/\\\//g, "/"), pattern[2] ?? "").test(text);
    } catch {
      return false;
    }
  }
  return text.includes(source);
}
