import type { FrameworkScanner } from "../model.js";

/** Placeholder until the gitlab-ci framework lands. */
export const gitlabCiScanner: FrameworkScanner = {
  framework: "gitlab-ci",
  rules: [],
  claims: () => false,
  scan: () => Promise.resolve({ findings: [], suppressions: [], diagnostics: [], notes: [], files: [] }),
};
