/**
 * Values that look like secrets but are not: documentation placeholders, template and variable
 * references, and keys vendors publish as examples. These are the false positives that make
 * teams switch a scanner off, so they are dropped before a rule sees them.
 */

const PLACEHOLDER =
  /example|x{4,}|changeme|change[_-]me|placeholder|dummy|redacted|replace[_-]?me|your[_-]?(?:api|secret|token|key|password|access|own|app)|insert[_-]?(?:your|key|token|here)|<[^<>\s]+>|\*{3,}|\.{3}|…|0123456789|123456789|abcdefghij/i;

/** Values a human typed as a stand-in, compared whole and case-insensitively. */
const STAND_INS = new Set([
  "password",
  "passwd",
  "pass",
  "secret",
  "token",
  "pwd",
  "admin",
  "root",
  "guest",
  "test",
  "testing",
  "postgres",
  "mysql",
  "redis",
  "user",
  "username",
  "default",
  "none",
  "null",
  "nil",
  "undefined",
  "empty",
  "foo",
  "bar",
  "foobar",
  "sample",
  "demo",
  "secret123",
  "password123",
]);

/**
 * Keys vendors print in their documentation and emulators ship with: AWS's examples (which also
 * contain EXAMPLE) and the Azure storage emulator's well-known account key.
 */
const PUBLISHED_KEYS = new Set([
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
]);

/** A value that is a stand-in for a secret rather than one. */
export function isPlaceholder(value: string): boolean {
  if (PLACEHOLDER.test(value)) return true;
  if (STAND_INS.has(value.toLowerCase())) return true;
  if (PUBLISHED_KEYS.has(value)) return true;
  // One character repeated (aaaaaaaa, 00000000) or a short pattern repeated (abcabcabc).
  return /^(.{1,3})\1{3,}$/.test(value);
}

/**
 * A value that names where the secret comes from instead of holding it: `${VAR}`, `$VAR`,
 * `${{ secrets.X }}`, `{{ .Values.x }}`, `$(cat file)`, `%env(X)%`, `process.env.X`, `var.x`,
 * `!Ref X`, a Key Vault or Secrets Manager reference.
 */
const REFERENCE =
  /^(?:\$\{?[A-Za-z_]|\$\{\{|\$\(|\{\{|\{%|<%|#\{|@\{|%\(?[A-Za-z_]|!(?:Ref|Sub|GetAtt|ImportValue|vault)\b|@Microsoft\.KeyVault\(|arn:aws[\w-]*:(?:secretsmanager|ssm|kms):|ref\+|vault:|secret:\/\/|op:\/\/|sm:\/\/|gcp:\/\/|awssm:|(?:process\.env|import\.meta\.env|os\.environ|os\.getenv|ENV\[|env\(|getenv\(|System\.getenv|Environment\.GetEnvironmentVariable|var\.|local\.|data\.|module\.|secrets\.|vars\.|env\.|inputs\.|steps\.|needs\.))/;

/** Characters inside a value that show it is assembled from references: `${...}`, `{{ }}`, `$(...)`. */
const EMBEDDED_REFERENCE = /\$\{[^}]*\}|\{\{[^}]*\}\}|\$\([^)]*\)|\$[A-Z_]{3,}\b/;

export function isReference(value: string): boolean {
  return REFERENCE.test(value) || EMBEDDED_REFERENCE.test(value);
}
