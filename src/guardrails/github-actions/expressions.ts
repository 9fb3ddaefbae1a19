/**
 * `${{ }}` expressions of GitHub Actions, read for where their value comes from. The runner
 * substitutes an expression's value into `run:` scripts before the shell sees them, so what
 * matters is which context values can flow into the result: `github.event.issue.title` does,
 * `contains(github.event.issue.title, 'x')` (a boolean) does not, `format('{0}', x)` does.
 */

/** A `${{ … }}` in a text: offsets of `${{` and just after `}}`, and the inner source. */
export interface ExpressionSegment {
  source: string;
  start: number;
  end: number;
}

/** A context value an expression's result may contain: `github.event.issue.title`. */
export interface ContextPath {
  /** Segments as written (contexts are case-insensitive: compare lower-cased); indexes appear as `*`. */
  segments: string[];
  /** Serialized whole (`toJSON(github.event)`): everything below the path flows too. */
  whole: boolean;
}

/** Finds `${{ … }}` segments; `}}` inside a string literal does not close one. */
export function findExpressions(text: string): ExpressionSegment[] {
  const out: ExpressionSegment[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf("${{", from);
    if (start < 0) return out;
    let i = start + 3;
    let inString = false;
    let end = -1;
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === "'") {
        if (inString && text[i + 1] === "'") i++;
        else inString = !inString;
      } else if (!inString && c === "}" && text[i + 1] === "}") {
        end = i + 2;
        break;
      }
    }
    if (end < 0) return out;
    out.push({ source: text.slice(start + 3, end - 2).trim(), start, end });
    from = end;
  }
}

type Token =
  | { kind: "ident"; text: string }
  | { kind: "string"; text: string }
  | { kind: "number"; text: string }
  | { kind: "punct"; text: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] ?? "";
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      let text = "";
      while (j < source.length) {
        if (source[j] === "'") {
          if (source[j + 1] === "'") {
            text += "'";
            j += 2;
            continue;
          }
          break;
        }
        text += source[j];
        j++;
      }
      tokens.push({ kind: "string", text });
      i = j + 1;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(i))?.[0];
    if (ident) {
      tokens.push({ kind: "ident", text: ident });
      i += ident.length;
      continue;
    }
    const number = /^(0x[0-9a-fA-F]+|\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(source.slice(i))?.[0];
    if (number) {
      tokens.push({ kind: "number", text: number });
      i += number.length;
      continue;
    }
    const two = source.slice(i, i + 2);
    if (["==", "!=", "<=", ">=", "&&", "||"].includes(two)) {
      tokens.push({ kind: "punct", text: two });
      i += 2;
      continue;
    }
    tokens.push({ kind: "punct", text: c });
    i++;
  }
  return tokens;
}

/** Functions whose result is a boolean or a hash: no context value passes through them. */
const OPAQUE_FUNCTIONS = new Set([
  "contains",
  "startswith",
  "endswith",
  "success",
  "always",
  "failure",
  "cancelled",
  "hashfiles",
]);
const LITERALS = new Set(["true", "false", "null"]);

class ParseError extends Error {}

class ExpressionParser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): ContextPath[] {
    const result = this.or();
    if (this.i < this.tokens.length) throw new ParseError("trailing tokens");
    return result;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private accept(text: string): boolean {
    const token = this.peek();
    if (token?.kind === "punct" && token.text === text) {
      this.i++;
      return true;
    }
    return false;
  }

  private or(): ContextPath[] {
    const out = this.and();
    while (this.accept("||")) out.push(...this.and());
    return out;
  }

  private and(): ContextPath[] {
    const out = this.equality();
    while (this.accept("&&")) out.push(...this.equality());
    return out;
  }

  private equality(): ContextPath[] {
    let out = this.comparison();
    while (this.accept("==") || this.accept("!=")) {
      this.comparison();
      out = [];
    }
    return out;
  }

  private comparison(): ContextPath[] {
    let out = this.unary();
    while (this.accept("<=") || this.accept(">=") || this.accept("<") || this.accept(">")) {
      this.unary();
      out = [];
    }
    return out;
  }

  private unary(): ContextPath[] {
    if (this.accept("!")) {
      this.unary();
      return [];
    }
    return this.postfix();
  }

  private postfix(): ContextPath[] {
    const token = this.peek();
    if (!token) throw new ParseError("unexpected end");
    let paths: ContextPath[];
    let path: string[] | undefined;
    if (token.kind === "string" || token.kind === "number") {
      this.i++;
      paths = [];
    } else if (token.kind === "ident") {
      this.i++;
      if (this.accept("(")) {
        const args: ContextPath[][] = [];
        if (!this.accept(")")) {
          do args.push(this.or());
          while (this.accept(","));
          if (!this.accept(")")) throw new ParseError("expected )");
        }
        const name = token.text.toLowerCase();
        if (OPAQUE_FUNCTIONS.has(name)) paths = [];
        else if (name === "tojson") paths = args.flat().map((p) => ({ ...p, whole: true }));
        else paths = args.flat();
      } else if (LITERALS.has(token.text.toLowerCase())) {
        paths = [];
      } else {
        path = [token.text];
        paths = [];
      }
    } else if (this.accept("(")) {
      paths = this.or();
      if (!this.accept(")")) throw new ParseError("expected )");
    } else throw new ParseError(`unexpected ${token.text}`);

    for (;;) {
      if (this.accept(".")) {
        const next = this.peek();
        if (next?.kind === "ident") {
          this.i++;
          path?.push(next.text);
        } else if (next?.kind === "punct" && next.text === "*") {
          this.i++;
          path?.push("*");
        } else throw new ParseError("expected a property");
        continue;
      }
      if (this.accept("[")) {
        const next = this.peek();
        const after = this.tokens[this.i + 1];
        if (next?.kind === "string" && after?.kind === "punct" && after.text === "]") {
          this.i += 2;
          path?.push(next.text);
        } else if (next?.kind === "punct" && next.text === "*" && after?.text === "]") {
          this.i += 2;
          path?.push("*");
        } else {
          paths.push(...this.or());
          if (!this.accept("]")) throw new ParseError("expected ]");
          path?.push("*");
        }
        continue;
      }
      break;
    }
    if (path) paths.push({ segments: path, whole: false });
    return paths;
  }
}

/** Context values that may flow into an expression's result (conservatively, on a parse error, all of them). */
export function expressionSources(source: string): ContextPath[] {
  const tokens = tokenize(source);
  try {
    return new ExpressionParser(tokens).parse();
  } catch {
    return referencedPaths(tokens);
  }
}

/** Every context path mentioned in the tokens, whatever the expression does with it. */
function referencedPaths(tokens: Token[]): ContextPath[] {
  const out: ContextPath[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const before = tokens[i - 1];
    if (token?.kind !== "ident" || (before?.kind === "punct" && before.text === ".")) continue;
    if (tokens[i + 1]?.text === "(") continue;
    const segments = [token.text];
    let j = i + 1;
    while (tokens[j]?.text === "." && tokens[j + 1]) {
      const next = tokens[j + 1];
      segments.push(next?.kind === "ident" ? next.text : "*");
      j += 2;
    }
    out.push({ segments, whole: false });
  }
  return out;
}

/** `github.event.commits.*.message` against a path; `*` matches any one segment. */
export function matchesPattern(path: ContextPath, pattern: readonly string[]): boolean {
  if (path.segments.length > pattern.length) return false;
  if (path.segments.length < pattern.length && !path.whole) return false;
  return path.segments.every(
    (segment, i) => pattern[i] === "*" || segment === "*" || segment.toLowerCase() === pattern[i],
  );
}

export function pathText(path: ContextPath): string {
  return path.segments.join(".");
}
