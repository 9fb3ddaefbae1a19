/**
 * Reads a CloudFormation template (YAML with short-form tags, or JSON) into evaluated resources.
 * A file is a template when its root has `AWSTemplateFormatVersion`, or a `Resources` mapping
 * whose entries have an `AWS::`-style Type; anything else (a Kubernetes manifest, a workflow)
 * is not CloudFormation.
 */
import type { ScanDiagnostic } from "../model.js";
import { asMap, at, str, type LFile, type LMap, type LNode } from "../kubernetes/yaml-tree.js";
import { Evaluator, NO_VALUE } from "./evaluate.js";
import type { CfnResource, CfnTemplate } from "./model.js";

const RESOURCE_TYPE = /^(?:AWS|Alexa|Custom)::/;

export function isTemplate(root: LNode | undefined): root is LMap {
  if (root?.kind !== "map") return false;
  if (root.index.has("AWSTemplateFormatVersion")) return true;
  const resources = asMap(at(root, "Resources"));
  return resources?.pairs.some((pair) => RESOURCE_TYPE.test(str(at(pair.value, "Type")) ?? "")) ?? false;
}

/** Cheap test on the text, before parsing: could this be a template? */
export function mayBeTemplate(text: string): boolean {
  return (
    text.includes("AWSTemplateFormatVersion") ||
    (/Resources"?\s*:/.test(text) && /(?:AWS|Custom)::/.test(text))
  );
}

export function loadTemplate(file: LFile): {
  template: CfnTemplate | undefined;
  diagnostics: ScanDiagnostic[];
} {
  const diagnostics: ScanDiagnostic[] = [];
  const root = file.docs.find((doc) => isTemplate(doc.root))?.root;
  if (!isTemplate(root)) return { template: undefined, diagnostics };
  const evaluator = new Evaluator(root);
  const resources: CfnResource[] = [];
  for (const pair of asMap(at(root, "Resources"))?.pairs ?? []) {
    const definition = pair.value;
    const type = str(at(definition, "Type"));
    if (definition.kind !== "map" || type === undefined) {
      diagnostics.push({ span: pair.keySpan, message: `resource ${pair.key} has no Type` });
      continue;
    }
    // A resource whose condition is known to be false is not created.
    const condition = str(at(definition, "Condition"));
    if (condition !== undefined && evaluator.condition(condition).value === false) continue;
    const propertiesPair = definition.index.get("Properties");
    const properties = propertiesPair ? evaluator.value(propertiesPair.value) : undefined;
    resources.push({
      logicalId: pair.key,
      type,
      file: file.path,
      span: pair.span,
      keySpan: pair.keySpan,
      properties: properties === NO_VALUE ? undefined : properties,
      propertiesKey: propertiesPair?.keySpan,
      metadata: at(definition, "Metadata"),
    });
  }
  return {
    template: { file: file.path, resources, byId: new Map(resources.map((r) => [r.logicalId, r])) },
    diagnostics,
  };
}
