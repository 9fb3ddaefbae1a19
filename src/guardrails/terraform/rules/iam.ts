/**
 * AWS IAM: what policy documents grant, who trusts whom, how users get permissions, and the
 * account password policy. Policy documents are read wherever they are written: JSON in a
 * policy argument, or an `aws_iam_policy_document` data source (judged once, at its own
 * statements, however many policies use it).
 */
import type { Rule } from "../../model.js";
import { lookup, type TerraformModel, type TfResource } from "../model.js";
import {
  AWS_DOCS,
  blocksOf,
  dataSourcesOfType,
  find,
  isSet,
  knownStrings,
  num,
  referencedResources,
  reportOn,
  tf,
  type Target,
  ofType,
} from "./helpers.js";
import {
  allowsAnyPrincipal,
  documentStatements,
  isAllow,
  isServiceWildcardAction,
  isUnconditional,
  isWildcardAction,
  policyStatements,
  type Statement,
} from "./policy.js";

type TfRule = Rule<TerraformModel>;

const POLICY_TYPES = ["aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"];

/** Every identity policy statement, each with the resource it is reported on. */
function identityStatements(model: TerraformModel): { owner: TfResource; statement: Statement }[] {
  const out: { owner: TfResource; statement: Statement }[] = [];
  const written = (owner: TfResource, target: Target) => {
    const at = find(target, "policy");
    // Statements of a referenced aws_iam_policy_document are judged at the data source.
    if (!at || referencedResources(model, at, "aws_iam_policy_document").length > 0) return;
    for (const statement of policyStatements(model, at) ?? []) out.push({ owner, statement });
  };
  for (const owner of ofType(model, ...POLICY_TYPES)) written(owner, owner);
  for (const role of ofType(model, "aws_iam_role"))
    for (const inline of blocksOf(role, "inline_policy")) written(role, inline);
  // Statements naming principals belong to resource policies (key, bucket, queue policies),
  // where "kms:*" on "*" for the account root is the norm, not an identity grant.
  for (const doc of dataSourcesOfType(model, "aws_iam_policy_document"))
    for (const statement of documentStatements(doc))
      if (statement.principals?.length === 0 && statement.notPrincipals?.length === 0)
        out.push({ owner: doc, statement });
  return out;
}

function isAdmin(statement: Statement): boolean {
  return (
    isAllow(statement) &&
    (statement.actions?.some(isWildcardAction) ?? false) &&
    (statement.resources?.includes("*") ?? false)
  );
}

const adminPolicy: TfRule = {
  ...tf({
    id: "TF-040",
    title: "IAM policy grants full administrative privileges",
    severity: "high",
    rationale:
      'A statement allowing Action "*" on Resource "*" gives every permission in the account, including creating users and keys and disabling CloudTrail; whoever holds it, or steals it, owns the account.',
    remediation:
      "Grant only the actions and resources the workload needs (start from IAM Access Analyzer's generated policy); keep full administrator access for a few break-glass roles using the AWS-managed AdministratorAccess policy with MFA.",
    references: [
      "CIS AWS Foundations Benchmark v3.0.0 1.16",
      `${AWS_DOCS}iam_policy`,
      "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/iam_policy_document",
    ],
  }),
  check(model, report) {
    for (const { owner, statement } of identityStatements(model))
      if (isAdmin(statement))
        reportOn(report, owner, `${owner.address} allows every action on every resource ("*:*")`, statement);
  },
};

const serviceWildcardPolicy: TfRule = {
  ...tf({
    id: "TF-041",
    title: "IAM policy allows every action of a service on all resources",
    severity: "medium",
    rationale:
      'Actions such as "s3:*" or "iam:*" on Resource "*" include destructive and privilege-escalating calls (deleting buckets, attaching policies, passing roles) that the workload almost never needs.',
    remediation: "List the specific actions needed and scope Resource to the ARNs the workload uses.",
    references: [
      `${AWS_DOCS}iam_policy`,
      "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
    ],
  }),
  check(model, report) {
    for (const { owner, statement } of identityStatements(model)) {
      if (isAdmin(statement) || !isAllow(statement) || !(statement.resources?.includes("*") ?? false))
        continue;
      const wildcards = (statement.actions ?? []).filter(isServiceWildcardAction);
      if (wildcards.length > 0)
        reportOn(
          report,
          owner,
          `${owner.address} allows ${wildcards.join(", ")} on all resources`,
          statement,
        );
    }
  },
};

const userPolicies: TfRule = {
  ...tf({
    id: "TF-042",
    title: "IAM user has policies attached directly",
    severity: "low",
    rationale:
      "Permissions attached to individual users drift apart and are forgotten when people change roles; granting them through groups (or better, roles assumed through SSO) keeps access reviewable.",
    remediation:
      "Attach the policy to an IAM group (aws_iam_group_policy_attachment) and add the user to it, or move people to IAM Identity Center.",
    references: ["CIS AWS Foundations Benchmark v3.0.0 1.15", `${AWS_DOCS}iam_user_policy_attachment`],
  }),
  check(model, report) {
    for (const resource of ofType(model, "aws_iam_user_policy", "aws_iam_user_policy_attachment")) {
      const user = lookup(resource, "user");
      reportOn(report, resource, `${resource.address} gives permissions to a user directly`, user);
    }
    for (const resource of ofType(model, "aws_iam_policy_attachment")) {
      const users = find(resource, "users");
      if ((knownStrings(users)?.length ?? 0) > 0)
        reportOn(report, resource, `${resource.address} attaches a policy to users directly`, users);
    }
  },
};

const accessKeyInState: TfRule = {
  ...tf({
    id: "TF-043",
    title: "IAM access key secret is stored unencrypted in Terraform state",
    severity: "medium",
    rationale:
      "An aws_iam_access_key without pgp_key writes the secret access key in plain text into the state file, where everyone who can read state (CI jobs, backups, the state bucket) can use it; long-lived keys are also the credentials most often leaked.",
    remediation:
      "Prefer roles (instance profiles, IRSA, OIDC federation for CI) over access keys; if a key is unavoidable, set pgp_key so only the encrypted secret is stored.",
    references: [
      `${AWS_DOCS}iam_access_key`,
      "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#bp-users-federation-idp",
    ],
  }),
  check(model, report) {
    for (const key of ofType(model, "aws_iam_access_key"))
      if (!isSet(key, "pgp_key"))
        reportOn(
          report,
          key,
          `${key.address} creates an access key whose secret is kept in plain text in the state`,
          lookup(key, "user"),
        );
  },
};

const passwordPolicy = (
  id: string,
  title: string,
  attribute: string,
  minimum: number,
  fallback: number,
  rationale: string,
  benchmark: string,
): TfRule => ({
  ...tf({
    id,
    title,
    severity: "medium",
    rationale,
    remediation: `Set ${attribute} = ${minimum} (or more) in aws_iam_account_password_policy.`,
    references: [benchmark, `${AWS_DOCS}iam_account_password_policy`],
  }),
  check(model, report) {
    for (const policy of ofType(model, "aws_iam_account_password_policy")) {
      const value = num(policy, attribute);
      if (!value) continue;
      const effective = value.value ?? fallback;
      if (effective < minimum)
        reportOn(
          report,
          policy,
          value.at
            ? `${policy.address} sets ${attribute} to ${effective}, below ${minimum}`
            : `${policy.address} does not set ${attribute} (${fallback === 0 ? "no limit" : `AWS uses ${fallback}`}), below ${minimum}`,
          value.at,
        );
    }
  },
});

const passwordLength = passwordPolicy(
  "TF-044",
  "IAM password policy requires fewer than 14 characters",
  "minimum_password_length",
  14,
  6,
  "Short passwords fall to offline cracking and password spraying; CIS requires at least 14 characters for console passwords.",
  "CIS AWS Foundations Benchmark v3.0.0 1.8",
);

const passwordReuse = passwordPolicy(
  "TF-045",
  "IAM password policy allows reusing recent passwords",
  "password_reuse_prevention",
  24,
  0,
  "Without reuse prevention a forced rotation can be undone by setting the old (possibly leaked) password again; CIS requires remembering the last 24.",
  "CIS AWS Foundations Benchmark v3.0.0 1.9",
);

const openTrustPolicy: TfRule = {
  ...tf({
    id: "TF-046",
    title: "IAM role trust policy allows any principal to assume it",
    severity: "critical",
    rationale:
      'A trust policy allowing Principal "*" (or AWS "*") without conditions lets any AWS account in the world assume the role and use all of its permissions.',
    remediation:
      "Name the trusted accounts, roles or services in the principal, and for third parties require sts:ExternalId; for OIDC federation use the Federated principal with audience and subject conditions.",
    references: [
      `${AWS_DOCS}iam_role#assume_role_policy`,
      "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy",
    ],
  }),
  check(model, report) {
    for (const role of ofType(model, "aws_iam_role"))
      for (const statement of policyStatements(model, lookup(role, "assume_role_policy")) ?? [])
        if (isAllow(statement) && allowsAnyPrincipal(statement) && isUnconditional(statement))
          reportOn(report, role, `${role.address} can be assumed by any AWS principal`, statement);
  },
};

export const iamRules: TfRule[] = [
  adminPolicy,
  serviceWildcardPolicy,
  userPolicies,
  accessKeyInState,
  passwordLength,
  passwordReuse,
  openTrustPolicy,
];
