/**
 * Audit and access logs: CloudTrail, CloudWatch log groups, API Gateway stages and load
 * balancers. These are what an investigation reads after the fact, so the rules ask that they
 * exist, cannot be silently altered, and are kept long enough.
 */
import type { Rule } from "../../model.js";
import type { TerraformModel } from "../model.js";
import { AWS_DOCS, blocksOf, flag, isSet, num, placeOf, reportOn, text, tf, ofType } from "./helpers.js";

type TfRule = Rule<TerraformModel>;

const trailMultiRegion: TfRule = {
  ...tf({
    id: "TF-047",
    title: "CloudTrail trail does not cover all regions",
    severity: "medium",
    rationale:
      "A single-region trail misses API activity in every other region, exactly where an attacker launches crypto-miners or hides resources.",
    remediation: "Set is_multi_region_trail = true (and include_global_service_events = true).",
    references: ["CIS AWS Foundations Benchmark v3.0.0 3.1", `${AWS_DOCS}cloudtrail#is_multi_region_trail`],
  }),
  check(model, report) {
    for (const trail of ofType(model, "aws_cloudtrail")) {
      const multi = flag(trail, "is_multi_region_trail", false);
      if (multi && !multi.value)
        reportOn(report, trail, `${trail.address} records only its own region`, multi.at);
    }
  },
};

const trailValidation: TfRule = {
  ...tf({
    id: "TF-048",
    title: "CloudTrail log file validation is disabled",
    severity: "medium",
    rationale:
      "Without log file validation nobody can prove that delivered log files were not modified or deleted, so an intruder can edit the trail that records their actions.",
    remediation: "Set enable_log_file_validation = true.",
    references: [
      "CIS AWS Foundations Benchmark v3.0.0 3.2",
      `${AWS_DOCS}cloudtrail#enable_log_file_validation`,
    ],
  }),
  check(model, report) {
    for (const trail of ofType(model, "aws_cloudtrail")) {
      const validation = flag(trail, "enable_log_file_validation", false);
      if (validation && !validation.value)
        reportOn(report, trail, `${trail.address} does not validate its log files`, validation.at);
    }
  },
};

const trailKms: TfRule = {
  ...tf({
    id: "TF-049",
    title: "CloudTrail logs are not encrypted with a KMS key",
    severity: "medium",
    rationale:
      "With SSE-KMS, reading the trail requires kms:Decrypt on a key you control in addition to S3 access, so a misconfigured log bucket alone does not expose the account's activity history.",
    remediation: "Set kms_key_id to a customer-managed KMS key whose policy allows CloudTrail to encrypt.",
    references: ["CIS AWS Foundations Benchmark v3.0.0 3.5", `${AWS_DOCS}cloudtrail#kms_key_id`],
  }),
  check(model, report) {
    for (const trail of ofType(model, "aws_cloudtrail"))
      if (!isSet(trail, "kms_key_id"))
        reportOn(report, trail, `${trail.address} is not encrypted with a KMS key`);
  },
};

const logGroupKms: TfRule = {
  ...tf({
    id: "TF-050",
    title: "CloudWatch log group is not encrypted with a KMS key",
    severity: "low",
    rationale:
      "Application logs routinely capture tokens, personal data and request bodies; a customer-managed KMS key restricts who can read them beyond logs:GetLogEvents and records every decryption.",
    remediation:
      "Set kms_key_id to a customer-managed KMS key whose policy allows the logs service principal.",
    references: [`${AWS_DOCS}cloudwatch_log_group#kms_key_id`],
  }),
  check(model, report) {
    for (const group of ofType(model, "aws_cloudwatch_log_group"))
      if (!isSet(group, "kms_key_id"))
        reportOn(report, group, `${group.address} is not encrypted with a KMS key`);
  },
};

const logGroupRetention: TfRule = {
  ...tf({
    id: "TF-051",
    title: "CloudWatch log group keeps logs for less than a year",
    severity: "low",
    rationale:
      "Intrusions are often found months later; a retention shorter than 365 days deletes the evidence before it is needed (and falls short of PCI DSS 10.5.1). An absent retention keeps logs forever and is not reported.",
    remediation: "Set retention_in_days to 365 or more (or export the logs to an archive bucket).",
    references: [`${AWS_DOCS}cloudwatch_log_group#retention_in_days`],
  }),
  check(model, report) {
    for (const group of ofType(model, "aws_cloudwatch_log_group")) {
      const days = num(group, "retention_in_days");
      if (days?.value !== undefined && days.value > 0 && days.value < 365)
        reportOn(report, group, `${group.address} deletes logs after ${days.value} days`, days.at);
    }
  },
};

const apiStageLogging: TfRule = {
  ...tf({
    id: "TF-052",
    title: "API Gateway stage has no access logging",
    severity: "medium",
    rationale:
      "Access logs are the record of who called which API route and from where; without them abuse of a public API cannot be detected or investigated.",
    remediation:
      "Add an access_log_settings block with a destination_arn (a CloudWatch log group or Firehose stream) and a format.",
    references: [
      `${AWS_DOCS}api_gateway_stage#access_log_settings`,
      `${AWS_DOCS}apigatewayv2_stage#access_log_settings`,
    ],
  }),
  check(model, report) {
    for (const stage of ofType(model, "aws_api_gateway_stage", "aws_apigatewayv2_stage"))
      if (blocksOf(stage, "access_log_settings").length === 0 && !isSet(stage, "access_log_settings"))
        reportOn(report, stage, `${stage.address} writes no access logs`);
  },
};

const loadBalancerLogs: TfRule = {
  ...tf({
    id: "TF-053",
    title: "Load balancer access logs are disabled",
    severity: "low",
    rationale:
      "Load balancer access logs record every request with client address, path and response; they are often the only trace of scanning or exploitation of the applications behind it.",
    remediation: "Add access_logs { bucket = ..., enabled = true } to the aws_lb.",
    references: [`${AWS_DOCS}lb#access_logs`],
  }),
  check(model, report) {
    for (const lb of ofType(model, "aws_lb", "aws_alb", "aws_elb")) {
      const type = text(lb, "load_balancer_type");
      if (!type || type.value === "gateway") continue;
      // The classic ELB logs as soon as the block is present; aws_lb needs enabled = true.
      const fallback = lb.type === "aws_elb" && blocksOf(lb, "access_logs").length > 0;
      const enabled = flag(lb, "access_logs.enabled", fallback);
      if (enabled && !enabled.value)
        reportOn(
          report,
          lb,
          `${lb.address} writes no access logs`,
          enabled.at,
          placeOf(blocksOf(lb, "access_logs")[0]),
        );
    }
  },
};

export const loggingRules: TfRule[] = [
  trailMultiRegion,
  trailValidation,
  trailKms,
  logGroupKms,
  logGroupRetention,
  apiStageLogging,
  loadBalancerLogs,
];
