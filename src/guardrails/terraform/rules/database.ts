/**
 * Managed databases and data stores: RDS and Aurora, DynamoDB, ElastiCache, Redshift and
 * OpenSearch. Read replicas and restored snapshots inherit some settings from their source, so
 * an absent argument on them is not judged where the source decides.
 */
import type { Reporter, Rule } from "../../model.js";
import type { TerraformModel, TfResource } from "../model.js";
import { AWS_DOCS, flag, isSet, num, placeOf, blocksOf, reportOn, text, tf, ofType } from "./helpers.js";

type TfRule = Rule<TerraformModel>;

/** A replica or a restore: encryption and backups come from the source. */
function inheritsFromSource(db: TfResource): boolean {
  return [
    "replicate_source_db",
    "snapshot_identifier",
    "replication_source_identifier",
    "restore_to_point_in_time",
  ].some((name) => isSet(db, name));
}

function isReplica(db: TfResource): boolean {
  return isSet(db, "replicate_source_db");
}

/** Aurora instances take storage, backup and IAM settings from their cluster. */
function isAuroraInstance(db: TfResource): boolean {
  const engine = text(db, "engine")?.value;
  return engine !== undefined && engine.startsWith("aurora");
}

/** Reports a boolean that is false (or absent with a false default). */
function reportFalse(
  report: Reporter,
  resource: TfResource,
  path: string,
  fallback: boolean,
  message: string,
): void {
  const value = flag(resource, path, fallback);
  if (value && !value.value) reportOn(report, resource, message, value.at);
}

function reportTrue(
  report: Reporter,
  resource: TfResource,
  path: string,
  fallback: boolean,
  message: string,
): void {
  const value = flag(resource, path, fallback);
  if (value?.value === true) reportOn(report, resource, message, value.at);
}

const rdsEncryption: TfRule = {
  ...tf({
    id: "TF-025",
    title: "RDS database storage is not encrypted",
    severity: "high",
    rationale:
      "storage_encrypted defaults to false: the database files, automated backups, snapshots and read replicas are then stored unencrypted, and encryption cannot be turned on later without a snapshot-copy migration.",
    remediation:
      "Set storage_encrypted = true (with kms_key_id for a customer-managed key) when the database is created.",
    references: [
      "CIS AWS Foundations Benchmark v3.0.0 2.3.1",
      `${AWS_DOCS}db_instance#storage_encrypted`,
      `${AWS_DOCS}rds_cluster#storage_encrypted`,
    ],
  }),
  check(model, report) {
    for (const db of ofType(model, "aws_db_instance")) {
      if (isAuroraInstance(db)) continue;
      const encrypted = flag(db, "storage_encrypted", false);
      if (!encrypted || encrypted.value || (!encrypted.at && inheritsFromSource(db))) continue;
      reportOn(report, db, `${db.address} stores its data unencrypted`, encrypted.at);
    }
    for (const cluster of ofType(model, "aws_rds_cluster")) {
      const mode = text(cluster, "engine_mode");
      if (!mode || mode.value === "serverless") continue;
      const encrypted = flag(cluster, "storage_encrypted", false);
      if (!encrypted || encrypted.value || (!encrypted.at && inheritsFromSource(cluster))) continue;
      reportOn(report, cluster, `${cluster.address} stores its data unencrypted`, encrypted.at);
    }
  },
};

const rdsPublic: TfRule = {
  ...tf({
    id: "TF-026",
    title: "RDS database instance is publicly accessible",
    severity: "high",
    rationale:
      "A publicly accessible instance gets an internet-resolvable endpoint; its security group is then all that stands between the database port and password-guessing from anywhere.",
    remediation:
      "Set publicly_accessible = false and reach the database from inside the VPC (a bastion, VPN or RDS Proxy).",
    references: ["CIS AWS Foundations Benchmark v3.0.0 2.3.3", `${AWS_DOCS}db_instance#publicly_accessible`],
  }),
  check(model, report) {
    for (const db of ofType(model, "aws_db_instance", "aws_rds_cluster_instance"))
      reportTrue(report, db, "publicly_accessible", false, `${db.address} is publicly accessible`);
  },
};

const rdsBackups: TfRule = {
  ...tf({
    id: "TF-027",
    title: "RDS automated backups are disabled",
    severity: "medium",
    rationale:
      "backup_retention_period = 0 turns off automated backups and point-in-time recovery: a bad migration, a deleted table or ransomware cannot be rolled back.",
    remediation: "Set backup_retention_period to at least 7 days (35 for production data).",
    references: [`${AWS_DOCS}db_instance#backup_retention_period`],
  }),
  check(model, report) {
    for (const db of ofType(model, "aws_db_instance")) {
      if (isReplica(db) || isAuroraInstance(db)) continue;
      const retention = num(db, "backup_retention_period");
      if (retention?.value === 0)
        reportOn(report, db, `${db.address} keeps no automated backups`, retention.at);
    }
  },
};

const rdsDeletionProtection: TfRule = {
  ...tf({
    id: "TF-028",
    title: "RDS database deletion protection is disabled",
    severity: "low",
    rationale:
      "Without deletion protection one mistaken `terraform destroy`, a renamed resource or a compromised credential deletes the database in a single API call.",
    remediation: "Set deletion_protection = true on production databases and clusters.",
    references: [`${AWS_DOCS}db_instance#deletion_protection`, `${AWS_DOCS}rds_cluster#deletion_protection`],
  }),
  check(model, report) {
    for (const db of ofType(model, "aws_db_instance", "aws_rds_cluster")) {
      if (db.type === "aws_db_instance" && isAuroraInstance(db)) continue;
      reportFalse(
        report,
        db,
        "deletion_protection",
        false,
        `${db.address} can be deleted without first disabling deletion protection`,
      );
    }
  },
};

const IAM_AUTH_ENGINES = new Set([
  "mysql",
  "mariadb",
  "postgres",
  "aurora",
  "aurora-mysql",
  "aurora-postgresql",
]);

const rdsIamAuth: TfRule = {
  ...tf({
    id: "TF-029",
    title: "RDS IAM database authentication is disabled",
    severity: "low",
    rationale:
      "With IAM authentication, applications connect with short-lived tokens tied to their role instead of long-lived passwords that end up in configuration files and are rarely rotated.",
    remediation:
      "Set iam_database_authentication_enabled = true and grant rds-db:connect to the roles that need it.",
    references: [
      `${AWS_DOCS}db_instance#iam_database_authentication_enabled`,
      "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.html",
    ],
  }),
  check(model, report) {
    for (const db of ofType(model, "aws_db_instance", "aws_rds_cluster")) {
      const engine = text(db, "engine")?.value;
      if (engine === undefined || !IAM_AUTH_ENGINES.has(engine)) continue;
      if (db.type === "aws_db_instance" && (isAuroraInstance(db) || isReplica(db))) continue;
      reportFalse(
        report,
        db,
        "iam_database_authentication_enabled",
        false,
        `${db.address} (${engine}) does not accept IAM authentication`,
      );
    }
  },
};

const rdsMultiAz: TfRule = {
  ...tf({
    id: "TF-030",
    title: "RDS database instance is not Multi-AZ",
    severity: "low",
    rationale:
      "A single-AZ instance is unavailable during an Availability Zone failure and during some maintenance; Multi-AZ keeps a synchronous standby that takes over automatically.",
    remediation: "Set multi_az = true for production databases.",
    references: [
      `${AWS_DOCS}db_instance#multi_az`,
      "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.html",
    ],
  }),
  check(model, report) {
    for (const db of ofType(model, "aws_db_instance")) {
      if (isAuroraInstance(db) || isReplica(db)) continue;
      reportFalse(report, db, "multi_az", false, `${db.address} runs in a single Availability Zone`);
    }
  },
};

const performanceInsightsKms: TfRule = {
  ...tf({
    id: "TF-031",
    title: "RDS Performance Insights not encrypted with a customer-managed key",
    severity: "low",
    rationale:
      "Performance Insights stores query text, which often contains customer data; without performance_insights_kms_key_id it is encrypted with the AWS-managed key, whose use cannot be restricted or revoked separately.",
    remediation: "Set performance_insights_kms_key_id to a customer-managed KMS key.",
    references: [`${AWS_DOCS}db_instance#performance_insights_kms_key_id`],
  }),
  check(model, report) {
    for (const db of ofType(model, "aws_db_instance", "aws_rds_cluster", "aws_rds_cluster_instance")) {
      const enabled = flag(db, "performance_insights_enabled", false);
      if (enabled?.value !== true || isSet(db, "performance_insights_kms_key_id")) continue;
      reportOn(
        report,
        db,
        `${db.address} enables Performance Insights without a customer-managed KMS key`,
        enabled.at,
      );
    }
  },
};

const dynamodbPitr: TfRule = {
  ...tf({
    id: "TF-032",
    title: "DynamoDB table point-in-time recovery is disabled",
    severity: "medium",
    rationale:
      "Without point-in-time recovery, items overwritten or deleted by a bug or an attacker are gone; PITR restores the table to any second of the last 35 days.",
    remediation: "Add point_in_time_recovery { enabled = true } to the table.",
    references: [`${AWS_DOCS}dynamodb_table#point_in_time_recovery`],
  }),
  check(model, report) {
    for (const table of ofType(model, "aws_dynamodb_table")) {
      const enabled = flag(table, "point_in_time_recovery.enabled", false);
      if (enabled && !enabled.value)
        reportOn(
          report,
          table,
          `${table.address} has no point-in-time recovery`,
          enabled.at,
          placeOf(blocksOf(table, "point_in_time_recovery")[0]),
        );
    }
  },
};

const elasticacheAtRest: TfRule = {
  ...tf({
    id: "TF-033",
    title: "ElastiCache replication group is not encrypted at rest",
    severity: "medium",
    rationale:
      "Redis caches hold sessions, tokens and copies of database rows; without encryption at rest they are written unencrypted to disk and to backups.",
    remediation:
      "Set at_rest_encryption_enabled = true (with kms_key_id for a customer-managed key) when the group is created.",
    references: [`${AWS_DOCS}elasticache_replication_group#at_rest_encryption_enabled`],
  }),
  check(model, report) {
    for (const group of ofType(model, "aws_elasticache_replication_group")) {
      const engine = text(group, "engine");
      if (!engine) continue;
      // Valkey groups are encrypted at rest unless told otherwise.
      const fallback = engine.value === "valkey";
      reportFalse(
        report,
        group,
        "at_rest_encryption_enabled",
        fallback,
        `${group.address} is not encrypted at rest`,
      );
    }
  },
};

const elasticacheInTransit: TfRule = {
  ...tf({
    id: "TF-034",
    title: "ElastiCache replication group is not encrypted in transit",
    severity: "medium",
    rationale:
      "Without in-transit encryption the cache protocol, including AUTH tokens and cached data, crosses the network in clear text readable by anything on the path.",
    remediation: "Set transit_encryption_enabled = true (and an auth_token or RBAC user group).",
    references: [`${AWS_DOCS}elasticache_replication_group#transit_encryption_enabled`],
  }),
  check(model, report) {
    for (const group of ofType(model, "aws_elasticache_replication_group"))
      reportFalse(
        report,
        group,
        "transit_encryption_enabled",
        false,
        `${group.address} is not encrypted in transit`,
      );
  },
};

const redshiftPublic: TfRule = {
  ...tf({
    id: "TF-035",
    title: "Redshift cluster is publicly accessible",
    severity: "high",
    rationale:
      "A publicly accessible cluster gets an internet-routable endpoint, exposing the warehouse (usually the largest collection of business data) to password guessing from anywhere. Provider v6 defaults to false, so only an explicit true is reported.",
    remediation: "Set publicly_accessible = false and reach the cluster from inside the VPC.",
    references: [`${AWS_DOCS}redshift_cluster#publicly_accessible`],
  }),
  check(model, report) {
    for (const cluster of ofType(model, "aws_redshift_cluster"))
      reportTrue(report, cluster, "publicly_accessible", false, `${cluster.address} is publicly accessible`);
  },
};

const redshiftEncryption: TfRule = {
  ...tf({
    id: "TF-036",
    title: "Redshift cluster encryption is turned off",
    severity: "high",
    rationale:
      "An unencrypted cluster stores the warehouse and its snapshots in clear on disk. Provider v6 and current AWS defaults encrypt clusters, so only an explicit encrypted = false is reported.",
    remediation: "Remove encrypted = false (or set it to true, with kms_key_id for a customer-managed key).",
    references: [`${AWS_DOCS}redshift_cluster#encrypted`],
  }),
  check(model, report) {
    for (const cluster of ofType(model, "aws_redshift_cluster")) {
      const encrypted = flag(cluster, "encrypted", true);
      if (encrypted?.value === false)
        reportOn(report, cluster, `${cluster.address} is not encrypted at rest`, encrypted.at);
    }
  },
};

const SEARCH_DOMAINS = ["aws_opensearch_domain", "aws_elasticsearch_domain"];

const searchAtRest: TfRule = {
  ...tf({
    id: "TF-037",
    title: "OpenSearch domain is not encrypted at rest",
    severity: "high",
    rationale:
      "Search domains index logs and documents that often contain personal data; without encryption at rest indices, swap files and automated snapshots are stored in clear.",
    remediation: "Add encrypt_at_rest { enabled = true } (with kms_key_id for a customer-managed key).",
    references: [`${AWS_DOCS}opensearch_domain#encrypt_at_rest`],
  }),
  check(model, report) {
    for (const domain of ofType(model, ...SEARCH_DOMAINS)) {
      const enabled = flag(domain, "encrypt_at_rest.enabled", false);
      if (enabled && !enabled.value)
        reportOn(
          report,
          domain,
          `${domain.address} is not encrypted at rest`,
          enabled.at,
          placeOf(blocksOf(domain, "encrypt_at_rest")[0]),
        );
    }
  },
};

const searchNodeToNode: TfRule = {
  ...tf({
    id: "TF-038",
    title: "OpenSearch domain node-to-node encryption is disabled",
    severity: "medium",
    rationale:
      "Without node-to-node encryption, shards and queries travel between cluster nodes unencrypted inside the VPC, readable by anything that can capture that traffic.",
    remediation: "Add node_to_node_encryption { enabled = true }.",
    references: [`${AWS_DOCS}opensearch_domain#node_to_node_encryption`],
  }),
  check(model, report) {
    for (const domain of ofType(model, ...SEARCH_DOMAINS)) {
      const enabled = flag(domain, "node_to_node_encryption.enabled", false);
      if (enabled && !enabled.value)
        reportOn(
          report,
          domain,
          `${domain.address} does not encrypt traffic between its nodes`,
          enabled.at,
          placeOf(blocksOf(domain, "node_to_node_encryption")[0]),
        );
    }
  },
};

const searchHttps: TfRule = {
  ...tf({
    id: "TF-039",
    title: "OpenSearch domain accepts plain HTTP or TLS below 1.2",
    severity: "medium",
    rationale:
      "enforce_https = false lets clients send credentials and documents over plain HTTP; the Policy-Min-TLS-1-0-2019-07 policy still negotiates deprecated TLS 1.0 and 1.1.",
    remediation:
      'In domain_endpoint_options set enforce_https = true and tls_security_policy = "Policy-Min-TLS-1-2-2019-07" (or a TLS 1.2 PFS policy).',
    references: [`${AWS_DOCS}opensearch_domain#domain_endpoint_options`],
  }),
  check(model, report) {
    for (const domain of ofType(model, ...SEARCH_DOMAINS)) {
      const https = flag(domain, "domain_endpoint_options.enforce_https", true);
      if (https?.value === false) reportOn(report, domain, `${domain.address} accepts plain HTTP`, https.at);
      const policy = text(domain, "domain_endpoint_options.tls_security_policy");
      if (policy?.value?.includes("TLS-1-0"))
        reportOn(report, domain, `${domain.address} uses ${policy.value}, which allows TLS 1.0`, policy.at);
    }
  },
};

export const databaseRules: TfRule[] = [
  rdsEncryption,
  rdsPublic,
  rdsBackups,
  rdsDeletionProtection,
  rdsIamAuth,
  rdsMultiAz,
  performanceInsightsKms,
  dynamodbPitr,
  elasticacheAtRest,
  elasticacheInTransit,
  redshiftPublic,
  redshiftEncryption,
  searchAtRest,
  searchNodeToNode,
  searchHttps,
];
