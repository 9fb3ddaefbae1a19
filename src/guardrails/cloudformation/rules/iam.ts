/** IAM policies written in templates. */
import type { Reporter } from "../../model.js";
import {
  child,
  isUnknown,
  listItems,
  prop,
  resourcesOfType,
  scalarText,
  type CfnResource,
  type Found,
} from "../model.js";
import { defineRule, from, resourceReport, typeDocs, type CfnRule } from "./common.js";

function hasStar(found: Found | undefined): boolean {
  return listItems(found?.value).some((item) => {
    const text = scalarText(item);
    return text === "*" || text === "*:*";
  });
}

function checkDocument(
  resource: CfnResource,
  document: Found | undefined,
  where: string,
  report: Reporter,
): void {
  const statements = document ? child(document, "Statement") : undefined;
  if (!statements || isUnknown(statements.value)) return;
  for (const statement of listItems(statements.value)) {
    const found: Found = { value: statement, span: statement.span };
    if (scalarText(child(found, "Effect")?.value) !== "Allow") continue;
    const action = child(found, "Action");
    const target = child(found, "Resource");
    if (action && hasStar(action) && hasStar(target))
      report(
        resourceReport(
          resource,
          `${where} allows Action "*" on Resource "*" (full administrator)`,
          action.span,
          [...from(action), ...from(target)],
        ),
      );
  }
}

const adminPolicy = defineRule(
  {
    id: "CFN-008",
    title: "IAM policy allows every action on every resource",
    severity: "high",
    rationale:
      'Action "*" on Resource "*" is full administrator access: whoever holds the role or user can read all data, create users and keys, and delete the account\'s resources.',
    remediation:
      "List the actions and resource ARNs the principal needs; use AWS managed job-function policies as a starting point.",
    references: [
      typeDocs("AWS::IAM::Policy"),
      "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
      "CIS AWS Foundations 1.16",
    ],
  },
  (model, report) => {
    for (const policy of resourcesOfType(model, "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"))
      checkDocument(policy, prop(policy, "PolicyDocument"), "PolicyDocument", report);
    for (const principal of resourcesOfType(model, "AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")) {
      const policies = prop(principal, "Policies");
      if (!policies || isUnknown(policies.value)) continue;
      for (const inline of listItems(policies.value)) {
        const found: Found = { value: inline, span: inline.span };
        const name = scalarText(child(found, "PolicyName")?.value) ?? "inline policy";
        checkDocument(principal, child(found, "PolicyDocument"), `policy ${name}`, report);
      }
    }
  },
);

export const iamRules: readonly CfnRule[] = [adminPolicy];
