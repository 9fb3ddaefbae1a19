import type { Reporter } from "../../model.js";
import { isLiteralSecretValue, isSecretName, redact, tokenFormat } from "../../dockerfile/secret-names.js";
import {
  child,
  isTrue,
  isYMap,
  isYSeq,
  pairSpan,
  type YMap,
  type YPair,
} from "../../github-actions/yaml-tree.js";
import { sites, siteValue, variableValue, type GitlabPipeline, type Site } from "../model.js";
import { CI_YAML, gitlabRule } from "./define.js";

/** Every `variables:` map as written: global, per job and template, and in `rules:` entries. */
function variableMaps(pipeline: GitlabPipeline): { site: Site; map: YMap }[] {
  const out: { site: Site; map: YMap }[] = [];
  for (const site of sites(pipeline)) {
    const own = siteValue(site, "variables")?.value;
    if (isYMap(own)) out.push({ site, map: own });
    const ruleLists =
      site.kind === "global" ? [child(child(site.node, "workflow"), "rules")] : [child(site.node, "rules")];
    for (const rules of ruleLists)
      if (isYSeq(rules))
        for (const rule of rules.items) {
          const variables = child(rule, "variables");
          if (isYMap(variables)) out.push({ site, map: variables });
        }
  }
  return out;
}

function reportPair(
  pipeline: GitlabPipeline,
  site: Site,
  pair: YPair,
  report: Reporter,
  message: string,
): void {
  const file = pipeline.files.get(pair.value.file) ?? site.file;
  report({ message, span: pairSpan(file, pair), resource: site.name, enclosing: [site.span] });
}

export const literalSecret = gitlabRule({
  id: "GITLAB-005",
  title: "A secret is written into CI variables",
  severity: "high",
  rationale:
    "Values in .gitlab-ci.yml are readable by everyone who can read the repository, stay in its history forever, and are not masked in job logs.",
  remediation:
    "Remove the value, rotate the secret, and define it as a masked (and protected) CI/CD variable in the project or group settings, or read it from a secrets manager with `secrets:`.",
  references: [
    "https://docs.gitlab.com/ci/variables/#cicd-variable-security",
    "https://docs.gitlab.com/ci/secrets/",
    CI_YAML + "#variables",
  ],
  check(pipeline, report) {
    for (const { site, map } of variableMaps(pipeline))
      for (const pair of map.pairs) {
        const value = variableValue(pair.value)?.value;
        if (value === undefined) continue;
        const format = tokenFormat(value);
        if (!format && !(isSecretName(pair.key) && isLiteralSecretValue(value))) continue;
        reportPair(
          pipeline,
          site,
          pair,
          report,
          `${pair.key}: ${redact(value)} writes ${format ?? "a secret"} into the pipeline configuration`,
        );
      }
  },
});

const DEBUG_VARIABLES = new Set(["CI_DEBUG_TRACE", "CI_DEBUG_SERVICES"]);

export const debugTrace = gitlabRule({
  id: "GITLAB-011",
  title: "CI_DEBUG_TRACE is enabled",
  severity: "high",
  rationale:
    "Debug tracing prints every command with its expanded arguments and every variable, masked or not, into the job log; anyone who can read the job's logs then reads the project's secrets.",
  remediation:
    "Remove CI_DEBUG_TRACE (and CI_DEBUG_SERVICES) from the file; enable it temporarily for one manual run when debugging, and restrict log access.",
  references: [
    "https://docs.gitlab.com/ci/variables/variables_troubleshooting/#enable-debug-logging",
    CI_YAML + "#variables",
  ],
  check(pipeline, report) {
    for (const { site, map } of variableMaps(pipeline))
      for (const pair of map.pairs) {
        const value = variableValue(pair.value);
        if (!DEBUG_VARIABLES.has(pair.key) || !value || !isTrue(value.node)) continue;
        reportPair(
          pipeline,
          site,
          pair,
          report,
          `${pair.key}: "true" prints every variable, secrets included, into the job log`,
        );
      }
  },
});
