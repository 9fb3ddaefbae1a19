/** What CloudFormation rules share: their metadata shape and how they report on a resource. */
import type { Provenance, Report, Reporter, Rule, RuleMeta, SourceSpan } from "../../model.js";
import type { CfnModel, CfnResource, CfnValue, Found } from "../model.js";

export type CfnRule = Rule<CfnModel>;

export function defineRule(
  meta: Omit<RuleMeta, "framework">,
  check: (model: CfnModel, report: Reporter) => void,
): CfnRule {
  return { ...meta, framework: "cloudformation", check };
}

/** The CloudFormation reference page of a resource type, e.g. `AWS::S3::Bucket`. */
export function typeDocs(type: string): string {
  const slug = type.toLowerCase().replace(/::/g, "-").replace(/^aws-/, "aws-resource-");
  return `https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/${slug}.html`;
}

export function resourceReport(
  resource: CfnResource,
  message: string,
  span: SourceSpan,
  provenance: readonly Provenance[] = [],
): Report {
  return {
    message: `${resource.logicalId} (${resource.type}): ${message}`,
    span,
    resource: resource.logicalId,
    provenance,
    enclosing: [resource.span],
  };
}

/** Where a finding about a missing property points: the property's parent, else Properties, else the resource. */
export function missingAt(resource: CfnResource, parent?: Found): SourceSpan {
  return parent?.span ?? resource.propertiesKey ?? resource.keySpan;
}

/** Provenance of a found value, for reports. */
export function from(found: Found | undefined): readonly Provenance[] {
  return found?.value.provenance ?? [];
}

export function known(
  found: Found | undefined,
): found is Found & { value: Exclude<CfnValue, { kind: "unknown" }> } {
  return found !== undefined && found.value.kind !== "unknown";
}
