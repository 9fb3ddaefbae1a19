import type { FrameworkScanner } from "../model.js";

/** Placeholder until the cloudformation framework lands. */
export const cloudformationScanner: FrameworkScanner = {
  framework: "cloudformation",
  rules: [],
  claims: () => false,
  scan: () => Promise.resolve({ findings: [], suppressions: [], diagnostics: [], notes: [], files: [] }),
};
