import type { FrameworkScanner } from "../model.js";

/** Placeholder until the terraform framework lands. */
export const terraformScanner: FrameworkScanner = {
  framework: "terraform",
  rules: [],
  claims: () => false,
  scan: () => Promise.resolve({ findings: [], suppressions: [], diagnostics: [], notes: [], files: [] }),
};
