/**
 * The web provider's `jsonPath`: the part of JSONPath that picks one value, which is what Argo's
 * web metrics use in practice (`{$.results.ok}`, Kubernetes JSONPath with braces).
 *
 * Supported: optional surrounding `{ }`; an optional leading `$`; `.name` (letters, digits, `_`,
 * `-`, `$`); `['name']` or `["name"]` (no escapes); `[n]`, with negative `n` counting from the
 * end. `$` alone, or an empty path, is the whole body. Wildcards, recursive descent, slices,
 * unions and filters are not supported and are reported as such.
 */

export type JsonPathSegment = string | number;

export class JsonPathError extends Error {
  override readonly name = "JsonPathError";
}

export function parseJsonPath(path: string): JsonPathSegment[] {
  let text = path.trim();
  if (text.startsWith("{") && text.endsWith("}")) text = text.slice(1, -1).trim();
  if (text.startsWith("$")) text = text.slice(1);
  const segments: JsonPathSegment[] = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new JsonPathError(`jsonPath \`${path}\`: ${what}`);
  };
  while (i < text.length) {
    const rest = text.slice(i);
    if (rest.startsWith("..")) fail("recursive descent (`..`) is not supported");
    const name = /^\.([A-Za-z0-9_$-]+)/.exec(rest);
    if (name !== null) {
      segments.push(name[1] ?? "");
      i += name[0].length;
      continue;
    }
    const index = /^\[\s*(-?\d+)\s*\]/.exec(rest);
    if (index !== null) {
      segments.push(Number(index[1]));
      i += index[0].length;
      continue;
    }
    const quoted = /^\[\s*(?:'([^']*)'|"([^"]*)")\s*\]/.exec(rest);
    if (quoted !== null) {
      segments.push(quoted[1] ?? quoted[2] ?? "");
      i += quoted[0].length;
      continue;
    }
    if (/^(\.\*|\[\s*\*\s*\])/.test(rest)) fail("wildcards are not supported");
    if (rest.startsWith("[?")) fail("filters are not supported");
    if (/^\[[^\]]*[:,]/.test(rest)) fail("slices and unions are not supported");
    fail(`unexpected \`${rest.slice(0, 12)}\` at character ${i + 1}`);
  }
  return segments;
}

export type JsonPathMatch = { found: true; value: unknown } | { found: false; missing: string };

export function readJsonPath(document: unknown, segments: readonly JsonPathSegment[]): JsonPathMatch {
  let value = document;
  let at = "$";
  for (const segment of segments) {
    if (typeof segment === "number") {
      if (!Array.isArray(value)) return { found: false, missing: `${at} is not a list` };
      const index = segment < 0 ? value.length + segment : segment;
      if (index < 0 || index >= value.length) {
        return { found: false, missing: `${at}[${segment}] is outside a list of ${value.length}` };
      }
      value = value[index];
      at += `[${segment}]`;
    } else {
      if (
        value === null ||
        typeof value !== "object" ||
        Array.isArray(value) ||
        !Object.hasOwn(value, segment)
      ) {
        return { found: false, missing: `${at} has no field ${JSON.stringify(segment)}` };
      }
      value = (value as Record<string, unknown>)[segment];
      at += `.${segment}`;
    }
  }
  return { found: true, value };
}
