/**
 * The CloudFormation framework: templates in YAML (with short-form intrinsic tags) or JSON,
 * evaluated with their parameter defaults, conditions and mappings, then checked resource by
 * resource and across resources of the same template.
 *
 * Suppressions: `Metadata.slipway.ignore` on a resource (suppressions.ts) and `# slipway:ignore`
 * comments above a resource or property (../kubernetes/comment-suppressions.ts).
 */
import { posix } from "node:path";
import { runCustomRules } from "../custom/run.js";
import type { FrameworkResult, FrameworkScanner, ScanContext, SourceFile } from "../model.js";
import { runRules } from "../rule.js";
import { commentSuppressions } from "../kubernetes/comment-suppressions.js";
import { parseYamlFile } from "../kubernetes/yaml-tree.js";
import { genericResources } from "./generic.js";
import { buildModel, type CfnModel, type CfnTemplate } from "./model.js";
import { CLOUDFORMATION_RULES } from "./rules/index.js";
import { metadataSuppressions } from "./suppressions.js";
import { CLOUDFORMATION_TAGS } from "./tags.js";
import { loadTemplate, mayBeTemplate } from "./template.js";

const TEMPLATE_FILE = /\.(?:ya?ml|json|template)$/i;
/** A top-level key only templates have, found without parsing (for files that do not parse). */
const TEMPLATE_ROOT =
  /^(?:AWSTemplateFormatVersion|Resources)\s*:|"AWSTemplateFormatVersion"|"Resources"\s*:\s*\{/m;

export const cloudformationScanner: FrameworkScanner = {
  framework: "cloudformation",
  rules: CLOUDFORMATION_RULES,
  claims: (file: SourceFile) => TEMPLATE_FILE.test(posix.basename(file.path)) && mayBeTemplate(file.text),
  scan: (files, context) => Promise.resolve(scanCloudFormation(files, context)),
};

function scanCloudFormation(files: readonly SourceFile[], context: ScanContext): FrameworkResult {
  const result: FrameworkResult = { findings: [], suppressions: [], diagnostics: [], notes: [], files: [] };
  const templates: CfnTemplate[] = [];
  for (const file of files) {
    const tree = parseYamlFile(file.path, file.text, { customTags: CLOUDFORMATION_TAGS });
    const { template, diagnostics } = loadTemplate(tree);
    if (!template) {
      // A file that does not parse may still have been a template: say why it was not checked.
      if (tree.diagnostics.length > 0 && TEMPLATE_ROOT.test(file.text)) {
        result.diagnostics.push(...tree.diagnostics);
        result.files.push(file.path);
      }
      continue;
    }
    templates.push(template);
    result.files.push(file.path);
    result.diagnostics.push(...tree.diagnostics, ...diagnostics);
    const comments = commentSuppressions(tree);
    result.suppressions.push(...comments.suppressions);
    result.diagnostics.push(...comments.diagnostics);
    for (const resource of template.resources) {
      const metadata = metadataSuppressions(resource);
      result.suppressions.push(...metadata.suppressions);
      result.diagnostics.push(...metadata.diagnostics);
    }
  }
  const model: CfnModel = buildModel(templates);
  result.findings.push(...runRules(model, CLOUDFORMATION_RULES, context));
  const custom = runCustomRules("cloudformation", () => genericResources(model), context);
  result.findings.push(...custom.findings);
  result.diagnostics.push(...custom.diagnostics);
  return result;
}
