/**
 * Keys and the services that hold secrets or messages: KMS, SNS, SQS and Secrets Manager.
 */
import type { Rule } from "../../model.js";
import type { TerraformModel } from "../model.js";
import { AWS_DOCS, flag, isSet, reportOn, text, tf, ofType } from "./helpers.js";

type TfRule = Rule<TerraformModel>;

const kmsRotation: TfRule = {
  ...tf({
    id: "TF-054",
    title: "KMS key rotation is disabled",
    severity: "medium",
    rationale:
      "Automatic rotation replaces a customer-managed key's material every year (or the period set), limiting how much data one compromised key version protects; it is off by default.",
    remediation: "Set enable_key_rotation = true on symmetric encryption keys.",
    references: ["CIS AWS Foundations Benchmark v3.0.0 3.6", `${AWS_DOCS}kms_key#enable_key_rotation`],
  }),
  check(model, report) {
    for (const key of ofType(model, "aws_kms_key")) {
      // Only symmetric encryption keys can rotate automatically.
      const spec = text(key, "customer_master_key_spec");
      const usage = text(key, "key_usage");
      if (!spec || !usage) continue;
      if ((spec.value ?? "SYMMETRIC_DEFAULT") !== "SYMMETRIC_DEFAULT") continue;
      if ((usage.value ?? "ENCRYPT_DECRYPT") !== "ENCRYPT_DECRYPT") continue;
      const rotation = flag(key, "enable_key_rotation", false);
      if (rotation && !rotation.value)
        reportOn(report, key, `${key.address} never rotates its key material`, rotation.at);
    }
  },
};

const snsEncryption: TfRule = {
  ...tf({
    id: "TF-055",
    title: "SNS topic is not encrypted at rest",
    severity: "medium",
    rationale:
      "Without server-side encryption, messages waiting for delivery are stored unencrypted; notifications frequently carry order details, personal data or alerts with secrets.",
    remediation: 'Set kms_master_key_id ("alias/aws/sns" or, better, a customer-managed key).',
    references: [
      `${AWS_DOCS}sns_topic#kms_master_key_id`,
      "https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html",
    ],
  }),
  check(model, report) {
    for (const topic of ofType(model, "aws_sns_topic"))
      if (!isSet(topic, "kms_master_key_id"))
        reportOn(report, topic, `${topic.address} is not encrypted at rest`);
  },
};

const sqsEncryption: TfRule = {
  ...tf({
    id: "TF-056",
    title: "SQS queue encryption is turned off",
    severity: "medium",
    rationale:
      "SQS encrypts new queues with SQS-managed keys by default; a queue with sqs_managed_sse_enabled = false and no KMS key stores its messages unencrypted.",
    remediation: "Remove sqs_managed_sse_enabled = false, or set kms_master_key_id to a KMS key.",
    references: [`${AWS_DOCS}sqs_queue#sqs_managed_sse_enabled`],
  }),
  check(model, report) {
    for (const queue of ofType(model, "aws_sqs_queue")) {
      if (isSet(queue, "kms_master_key_id")) continue;
      const managed = flag(queue, "sqs_managed_sse_enabled", true);
      if (managed?.value === false)
        reportOn(report, queue, `${queue.address} stores messages unencrypted`, managed.at);
    }
  },
};

const secretKms: TfRule = {
  ...tf({
    id: "TF-057",
    title: "Secrets Manager secret not encrypted with a customer-managed key",
    severity: "low",
    rationale:
      "With the default aws/secretsmanager key, anyone allowed secretsmanager:GetSecretValue in the account can read the secret, and it cannot be shared across accounts; a customer-managed key adds a key policy as a second, auditable gate.",
    remediation:
      "Set kms_key_id to a customer-managed KMS key and grant kms:Decrypt only to the roles that read the secret.",
    references: [`${AWS_DOCS}secretsmanager_secret#kms_key_id`],
  }),
  check(model, report) {
    for (const secret of ofType(model, "aws_secretsmanager_secret"))
      if (!isSet(secret, "kms_key_id"))
        reportOn(
          report,
          secret,
          `${secret.address} uses the AWS-managed key instead of a customer-managed one`,
        );
  },
};

export const kmsRules: TfRule[] = [kmsRotation, snsEncryption, sqsEncryption, secretKms];
