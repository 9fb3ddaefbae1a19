/** S3 buckets and their policies. */
import type { Provenance } from "../../model.js";
import {
  child,
  isUnknown,
  listItems,
  prop,
  resourcesOfType,
  scalarText,
  truth,
  type CfnModel,
  type CfnResource,
  type CfnValue,
} from "../model.js";
import { defineRule, from, missingAt, resourceReport, typeDocs, type CfnRule } from "./common.js";

const BUCKET = "AWS::S3::Bucket";
const FLAGS = ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"] as const;

const publicAccessBlock = defineRule(
  {
    id: "CFN-001",
    title: "S3 bucket does not block public access",
    severity: "medium",
    rationale:
      "The four Block Public Access settings are what stops a later ACL or bucket policy change from making the bucket's objects public. New buckets get them from S3 since April 2023, but a template that does not state them leaves the protection to defaults an account or a later update can change.",
    remediation:
      "Set PublicAccessBlockConfiguration with BlockPublicAcls, BlockPublicPolicy, IgnorePublicAcls and RestrictPublicBuckets all true.",
    references: [
      typeDocs(BUCKET),
      "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
      "CIS AWS Foundations 2.1.4",
    ],
  },
  (model, report) => {
    for (const bucket of resourcesOfType(model, BUCKET)) {
      if (isUnknown(bucket.properties)) continue;
      const block = prop(bucket, "PublicAccessBlockConfiguration");
      if (!block) {
        report(resourceReport(bucket, "declares no PublicAccessBlockConfiguration", missingAt(bucket)));
        continue;
      }
      if (isUnknown(block.value)) continue;
      for (const flag of FLAGS) {
        const found = child(block, flag);
        if (!found) report(resourceReport(bucket, `${flag} is not set (it defaults to false)`, block.span));
        else if (truth(found.value) === false)
          report(resourceReport(bucket, `${flag} is false`, found.span, from(found)));
      }
    }
  },
);

const encryption = defineRule(
  {
    id: "CFN-002",
    title: "S3 bucket does not declare default encryption",
    severity: "low",
    rationale:
      "Since January 2023 S3 encrypts every new object with S3-managed keys (SSE-S3) even when the template says nothing, so objects are not stored in clear; what is missing is the decision: SSE-KMS gives key policies, audit of every decrypt in CloudTrail, and revocation. The finding is low for that reason.",
    remediation:
      "Declare BucketEncryption with ServerSideEncryptionByDefault: SSEAlgorithm aws:kms and a KMSMasterKeyID (and BucketKeyEnabled: true), or AES256 to record the choice.",
    references: [
      typeDocs(BUCKET),
      "https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html",
      "CIS AWS Foundations 2.1.1",
    ],
  },
  (model, report) => {
    for (const bucket of resourcesOfType(model, BUCKET)) {
      if (isUnknown(bucket.properties)) continue;
      if (!prop(bucket, "BucketEncryption"))
        report(
          resourceReport(
            bucket,
            "declares no BucketEncryption (objects get S3's default SSE-S3; declare the encryption you rely on)",
            missingAt(bucket),
          ),
        );
    }
  },
);

const versioning = defineRule(
  {
    id: "CFN-003",
    title: "S3 bucket versioning is not enabled",
    severity: "low",
    rationale:
      "Without versioning an overwrite or delete, by mistake, by a bug or by ransomware, destroys the only copy of the object.",
    remediation:
      "Set VersioningConfiguration: { Status: Enabled } and a lifecycle rule that expires old versions.",
    references: [typeDocs(BUCKET), "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html"],
  },
  (model, report) => {
    for (const bucket of resourcesOfType(model, BUCKET)) {
      if (isUnknown(bucket.properties)) continue;
      const config = prop(bucket, "VersioningConfiguration");
      if (!config) {
        report(resourceReport(bucket, "has no VersioningConfiguration", missingAt(bucket)));
        continue;
      }
      const status = child(config, "Status");
      if (!status) report(resourceReport(bucket, "VersioningConfiguration has no Status", config.span));
      else if (scalarText(status.value) !== undefined && scalarText(status.value) !== "Enabled")
        report(
          resourceReport(
            bucket,
            `versioning is ${scalarText(status.value) ?? ""}`,
            status.span,
            from(status),
          ),
        );
    }
  },
);

/** The bucket a policy is attached to: by `!Ref Bucket` or by the bucket's literal name. */
function policyBucket(model: CfnModel, policy: CfnResource): CfnResource | undefined {
  const target = prop(policy, "Bucket");
  const template = model.byFile.get(policy.file);
  if (!target || !template) return undefined;
  for (const ref of target.value.refs) {
    const bucket = template.byId.get(ref);
    if (bucket?.type === BUCKET) return bucket;
  }
  const name = scalarText(target.value);
  if (name === undefined) return undefined;
  return template.resources.find(
    (bucket) => bucket.type === BUCKET && scalarText(prop(bucket, "BucketName")?.value) === name,
  );
}

/** `"*"`, `{ AWS: "*" }` or a list holding `"*"`: anyone, authenticated or not. */
function everyone(principal: CfnValue): boolean {
  if (principal.kind === "scalar") return principal.value === "*";
  if (principal.kind === "map") {
    const aws = principal.entries.get("AWS")?.value;
    return aws !== undefined && listItems(aws).some((item) => item.kind === "scalar" && item.value === "*");
  }
  return false;
}

const publicPolicy = defineRule(
  {
    id: "CFN-018",
    title: "S3 bucket policy grants access to everyone",
    severity: "high",
    rationale:
      'A bucket policy statement that allows Principal "*" without a Condition grants its actions to anyone on the internet: the bucket\'s objects (or worse, writes and deletes) are public.',
    remediation:
      "Name the principals (accounts, roles, the CloudFront origin access control) in the statement, or add a Condition such as aws:SourceVpce, aws:PrincipalOrgID or aws:SourceArn.",
    references: [
      typeDocs("AWS::S3::BucketPolicy"),
      "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status",
      "CIS AWS Foundations 2.1.4",
    ],
  },
  (model, report) => {
    for (const policy of resourcesOfType(model, "AWS::S3::BucketPolicy")) {
      const statements = prop(policy, "PolicyDocument.Statement");
      if (!statements || isUnknown(statements.value)) continue;
      const bucket = policyBucket(model, policy);
      for (const statement of listItems(statements.value)) {
        if (statement.kind !== "map") continue;
        const effect = statement.entries.get("Effect")?.value;
        const principal = statement.entries.get("Principal");
        if (scalarText(effect) !== "Allow" || !principal || statement.entries.has("Condition")) continue;
        if (!everyone(principal.value)) continue;
        const actions = listItems(statement.entries.get("Action")?.value)
          .map((action) => scalarText(action) ?? "?")
          .join(", ");
        const provenance: Provenance[] = [...principal.value.provenance];
        const subject = bucket ? `bucket ${bucket.logicalId}` : "its bucket";
        const found = resourceReport(
          policy,
          `grants ${actions || "its actions"} on ${subject} to Principal "*" without a Condition`,
          principal.span,
          provenance,
        );
        report(
          bucket ? { ...found, resource: bucket.logicalId, enclosing: [policy.span, bucket.span] } : found,
        );
      }
    }
  },
);

export const s3Rules: readonly CfnRule[] = [publicAccessBlock, encryption, versioning, publicPolicy];
