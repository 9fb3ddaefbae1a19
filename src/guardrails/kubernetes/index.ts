import type { FrameworkScanner } from "../model.js";

/** Placeholder until the kubernetes framework lands. */
export const kubernetesScanner: FrameworkScanner = {
  framework: "kubernetes",
  rules: [],
  claims: () => false,
  scan: () => Promise.resolve({ findings: [], suppressions: [], diagnostics: [], notes: [], files: [] }),
};
