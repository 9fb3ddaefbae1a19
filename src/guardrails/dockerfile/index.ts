import type { FrameworkScanner } from "../model.js";

/** Placeholder until the dockerfile framework lands. */
export const dockerfileScanner: FrameworkScanner = {
  framework: "dockerfile",
  rules: [],
  claims: () => false,
  scan: () => Promise.resolve({ findings: [], suppressions: [], diagnostics: [], notes: [], files: [] }),
};
