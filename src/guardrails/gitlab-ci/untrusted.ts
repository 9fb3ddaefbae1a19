/**
 * Predefined variables whose value is chosen by whoever pushes a commit or opens a merge request
 * (https://docs.gitlab.com/ci/variables/predefined_variables/). Branch names may hold `$(…)`,
 * backticks and `;`, commit messages anything.
 */
export const UNTRUSTED_VARIABLES = new Set([
  "CI_COMMIT_MESSAGE",
  "CI_COMMIT_TITLE",
  "CI_COMMIT_DESCRIPTION",
  "CI_COMMIT_TAG_MESSAGE",
  "CI_COMMIT_AUTHOR",
  "CI_COMMIT_BRANCH",
  "CI_COMMIT_REF_NAME",
  "CI_MERGE_REQUEST_TITLE",
  "CI_MERGE_REQUEST_DESCRIPTION",
  "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
  "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME",
]);

/** `$NAME` and `${NAME}` references in a GitLab variable value or keyword. */
export function referencedVariables(value: string): string[] {
  const out: string[] = [];
  for (const match of value.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g)) if (match[1]) out.push(match[1]);
  return out;
}

/** Expands `$NAME`/`${NAME}` with known values; undefined when one is unknown. */
export function expandVariables(
  value: string,
  lookup: (name: string) => string | undefined,
): string | undefined {
  let unknown = false;
  const expanded = value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => {
    const found = lookup(name);
    if (found === undefined) unknown = true;
    return found ?? "";
  });
  return unknown ? undefined : expanded;
}
