/** The filters an event may have on the ref and the changed files, as GitHub spells them. */
export const REF_FILTERS = [
  "branches",
  "branches-ignore",
  "tags",
  "tags-ignore",
  "paths",
  "paths-ignore",
] as const;

/**
 * GitHub's filter patterns for branches, tags and paths
 * (https://docs.github.com/actions/reference/workflows-and-actions/workflow-syntax#filter-pattern-cheat-sheet):
 * `*` is any run of characters but `/`, `**` any run at all, `?` makes the preceding character
 * optional, `+` repeats it, `[...]` is a character class, `\` escapes, and a leading `!` negates.
 * Patterns apply in order: the last one that matches decides.
 */

const cache = new Map<string, RegExp>();

export function patternToRegExp(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? "";
    if (c === "\\" && i + 1 < pattern.length) {
      source += escape(pattern[++i] ?? "");
    } else if (c === "*") {
      if (pattern[i + 1] === "*") {
        source += ".*";
        i++;
      } else source += "[^/]*";
    } else if (c === "?" || c === "+") {
      source += c;
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end === -1) source += "\\[";
      else {
        source += `[${pattern.slice(i + 1, end).replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else {
      source += escape(c);
    }
  }
  const re = new RegExp(`^${source}$`);
  cache.set(pattern, re);
  return re;
}

function escape(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** The last matching pattern decides; undefined when none matches. */
export function lastMatch(
  value: string,
  patterns: readonly string[],
): { included: boolean; pattern: string } | undefined {
  let result: { included: boolean; pattern: string } | undefined;
  for (const pattern of patterns) {
    const negated = pattern.startsWith("!");
    if (patternToRegExp(negated ? pattern.slice(1) : pattern).test(value))
      result = { included: !negated, pattern };
  }
  return result;
}

export function included(value: string, patterns: readonly string[]): boolean {
  return lastMatch(value, patterns)?.included ?? false;
}

export function ignored(value: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => !p.startsWith("!") && patternToRegExp(p).test(value));
}
