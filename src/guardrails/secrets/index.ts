import type { FrameworkScanner } from "../model.js";

/** Placeholder until the secrets framework lands. */
export const secretsScanner: FrameworkScanner = {
  framework: "secrets",
  rules: [],
  claims: () => false,
  scan: () => Promise.resolve({ findings: [], suppressions: [], diagnostics: [], notes: [], files: [] }),
};
