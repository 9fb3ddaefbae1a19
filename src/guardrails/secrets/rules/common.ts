/** Text and references every secret rule shares. */

export const ROTATE =
  "Revoke or rotate the credential at its provider first: it is in the repository's history and in every clone, so deleting the line does not make it secret again, and no automatic fix is offered. Then remove it from the file and load it at run time from a secret store or an environment variable (a CI secret, a secret manager, a Kubernetes Secret synced from a vault).";

export const CWE_798 = "https://cwe.mitre.org/data/definitions/798.html";
export const OWASP_SECRETS =
  "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html";

/** Between a key and its value: `key = v`, `key: v`, `"key": "v"`, `key := v`, `key => v`. */
export const ASSIGN = String.raw`["']?[ \t]*(?::=|=>|=|:)[ \t]*["']?`;

/** Whether `pattern` (not global) matches within `radius` characters of the given range. */
export function near(text: string, start: number, end: number, radius: number, pattern: RegExp): boolean {
  return pattern.test(text.slice(Math.max(0, start - radius), end + radius));
}
