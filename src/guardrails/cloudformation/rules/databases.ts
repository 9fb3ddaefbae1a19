/** RDS and DynamoDB: data at rest, exposure, and recovery. */
import { isUnknown, prop, resourcesOfType, scalarText, truth } from "../model.js";
import { defineRule, from, missingAt, resourceReport, typeDocs, type CfnRule } from "./common.js";

const rdsEncryption = defineRule(
  {
    id: "CFN-005",
    title: "RDS storage is not encrypted",
    severity: "high",
    rationale:
      "Unencrypted database storage, snapshots and replicas expose the data to anyone who obtains a snapshot copy or the underlying volumes; encryption cannot be turned on later without a copy and restore.",
    remediation:
      "Set StorageEncrypted: true (with a KmsKeyId for key control) on the DB instance or Aurora cluster.",
    references: [
      typeDocs("AWS::RDS::DBInstance"),
      "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.html",
      "CIS AWS Foundations 2.3.1",
    ],
  },
  (model, report) => {
    for (const db of resourcesOfType(model, "AWS::RDS::DBInstance", "AWS::RDS::DBCluster")) {
      if (isUnknown(db.properties)) continue;
      // Cluster members, replicas and snapshot restores inherit encryption from their source.
      if (
        [
          "DBClusterIdentifier",
          "SourceDBInstanceIdentifier",
          "SnapshotIdentifier",
          "DBSnapshotIdentifier",
          "SourceDBClusterIdentifier",
        ].some((key) => prop(db, key))
      )
        continue;
      if (db.type === "AWS::RDS::DBCluster" && scalarText(prop(db, "EngineMode")?.value) === "serverless")
        continue;
      const encrypted = prop(db, "StorageEncrypted");
      if (!encrypted) report(resourceReport(db, "does not set StorageEncrypted: true", missingAt(db)));
      else if (truth(encrypted.value) === false)
        report(resourceReport(db, "sets StorageEncrypted to false", encrypted.span, from(encrypted)));
    }
  },
);

const rdsPublic = defineRule(
  {
    id: "CFN-006",
    title: "RDS instance is publicly accessible",
    severity: "high",
    rationale:
      "A publicly accessible DB instance gets a public DNS name and address; only its security group stands between the database port and the internet.",
    remediation:
      "Set PubliclyAccessible: false and reach the database from inside the VPC (or through a bastion / VPN).",
    references: [
      typeDocs("AWS::RDS::DBInstance"),
      "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html",
      "CIS AWS Foundations 2.3.3",
    ],
  },
  (model, report) => {
    for (const db of resourcesOfType(model, "AWS::RDS::DBInstance")) {
      const exposed = prop(db, "PubliclyAccessible");
      if (exposed && truth(exposed.value) === true)
        report(resourceReport(db, "sets PubliclyAccessible: true", exposed.span, from(exposed)));
    }
  },
);

const pointInTimeRecovery = defineRule(
  {
    id: "CFN-017",
    title: "DynamoDB table has no point-in-time recovery",
    severity: "medium",
    rationale:
      "Without point-in-time recovery, a bad deployment, a buggy batch job or a malicious delete cannot be undone: on-demand backups only restore to when they were taken.",
    remediation: "Set PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }.",
    references: [
      typeDocs("AWS::DynamoDB::Table"),
      "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery.html",
    ],
  },
  (model, report) => {
    for (const table of resourcesOfType(model, "AWS::DynamoDB::Table")) {
      if (isUnknown(table.properties)) continue;
      const spec = prop(table, "PointInTimeRecoverySpecification");
      const enabled = prop(table, "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled");
      if (enabled && isUnknown(enabled.value)) continue;
      if (!enabled)
        report(resourceReport(table, "does not enable point-in-time recovery", missingAt(table, spec)));
      else if (truth(enabled.value) === false)
        report(
          resourceReport(table, "sets PointInTimeRecoveryEnabled to false", enabled.span, from(enabled)),
        );
    }
  },
);

export const databaseRules: readonly CfnRule[] = [rdsEncryption, rdsPublic, pointInTimeRecovery];
