import type { Rule } from "../../model.js";
import { child, isYMap, type YNode } from "../../github-actions/yaml-tree.js";
import { sites, siteValue, variableValue, type GitlabPipeline, type Site } from "../model.js";
import { scriptLines, SCRIPT_KEYS, type ScriptLine } from "../scripts.js";

export type GitlabRule = Rule<GitlabPipeline>;

export function gitlabRule(rule: Omit<GitlabRule, "framework">): GitlabRule {
  return { framework: "gitlab-ci", ...rule };
}

export const CI_YAML = "https://docs.gitlab.com/ci/yaml/";

/** Every script line written anywhere in the configuration, once. */
export function allScriptLines(pipeline: GitlabPipeline): ScriptLine[] {
  const out: ScriptLine[] = [];
  for (const site of sites(pipeline))
    for (const key of SCRIPT_KEYS) {
      const pair = siteValue(site, key);
      if (pair) out.push(...scriptLines(site, site.file, key, pair.value));
    }
  return out;
}

/** The string value of a variable visible at a site: its own, else the global one. */
export function variableLookup(
  pipeline: GitlabPipeline,
  site: Site,
): (name: string) => { value: string; node: YNode } | undefined {
  const own = siteValue(site, "variables")?.value;
  const global = child(pipeline.top, "variables");
  return (name) => {
    for (const scope of [own, global]) {
      const node = isYMap(scope) ? child(scope, name) : undefined;
      const value = node ? variableValue(node) : undefined;
      if (value) return value;
    }
    return undefined;
  };
}
