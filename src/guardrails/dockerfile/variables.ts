import type { Provenance } from "../model.js";

/** A build variable (ARG or ENV) with where its value was set. */
export interface BuildVariable {
  value: string | undefined;
  provenance: Provenance;
}

export type Scope = ReadonlyMap<string, BuildVariable>;

export interface Expanded {
  value: string;
  /** A variable without a known value was used: the result is not what Docker will see. */
  unknown: boolean;
  /** Where the variables that were used got their values. */
  provenance: Provenance[];
}

/**
 * Expands `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:+alt}` and
 * `${NAME+alt}` the way Dockerfile instructions do (FROM, USER, WORKDIR, COPY…); `\$` is a literal
 * dollar. RUN is left to the shell and never expanded here.
 */
export function expand(text: string, scope: Scope, escape = "\\"): Expanded {
  let value = "";
  let unknown = false;
  const provenance: Provenance[] = [];
  const lookup = (name: string): string | undefined => {
    const variable = scope.get(name);
    if (!variable) return undefined;
    if (!provenance.includes(variable.provenance)) provenance.push(variable.provenance);
    return variable.value;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? "";
    if (c === escape && text[i + 1] === "$") {
      value += "$";
      i += 2;
      continue;
    }
    if (c !== "$") {
      value += c;
      i++;
      continue;
    }
    if (text[i + 1] === "{") {
      const close = text.indexOf("}", i + 2);
      if (close < 0) {
        value += text.slice(i);
        break;
      }
      const inner = text.slice(i + 2, close);
      const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-+])(.*))?$/s.exec(inner);
      i = close + 1;
      if (!match) {
        unknown = true;
        continue;
      }
      const [, name = "", colon, operator, word = ""] = match;
      const current = lookup(name);
      const isSet = colon ? current !== undefined && current !== "" : current !== undefined;
      if (operator === "-") {
        if (isSet) value += current;
        else if (scope.has(name) && !colon) value += current ?? "";
        else {
          const nested = expand(word, scope, escape);
          value += nested.value;
          unknown ||= nested.unknown;
        }
      } else if (operator === "+") {
        if (current === undefined && !scope.has(name)) unknown = true;
        else if (isSet) value += expand(word, scope, escape).value;
      } else if (current === undefined) unknown = true;
      else value += current;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0];
    if (!name) {
      value += c;
      i++;
      continue;
    }
    const current = lookup(name);
    if (current === undefined) unknown = true;
    else value += current;
    i += 1 + name.length;
  }
  return { value, unknown, provenance };
}
