/** Encryption at rest of volumes, queues and topics, and of the keys that do it. */
import { isUnknown, prop, resourcesOfType, scalarText, truth } from "../model.js";
import { defineRule, from, missingAt, resourceReport, typeDocs, type CfnRule } from "./common.js";

const ebs = defineRule(
  {
    id: "CFN-007",
    title: "EBS volume is not encrypted",
    severity: "medium",
    rationale:
      "An unencrypted volume's data, and every snapshot of it, is readable by whoever gets a copy of the snapshot; snapshots are often shared or copied across accounts.",
    remediation:
      "Set Encrypted: true (with a KmsKeyId for key control), and turn on EBS encryption by default in each region.",
    references: [
      typeDocs("AWS::EC2::Volume"),
      "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html",
      "CIS AWS Foundations 2.2.1",
    ],
  },
  (model, report) => {
    for (const volume of resourcesOfType(model, "AWS::EC2::Volume")) {
      if (isUnknown(volume.properties)) continue;
      const encrypted = prop(volume, "Encrypted");
      // A volume made from a snapshot inherits the snapshot's encryption.
      if (!encrypted && prop(volume, "SnapshotId")) continue;
      if (!encrypted) report(resourceReport(volume, "does not set Encrypted: true", missingAt(volume)));
      else if (truth(encrypted.value) === false)
        report(resourceReport(volume, "sets Encrypted to false", encrypted.span, from(encrypted)));
    }
  },
);

const keyRotation = defineRule(
  {
    id: "CFN-011",
    title: "KMS key rotation is not enabled",
    severity: "medium",
    rationale:
      "Without automatic rotation the same key material protects data for the key's whole life, so a leaked or broken key exposes everything ever encrypted with it.",
    remediation: "Set EnableKeyRotation: true on symmetric encryption keys.",
    references: [
      typeDocs("AWS::KMS::Key"),
      "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html",
      "CIS AWS Foundations 3.6",
    ],
  },
  (model, report) => {
    for (const key of resourcesOfType(model, "AWS::KMS::Key")) {
      if (isUnknown(key.properties)) continue;
      // Rotation exists only for symmetric keys with AWS-generated material.
      const spec = scalarText(prop(key, "KeySpec")?.value) ?? "SYMMETRIC_DEFAULT";
      const origin = scalarText(prop(key, "Origin")?.value) ?? "AWS_KMS";
      if (spec !== "SYMMETRIC_DEFAULT" || origin !== "AWS_KMS") continue;
      const rotation = prop(key, "EnableKeyRotation");
      if (!rotation) report(resourceReport(key, "does not set EnableKeyRotation: true", missingAt(key)));
      else if (truth(rotation.value) === false)
        report(resourceReport(key, "sets EnableKeyRotation to false", rotation.span, from(rotation)));
    }
  },
);

const sqs = defineRule(
  {
    id: "CFN-012",
    title: "SQS queue is not encrypted with a KMS key",
    severity: "low",
    rationale:
      "Without KmsMasterKeyId, messages are at best encrypted with SQS-owned keys (the default for new queues since 2022), which no key policy or CloudTrail record controls; with SqsManagedSseEnabled: false they are not encrypted at all.",
    remediation: "Set KmsMasterKeyId to a customer managed key (or alias/aws/sqs).",
    references: [
      typeDocs("AWS::SQS::Queue"),
      "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html",
    ],
  },
  (model, report) => {
    for (const queue of resourcesOfType(model, "AWS::SQS::Queue")) {
      if (isUnknown(queue.properties) || prop(queue, "KmsMasterKeyId")) continue;
      const managed = prop(queue, "SqsManagedSseEnabled");
      if (managed && truth(managed.value) === false)
        report(
          resourceReport(
            queue,
            "disables encryption at rest (SqsManagedSseEnabled: false)",
            managed.span,
            from(managed),
          ),
        );
      else report(resourceReport(queue, "has no KmsMasterKeyId", missingAt(queue)));
    }
  },
);

const sns = defineRule(
  {
    id: "CFN-013",
    title: "SNS topic is not encrypted with a KMS key",
    severity: "medium",
    rationale:
      "SNS stores messages until they are delivered; without KmsMasterKeyId they are not encrypted under a key you control, and notifications often carry personal or operational data.",
    remediation: "Set KmsMasterKeyId to a customer managed key (or alias/aws/sns).",
    references: [
      typeDocs("AWS::SNS::Topic"),
      "https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html",
    ],
  },
  (model, report) => {
    for (const topic of resourcesOfType(model, "AWS::SNS::Topic")) {
      if (isUnknown(topic.properties) || prop(topic, "KmsMasterKeyId")) continue;
      report(resourceReport(topic, "has no KmsMasterKeyId", missingAt(topic)));
    }
  },
);

export const encryptionRules: readonly CfnRule[] = [ebs, keyRotation, sqs, sns];
