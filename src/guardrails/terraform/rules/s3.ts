/**
 * S3 buckets. Since provider v4 a bucket's settings live in separate resources
 * (`aws_s3_bucket_versioning`, `aws_s3_bucket_public_access_block`...) that point at the bucket,
 * so most rules here join a bucket with the resources that configure it; the legacy inline
 * arguments of `aws_s3_bucket` count as well.
 */
import type { Reporter, Rule } from "../../model.js";
import { lookup, type TerraformModel, type TfResource } from "../model.js";
import {
  AWS_DOCS,
  asString,
  companions,
  find,
  findAll,
  flag,
  isSet,
  ofType,
  referencedResources,
  reportOn,
  text,
  tf,
} from "./helpers.js";
import {
  allowsAnyPrincipal,
  deniesInsecureTransport,
  isAllow,
  isUnconditional,
  policyStatements,
  type Statement,
} from "./policy.js";

type TfRule = Rule<TerraformModel>;

const PUBLIC_ACCESS_FLAGS = [
  "block_public_acls",
  "block_public_policy",
  "ignore_public_acls",
  "restrict_public_buckets",
];
const PUBLIC_ACLS = new Set(["public-read", "public-read-write", "authenticated-read"]);
const PUBLIC_GRANTEES = [
  "acs.amazonaws.com/groups/global/AllUsers",
  "acs.amazonaws.com/groups/global/AuthenticatedUsers",
];

/** The account-wide block with all four settings on protects every bucket of the account. */
function accountBlocksPublicAccess(model: TerraformModel): boolean {
  return ofType(model, "aws_s3_account_public_access_block").some((block) =>
    PUBLIC_ACCESS_FLAGS.every((name) => flag(block, name, false)?.value === true),
  );
}

/** True when a public-access setting is known to be on for the bucket (or the whole account). */
function publicAccessSettingOn(
  model: TerraformModel,
  bucket: TfResource | undefined,
  names: string[],
): boolean {
  const account = ofType(model, "aws_s3_account_public_access_block");
  const blocks = bucket
    ? [...account, ...companions(model, bucket, "aws_s3_bucket_public_access_block", "bucket").linked]
    : account;
  return blocks.some((block) => names.some((name) => flag(block, name, false)?.value === true));
}

/** The bucket a configuration resource (`aws_s3_bucket_acl`, `aws_s3_bucket_policy`) applies to. */
function bucketOf(model: TerraformModel, resource: TfResource): TfResource | undefined {
  const at = lookup(resource, "bucket");
  const [byReference] = referencedResources(model, at, "aws_s3_bucket");
  if (byReference) return byReference;
  const name = at && typeof at.value === "string" ? at.value : undefined;
  if (name === undefined) return undefined;
  return ofType(model, "aws_s3_bucket").find((b) => lookup(b, "bucket")?.value === name);
}

const s3PublicAccessBlock: TfRule = {
  ...tf({
    id: "TF-001",
    title: "S3 bucket without a complete public access block",
    severity: "high",
    rationale:
      "Without all four S3 Block Public Access settings a single ACL or bucket policy change can expose every object to the internet; the block is the guard rail that keeps a mistake from becoming a leak.",
    remediation:
      "Add an aws_s3_bucket_public_access_block for the bucket with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets all set to true (or enable aws_s3_account_public_access_block).",
    references: [
      "CIS AWS Foundations Benchmark v3.0.0 2.1.4",
      `${AWS_DOCS}s3_bucket_public_access_block`,
      "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
    ],
  }),
  check(model, report) {
    if (accountBlocksPublicAccess(model)) return;
    for (const bucket of ofType(model, "aws_s3_bucket")) {
      const { linked, undetermined } = companions(
        model,
        bucket,
        "aws_s3_bucket_public_access_block",
        "bucket",
      );
      if (linked.length === 0 && !undetermined)
        reportOn(
          report,
          bucket,
          `S3 bucket ${bucket.address} has no aws_s3_bucket_public_access_block, so nothing stops a public ACL or policy`,
        );
    }
    for (const block of ofType(model, "aws_s3_bucket_public_access_block"))
      for (const name of PUBLIC_ACCESS_FLAGS) {
        const value = flag(block, name, false);
        if (value && !value.value)
          reportOn(
            report,
            block,
            value.at
              ? `${name} is false in ${block.address}`
              : `${name} is not set in ${block.address} and defaults to false`,
            value.at,
          );
      }
  },
};

function reportPublicAcl(report: Reporter, resource: TfResource, path: string): void {
  const acl = text(resource, path);
  if (acl?.value !== undefined && PUBLIC_ACLS.has(acl.value))
    reportOn(
      report,
      resource,
      `${resource.address} uses the canned ACL "${acl.value}", readable by anyone`,
      acl.at,
    );
}

function reportPublicGrants(report: Reporter, resource: TfResource, path: string): void {
  for (const grant of findAll(resource, path)) {
    const uri = asString(grant.value);
    if (uri !== undefined && PUBLIC_GRANTEES.some((g) => uri.includes(g)))
      reportOn(
        report,
        resource,
        `${resource.address} grants access to the ${uri.split("/").pop() ?? uri} group`,
        grant,
      );
  }
}

const s3PublicAcl: TfRule = {
  ...tf({
    id: "TF-002",
    title: "S3 bucket ACL grants access to everyone",
    severity: "high",
    rationale:
      "The public-read, public-read-write and authenticated-read ACLs (and grants to the AllUsers or AuthenticatedUsers groups) let anyone with an AWS account or no account at all list or change objects.",
    remediation:
      'Use the private ACL (or disable ACLs with object_ownership = "BucketOwnerEnforced") and serve public content through CloudFront with an origin access control.',
    references: [
      "CIS AWS Foundations Benchmark v3.0.0 2.1.4",
      `${AWS_DOCS}s3_bucket_acl`,
      "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl",
    ],
  }),
  check(model, report) {
    for (const acl of ofType(model, "aws_s3_bucket_acl")) {
      if (publicAccessSettingOn(model, bucketOf(model, acl), ["block_public_acls", "ignore_public_acls"]))
        continue;
      reportPublicAcl(report, acl, "acl");
      reportPublicGrants(report, acl, "access_control_policy.grant.grantee.uri");
    }
    for (const bucket of ofType(model, "aws_s3_bucket")) {
      if (publicAccessSettingOn(model, bucket, ["block_public_acls", "ignore_public_acls"])) continue;
      reportPublicAcl(report, bucket, "acl");
      reportPublicGrants(report, bucket, "grant.uri");
    }
  },
};

const s3KmsEncryption: TfRule = {
  ...tf({
    id: "TF-003",
    title: "S3 bucket not encrypted with a KMS key",
    severity: "low",
    rationale:
      "Since January 2023 S3 encrypts every new object with S3-managed keys (SSE-S3), so data is never stored in clear; but SSE-S3 gives no separate key permission, no key audit trail in CloudTrail and no way to revoke access by disabling a key. SSE-KMS adds that second, auditable control over who can read the data.",
    remediation:
      'Add an aws_s3_bucket_server_side_encryption_configuration with sse_algorithm = "aws:kms" (and a customer-managed kms_master_key_id), with bucket_key_enabled = true to keep KMS costs low.',
    references: [
      `${AWS_DOCS}s3_bucket_server_side_encryption_configuration`,
      "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
    ],
  }),
  check(model, report) {
    const algorithmPath = "rule.apply_server_side_encryption_by_default.sse_algorithm";
    for (const bucket of ofType(model, "aws_s3_bucket")) {
      const { linked, undetermined } = companions(
        model,
        bucket,
        "aws_s3_bucket_server_side_encryption_configuration",
        "bucket",
      );
      const configured = [
        ...findAll(bucket, `server_side_encryption_configuration.${algorithmPath}`).map((at) => ({
          at,
          owner: bucket,
        })),
        ...linked.flatMap((config) => findAll(config, algorithmPath).map((at) => ({ at, owner: config }))),
      ];
      if (configured.length === 0) {
        if (!undetermined && linked.length === 0)
          reportOn(
            report,
            bucket,
            `S3 bucket ${bucket.address} has no server-side encryption configuration and only gets the default SSE-S3`,
          );
        continue;
      }
      const algorithms = configured.map(({ at }) => asString(at.value));
      if (algorithms.some((a) => a === undefined || a.startsWith("aws:kms"))) continue;
      const [first] = configured;
      if (first)
        reportOn(
          report,
          first.owner,
          `S3 bucket ${bucket.address} is encrypted with ${algorithms[0] ?? "AES256"} (S3-managed keys), not KMS`,
          first.at,
        );
    }
  },
};

const s3Versioning: TfRule = {
  ...tf({
    id: "TF-004",
    title: "S3 bucket versioning is not enabled",
    severity: "medium",
    rationale:
      "Without versioning an overwrite or delete (by mistake, by a compromised key, by ransomware) destroys the only copy of an object; versioning keeps previous versions recoverable.",
    remediation:
      'Add an aws_s3_bucket_versioning for the bucket with versioning_configuration { status = "Enabled" }, and a lifecycle rule expiring noncurrent versions.',
    references: [
      `${AWS_DOCS}s3_bucket_versioning`,
      "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html",
    ],
  }),
  check(model, report) {
    for (const bucket of ofType(model, "aws_s3_bucket")) {
      const { linked, undetermined } = companions(model, bucket, "aws_s3_bucket_versioning", "bucket");
      if (linked.length > 0) {
        const statuses = linked.map((v) => ({
          owner: v,
          status: text(v, "versioning_configuration.status"),
        }));
        if (statuses.some(({ status }) => status === undefined || status.value === "Enabled")) continue;
        const [first] = statuses;
        if (first)
          reportOn(
            report,
            first.owner,
            `versioning of ${bucket.address} is ${first.status?.value ?? "not enabled"}`,
            first.status?.at,
          );
        continue;
      }
      const inline = find(bucket, "versioning");
      if (inline) {
        const enabled = flag(bucket, "versioning.enabled", false);
        if (enabled && !enabled.value)
          reportOn(report, bucket, `versioning of ${bucket.address} is disabled`, enabled.at, inline);
        continue;
      }
      if (!undetermined)
        reportOn(report, bucket, `S3 bucket ${bucket.address} has no versioning configuration`);
    }
  },
};

const s3AccessLogging: TfRule = {
  ...tf({
    id: "TF-005",
    title: "S3 bucket server access logging is disabled",
    severity: "low",
    rationale:
      "Server access logs are the record of who read, wrote or deleted which object; without them an incident on the bucket cannot be investigated.",
    remediation:
      "Add an aws_s3_bucket_logging for the bucket with a target_bucket dedicated to access logs (buckets that receive access logs are not required to log themselves).",
    references: [
      `${AWS_DOCS}s3_bucket_logging`,
      "https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerAccessLogs.html",
    ],
  }),
  check(model, report) {
    const buckets = ofType(model, "aws_s3_bucket");
    const logTargets = new Set<string>();
    for (const logging of ofType(model, "aws_s3_bucket_logging"))
      for (const target of referencedResources(model, lookup(logging, "target_bucket"), "aws_s3_bucket"))
        logTargets.add(target.address);
    for (const bucket of buckets)
      for (const target of referencedResources(model, find(bucket, "logging.target_bucket"), "aws_s3_bucket"))
        logTargets.add(target.address);
    for (const bucket of buckets) {
      if (logTargets.has(bucket.address) || isSet(bucket, "logging")) continue;
      const { linked, undetermined } = companions(model, bucket, "aws_s3_bucket_logging", "bucket");
      if (linked.length === 0 && !undetermined)
        reportOn(report, bucket, `S3 bucket ${bucket.address} has no server access logging`);
    }
  },
};

/** The policies attached to a bucket, inline or through aws_s3_bucket_policy. */
function bucketPolicies(model: TerraformModel, bucket: TfResource) {
  const { linked, undetermined } = companions(model, bucket, "aws_s3_bucket_policy", "bucket");
  const inline = lookup(bucket, "policy");
  const policies = [
    ...(inline ? [{ owner: bucket, at: inline }] : []),
    ...linked.flatMap((p) => {
      const at = lookup(p, "policy");
      return at ? [{ owner: p, at }] : [];
    }),
  ];
  return { policies, undetermined: undetermined && linked.length === 0 };
}

const s3PublicPolicy: TfRule = {
  ...tf({
    id: "TF-006",
    title: "S3 bucket policy allows any principal",
    severity: "high",
    rationale:
      'An Allow statement with Principal "*" and no condition grants its actions to anyone on the internet, signed in or not; it is how most S3 data leaks happen.',
    remediation:
      "Name the AWS accounts, roles or services that need access, or narrow the statement with conditions such as aws:SourceVpce, aws:PrincipalOrgID or aws:SourceArn; serve public websites through CloudFront.",
    references: [
      `${AWS_DOCS}s3_bucket_policy`,
      "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status",
    ],
  }),
  check(model, report) {
    const sources = [
      ...ofType(model, "aws_s3_bucket_policy").map((owner) => ({
        owner,
        bucket: bucketOf(model, owner),
      })),
      ...ofType(model, "aws_s3_bucket").map((owner) => ({ owner, bucket: owner })),
    ];
    for (const { owner, bucket } of sources) {
      if (publicAccessSettingOn(model, bucket, ["block_public_policy", "restrict_public_buckets"])) continue;
      const statements = policyStatements(model, lookup(owner, "policy")) ?? [];
      for (const statement of statements)
        if (isAllow(statement) && allowsAnyPrincipal(statement) && isUnconditional(statement))
          reportOn(
            report,
            owner,
            `${owner.address} allows ${(statement.actions ?? []).join(", ") || "actions"} to any principal without a condition`,
            statement,
          );
    }
  },
};

const s3SecureTransport: TfRule = {
  ...tf({
    id: "TF-007",
    title: "S3 bucket policy does not deny requests over plain HTTP",
    severity: "low",
    rationale:
      "S3 accepts HTTP as well as HTTPS; only a bucket policy that denies requests where aws:SecureTransport is false guarantees that objects and credentials never cross the network unencrypted.",
    remediation:
      'Add a statement to the bucket policy: Effect Deny, Principal "*", Action "s3:*", the bucket and its objects as resources, Condition Bool aws:SecureTransport = false.',
    references: [
      "CIS AWS Foundations Benchmark v3.0.0 2.1.1",
      `${AWS_DOCS}s3_bucket_policy`,
      "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit",
    ],
  }),
  check(model, report) {
    for (const bucket of ofType(model, "aws_s3_bucket")) {
      const { policies, undetermined } = bucketPolicies(model, bucket);
      if (undetermined) continue;
      const read = policies.map(({ owner, at }) => ({ owner, at, statements: policyStatements(model, at) }));
      const unreadable = (st: Statement) => st.effect === undefined || st.conditions === undefined;
      if (read.some((p) => p.statements === undefined || p.statements.some(unreadable))) continue;
      if (read.some((p) => p.statements?.some(deniesInsecureTransport))) continue;
      const [first] = read;
      reportOn(
        report,
        first?.owner ?? bucket,
        first
          ? `the policy of ${bucket.address} does not deny requests where aws:SecureTransport is false`
          : `S3 bucket ${bucket.address} has no bucket policy denying requests over plain HTTP`,
        first?.at,
      );
    }
  },
};

export const s3Rules: TfRule[] = [
  s3PublicAccessBlock,
  s3PublicAcl,
  s3KmsEncryption,
  s3Versioning,
  s3AccessLogging,
  s3PublicPolicy,
  s3SecureTransport,
];
