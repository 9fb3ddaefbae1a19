import { findExpressions, unwrapCondition } from "../expressions.js";

/**
 * The expressions of an action's steps read the action's own `inputs` and `steps`, while the
 * engine evaluates every step of a job in one set of contexts. Expanding an action therefore
 * rewrites its expressions into the job's: `inputs.x` becomes the expression the caller passed
 * (or the input's default), `steps.id` becomes `steps['<prefix>id']` (the action's step ids are
 * namespaced so they cannot collide with the workflow's), and `github.action_path` becomes the
 * action's directory.
 */
export interface ActionScope {
  /** Input name in lower case (GitHub's inputs are case-insensitive) to a bare expression. */
  inputs: ReadonlyMap<string, string>;
  /** Unset: `steps` is left as it is. */
  stepsPrefix?: string;
  /** A bare expression for `github.action_path`; unset: left as it is. */
  actionPath?: string;
  /** A called workflow's secrets by name, as bare expressions; unset: left as they are (`inherit`). */
  secrets?: ReadonlyMap<string, string>;
  /** A called workflow's `needs.<job>` (and its outputs' `jobs.<job>`) name the jobs with this prefix. */
  jobsPrefix?: string;
}

const STRING_LITERAL = /'(?:[^']|'')*'/g;
const SCOPED =
  /(?<![\w.-])(inputs|steps|secrets|needs|jobs)\s*(?:\.\s*([A-Za-z_][\w-]*)|\[\s*\0(\d+)\0\s*\])|(?<![\w.-])github\s*\.\s*action_path\b/g;

export function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export function rewriteExpression(source: string, scope: ActionScope): string {
  // String literals are set aside so that names inside them are left alone.
  const literals: string[] = [];
  const masked = source.replace(STRING_LITERAL, (literal) => {
    literals.push(literal);
    return `\0${literals.length - 1}\0`;
  });
  const rewritten = masked.replace(
    SCOPED,
    (whole: string, context: string | undefined, dotted: string | undefined, literal: string | undefined) => {
      if (context === undefined) return scope.actionPath === undefined ? whole : `(${scope.actionPath})`;
      const name = dotted ?? unquote(literals[Number(literal)] ?? "''");
      const named = (renamed: string, as = context) => {
        literals.push(quote(renamed));
        return `${as}[\0${literals.length - 1}\0]`;
      };
      switch (context) {
        case "inputs":
          return `(${scope.inputs.get(name.toLowerCase()) ?? "null"})`;
        case "secrets":
          if (!scope.secrets || name === "GITHUB_TOKEN") return whole;
          return `(${scope.secrets.get(name.toLowerCase()) ?? "null"})`;
        case "steps":
          return scope.stepsPrefix === undefined ? whole : named(`${scope.stepsPrefix}${name}`);
        default:
          // A called workflow's outputs read `jobs.<id>`: the caller's job has them as needs.
          return scope.jobsPrefix === undefined ? whole : named(`${scope.jobsPrefix}${name}`, "needs");
      }
    },
  );
  return rewritten.replace(/\0(\d+)\0/g, (_, index: string) => literals[Number(index)] ?? "''");
}

/** Rewrites the `${{ }}` parts of a template; the text around them is kept as it is. */
export function rewriteTemplate(template: string, scope: ActionScope | undefined): string {
  if (!scope) return template;
  let out = "";
  let last = 0;
  for (const segment of findExpressions(template)) {
    out += `${template.slice(last, segment.start)}\${{ ${rewriteExpression(segment.source, scope)} }}`;
    last = segment.end;
  }
  return out + template.slice(last);
}

export function rewriteCondition(condition: string, scope: ActionScope | undefined): string {
  return scope ? rewriteExpression(unwrapCondition(condition), scope) : unwrapCondition(condition);
}

/** A template as one bare expression of its value: `a ${{ x }}` becomes `format('a {0}', x)`. */
export function templateExpression(template: string): string {
  const segments = findExpressions(template);
  const only = segments[0];
  if (segments.length === 0) return quote(template);
  if (segments.length === 1 && only && only.start === 0 && only.end === template.length)
    return `(${only.source})`;
  let format = "";
  let last = 0;
  const args: string[] = [];
  const literal = (text: string) => text.replaceAll("{", "{{").replaceAll("}", "}}");
  for (const segment of segments) {
    format += `${literal(template.slice(last, segment.start))}{${args.length}}`;
    args.push(`(${segment.source})`);
    last = segment.end;
  }
  format += literal(template.slice(last));
  return `format(${[quote(format), ...args].join(", ")})`;
}

/**
 * Both conditions must hold: an action's steps run only when the step using it would. An inner
 * `success()` (every step's default) adds nothing and is left out.
 */
export function combineConditions(outer: string, inner: string): string {
  const a = unwrapCondition(outer);
  const b = unwrapCondition(inner);
  if (b === "success()") return a;
  if (a === "success()" && !/\b(always|failure|cancelled)\s*\(/i.test(b)) return b;
  return `(${a}) && (${b})`;
}

function unquote(literal: string): string {
  return literal.slice(1, -1).replaceAll("''", "'");
}
