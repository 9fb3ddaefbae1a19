import type { FrameworkScanner } from "../model.js";

/** Placeholder until the github-actions framework lands. */
export const githubActionsScanner: FrameworkScanner = {
  framework: "github-actions",
  rules: [],
  claims: () => false,
  scan: () => Promise.resolve({ findings: [], suppressions: [], diagnostics: [], notes: [], files: [] }),
};
