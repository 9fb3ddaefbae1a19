import type { FrameworkScanner, SourceFile } from "../model.js";
import { ruleMeta } from "../rule.js";
import { analyzeGitlabFiles } from "./analyze.js";
import { isRootConfig } from "./loader.js";
import { GITLAB_RULES } from "./rules/index.js";

const YAML_PATH = /\.ya?ml$/i;
const TOP_LEVEL_STAGES = /^stages\s*:/m;
/** A top-level key followed, in its block, by a job keyword: `build:\n  script:`. */
const JOB_WITH_SCRIPT =
  /^[^\s#][^:\n]*:[ \t]*\r?\n(?:[ \t]+\S.*\n|[ \t]*\r?\n)*?[ \t]+(?:script|trigger|extends)[ \t]*:/m;
/** Other formats that use `script:` or `extends:` keys: workflows, actions, manifests, playbooks. */
const OTHER_FORMAT = /^(?:on|"on"|jobs|runs|apiVersion|steps|- hosts)\s*:/m;
const OTHER_NAME = /(^|\/)((docker-)?compose[^/]*|action)\.ya?ml$/i;

/**
 * `.gitlab-ci.yml` by name; other YAML files when they look like GitLab CI configuration (a
 * top-level `stages:`, or jobs with `script:`, `trigger:` or `extends:`), which covers files
 * included from `.gitlab-ci.yml` and CI templates. GitHub workflows are left to their scanner.
 */
export function claimsGitlab(file: Pick<SourceFile, "path" | "text">): boolean {
  if (isRootConfig(file.path)) return true;
  if (!YAML_PATH.test(file.path) || OTHER_NAME.test(file.path) || /(^|\/)\.github\//.test(file.path))
    return false;
  if (OTHER_FORMAT.test(file.text)) return false;
  return TOP_LEVEL_STAGES.test(file.text) || JOB_WITH_SCRIPT.test(file.text);
}

export const gitlabCiScanner: FrameworkScanner = {
  framework: "gitlab-ci",
  rules: GITLAB_RULES.map(ruleMeta),
  claims: claimsGitlab,
  async scan(files, context) {
    const result = await analyzeGitlabFiles(files, context);
    return {
      findings: result.findings,
      suppressions: result.suppressions,
      diagnostics: result.diagnostics,
      notes: [],
      files: result.files,
    };
  },
};
