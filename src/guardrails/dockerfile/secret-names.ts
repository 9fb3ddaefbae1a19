/**
 * Names and values that look like credentials, for ENV/ARG instructions and CI variables.
 * A name alone is not enough (`TOKEN_TTL=3600`, `ENABLE_PASSWORD_AUTH=true`): the value must
 * also be a literal, not a reference to a variable or a file holding the secret.
 */

const SECRET_WORDS = new Set([
  "PASSWORD",
  "PASSWD",
  "PASSPHRASE",
  "PASS",
  "SECRET",
  "SECRETS",
  "TOKEN",
  "APIKEY",
  "CREDENTIAL",
  "CREDENTIALS",
  "PRIVATEKEY",
  "ACCESSKEY",
  "SECRETKEY",
  "AUTHKEY",
  "SIGNINGKEY",
  "ENCRYPTIONKEY",
  "CLIENTSECRET",
]);
/** Two-word names that mean a key: `API_KEY`, `PRIVATE_KEY`. */
const KEY_QUALIFIERS = new Set([
  "API",
  "PRIVATE",
  "ACCESS",
  "SECRET",
  "AUTH",
  "SIGNING",
  "ENCRYPTION",
  "MASTER",
  "LICENSE",
  "APP",
]);
/** Suffixes that make the name describe something about the secret, not the secret itself. */
const NOT_THE_SECRET = new Set([
  "FILE",
  "PATH",
  "DIR",
  "NAME",
  "ID",
  "URL",
  "URI",
  "ENDPOINT",
  "HEADER",
  "TYPE",
  "LENGTH",
  "TTL",
  "EXPIRY",
  "EXPIRES",
  "TIMEOUT",
  "ENABLED",
  "REQUIRED",
  "VERSION",
  "FORMAT",
  "POLICY",
  "COMMAND",
  "ALGORITHM",
  "ARN",
  "REF",
  "VAR",
  "ENV",
  "LOCATION",
]);
const PLACEHOLDER_VALUES = new Set(["", "true", "false", "yes", "no", "on", "off", "null", "none", "0", "1"]);
/**
 * Well-known throwaway values, typical of a CI service database (`POSTGRES_PASSWORD: postgres`):
 * nothing is leaked by publishing them.
 */
const THROWAWAY_VALUES = new Set([
  "postgres",
  "mysql",
  "root",
  "admin",
  "password",
  "secret",
  "test",
  "testing",
  "example",
  "changeme",
  "dummy",
  "fake",
  "local",
  "dev",
  "guest",
]);

/** The name reads as a secret: `DB_PASSWORD`, `githubToken`, `STRIPE_API_KEY`. */
export function isSecretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
  const last = words[words.length - 1];
  if (!last || NOT_THE_SECRET.has(last)) return false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? "";
    if (SECRET_WORDS.has(word)) return true;
    if (word === "KEY" && i > 0 && KEY_QUALIFIERS.has(words[i - 1] ?? "")) return true;
  }
  return false;
}

/** A value written out in the file: not a reference (`$X`, `${X}`, `${{ secrets.X }}`), a flag or a throwaway default. */
export function isLiteralSecretValue(value: string): boolean {
  const trimmed = value.trim();
  const lower = trimmed.toLowerCase();
  if (PLACEHOLDER_VALUES.has(lower) || THROWAWAY_VALUES.has(lower)) return false;
  return !trimmed.includes("$");
}

const TOKEN_FORMATS: readonly [RegExp, string][] = [
  [/\bgh[pousr]_[A-Za-z0-9]{36}\b/, "a GitHub token"],
  [/\bgithub_pat_[A-Za-z0-9_]{50,}\b/, "a GitHub fine-grained token"],
  [/\bglpat-[A-Za-z0-9_-]{20}\b/, "a GitLab personal access token"],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, "an AWS access key id"],
  [/\bxox[baprs]-[A-Za-z0-9-]{10,}/, "a Slack token"],
  [/\bsk_live_[A-Za-z0-9]{20,}/, "a Stripe secret key"],
  [/\bnpm_[A-Za-z0-9]{36}\b/, "an npm token"],
  [/\bAIza[0-9A-Za-z_-]{35}\b/, "a Google API key"],
  [/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/, "a private key"],
];

/** The kind of credential the value is ("an npm token"), when it has a well-known token format. */
export function tokenFormat(value: string): string | undefined {
  for (const [pattern, kind] of TOKEN_FORMATS) if (pattern.test(value)) return kind;
  return undefined;
}

/** Shows enough of a secret to find it, never the secret itself. */
export function redact(value: string): string {
  return value.length <= 4 ? "****" : `${value.slice(0, 2)}****`;
}
