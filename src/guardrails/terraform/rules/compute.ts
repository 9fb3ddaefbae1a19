/**
 * EC2: the instance metadata service, EBS encryption, public addresses and user data.
 * Account-wide settings in the same configuration (`aws_ebs_encryption_by_default`,
 * `aws_ec2_instance_metadata_defaults`) change what an absent argument means, so they are
 * consulted before a default is judged.
 */
import type { Reporter, Rule } from "../../model.js";
import type { TerraformModel, TfResource } from "../model.js";
import {
  AWS_DOCS,
  blocksOf,
  find,
  flag,
  isSet,
  placeOf,
  reportOn,
  text,
  tf,
  type Target,
  ofType,
} from "./helpers.js";

type TfRule = Rule<TerraformModel>;

/** True when the configuration turns on EBS encryption by default for the account and region. */
function ebsEncryptedByDefault(model: TerraformModel): boolean {
  return ofType(model, "aws_ebs_encryption_by_default").some((r) => flag(r, "enabled", true)?.value === true);
}

/** True when the account default requires IMDSv2 for instances that do not say otherwise. */
function accountRequiresImdsV2(model: TerraformModel): boolean {
  return ofType(model, "aws_ec2_instance_metadata_defaults").some(
    (r) => text(r, "http_tokens")?.value === "required",
  );
}

const imdsV1: TfRule = {
  ...tf({
    id: "TF-019",
    title: "EC2 instance metadata service allows IMDSv1",
    severity: "medium",
    rationale:
      "IMDSv1 answers any GET to 169.254.169.254, so a server-side request forgery in an application hands the instance role's credentials to an attacker (the Capital One breach); IMDSv2 requires a session token that such requests cannot obtain.",
    remediation:
      'Add metadata_options { http_tokens = "required" } (with http_put_response_hop_limit = 1, or 2 for containers) to the instance, launch template or launch configuration.',
    references: [
      "CIS AWS Foundations Benchmark v3.0.0 5.6",
      `${AWS_DOCS}instance#metadata-options`,
      "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html",
    ],
  }),
  check(model, report) {
    const accountDefault = accountRequiresImdsV2(model);
    for (const resource of ofType(model, "aws_instance", "aws_launch_template", "aws_launch_configuration")) {
      const options = blocksOf(resource, "metadata_options")[0];
      const endpoint = text(resource, "metadata_options.http_endpoint");
      if (!endpoint || endpoint.value === "disabled") continue;
      const tokens = text(resource, "metadata_options.http_tokens");
      if (!tokens || tokens.value === "required") continue;
      if (tokens.value === undefined && accountDefault) continue;
      reportOn(
        report,
        resource,
        tokens.value === undefined
          ? `${resource.address} does not set metadata_options.http_tokens, so IMDSv1 stays available`
          : `${resource.address} sets http_tokens = "${tokens.value}", so IMDSv1 stays available`,
        tokens.at,
        placeOf(options),
      );
    }
  },
};

const ebsVolumeEncryption: TfRule = {
  ...tf({
    id: "TF-020",
    title: "EBS volume is not encrypted",
    severity: "medium",
    rationale:
      "An unencrypted volume leaves its data and every snapshot taken from it readable by whoever can copy or share the snapshot; encryption also covers data moving between the instance and the volume.",
    remediation:
      "Set encrypted = true (with a kms_key_id for a customer-managed key), or enable aws_ebs_encryption_by_default for the account.",
    references: ["CIS AWS Foundations Benchmark v3.0.0 2.2.1", `${AWS_DOCS}ebs_volume#encrypted`],
  }),
  check(model, report) {
    if (ebsEncryptedByDefault(model)) return;
    for (const volume of ofType(model, "aws_ebs_volume")) {
      const encrypted = flag(volume, "encrypted", false);
      if (!encrypted || encrypted.value) continue;
      // A volume restored from a snapshot inherits the snapshot's encryption.
      if (!encrypted.at && isSet(volume, "snapshot_id")) continue;
      reportOn(report, volume, `${volume.address} is not encrypted`, encrypted.at);
    }
  },
};

function reportDevice(report: Reporter, owner: TfResource, device: Target, label: string): void {
  const encrypted = flag(device, "encrypted", false);
  if (!encrypted || encrypted.value) return;
  if (!encrypted.at && isSet(device, "snapshot_id")) return;
  reportOn(
    report,
    owner,
    `${label} of ${owner.address} is not encrypted`,
    encrypted.at,
    placeOf("body" in device ? undefined : device),
  );
}

const instanceVolumeEncryption: TfRule = {
  ...tf({
    id: "TF-021",
    title: "EC2 instance or launch template block device is not encrypted",
    severity: "medium",
    rationale:
      "Root and data volumes hold the operating system, application secrets and data; unencrypted, they and their snapshots can be read by anyone who can copy a snapshot or detach the volume.",
    remediation:
      "Set encrypted = true in root_block_device and every ebs_block_device (ebs in launch template block_device_mappings), or enable aws_ebs_encryption_by_default.",
    references: [
      "CIS AWS Foundations Benchmark v3.0.0 2.2.1",
      `${AWS_DOCS}instance#ebs-ephemeral-and-root-block-devices`,
      `${AWS_DOCS}launch_template#block-devices`,
    ],
  }),
  check(model, report) {
    if (ebsEncryptedByDefault(model)) return;
    for (const instance of ofType(model, "aws_instance")) {
      const roots = blocksOf(instance, "root_block_device");
      // An UNKNOWN root_block_device (a plan's computed value) is not an absent one.
      if (roots.length === 0 && !isSet(instance, "root_block_device"))
        reportOn(
          report,
          instance,
          `the root volume of ${instance.address} is not encrypted (no root_block_device with encrypted = true)`,
        );
      for (const root of roots) reportDevice(report, instance, root, "the root volume");
      for (const device of blocksOf(instance, "ebs_block_device"))
        reportDevice(
          report,
          instance,
          device,
          `EBS device ${String(find(device, "device_name")?.value ?? "")}`.trim(),
        );
    }
    for (const template of ofType(model, "aws_launch_template"))
      for (const mapping of blocksOf(template, "block_device_mappings"))
        for (const ebs of blocksOf(mapping, "ebs"))
          reportDevice(report, template, ebs, "a block device mapping");
    for (const configuration of ofType(model, "aws_launch_configuration")) {
      for (const root of blocksOf(configuration, "root_block_device"))
        reportDevice(report, configuration, root, "the root volume");
      for (const device of blocksOf(configuration, "ebs_block_device"))
        reportDevice(report, configuration, device, "an EBS device");
    }
  },
};

const instancePublicIp: TfRule = {
  ...tf({
    id: "TF-022",
    title: "EC2 instance is given a public IP address",
    severity: "low",
    rationale:
      "A public address makes the instance directly reachable from the internet, so its security groups become the only barrier; most workloads belong behind a load balancer or NAT.",
    remediation:
      "Set associate_public_ip_address = false and publish the service through a load balancer; reach the instance with Session Manager.",
    references: [
      `${AWS_DOCS}instance#associate_public_ip_address`,
      `${AWS_DOCS}launch_template#network-interfaces`,
    ],
  }),
  check(model, report) {
    const targets: [string, string][] = [
      ["aws_instance", "associate_public_ip_address"],
      ["aws_launch_template", "network_interfaces.associate_public_ip_address"],
      ["aws_launch_configuration", "associate_public_ip_address"],
    ];
    for (const [type, path] of targets)
      for (const resource of ofType(model, type)) {
        const value = flag(resource, path, false);
        if (value?.value === true)
          reportOn(report, resource, `${resource.address} is given a public IP address`, value.at);
      }
  },
};

const ebsDefaultEncryption: TfRule = {
  ...tf({
    id: "TF-023",
    title: "EBS encryption by default is turned off",
    severity: "medium",
    rationale:
      "Encryption by default is the account-wide net that encrypts every new volume and snapshot copy, including those created by tools that do not ask; turning it off lets unencrypted volumes appear silently.",
    remediation: "Set enabled = true on aws_ebs_encryption_by_default in every region you use.",
    references: ["CIS AWS Foundations Benchmark v3.0.0 2.2.1", `${AWS_DOCS}ebs_encryption_by_default`],
  }),
  check(model, report) {
    for (const setting of ofType(model, "aws_ebs_encryption_by_default")) {
      const enabled = flag(setting, "enabled", true);
      if (enabled?.value === false)
        reportOn(report, setting, `${setting.address} turns EBS encryption by default off`, enabled.at);
    }
  },
};

const SECRET_PATTERNS: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, what: "an AWS access key id" },
  { pattern: /aws_secret_access_key\s*[=:]\s*["']?[A-Za-z0-9/+]{40}/i, what: "an AWS secret access key" },
  { pattern: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----/, what: "a private key" },
];

/** `DB_PASSWORD=...`, `api_token: ...`: a secret-looking name assigned a literal value. */
const ASSIGNMENT =
  /\b([A-Za-z0-9_]*(?:PASSWORD|PASSWD|SECRET|API_KEY|ACCESS_TOKEN|AUTH_TOKEN)[A-Za-z0-9_]*)\s*[=:]\s*["']?([^\s"'$`{<]{8,})/gi;
/** Names that hold a reference to a secret (its ARN, id, path), not the secret itself. */
const REFERENCE_NAME = /_(?:ARN|ID|NAME|PATH|FILE|URL|URI|ENDPOINT|HOST|REGION)$/i;
const REFERENCE_VALUE = /^(?:arn:|https?:\/\/|\/|file:)/i;

function findSecret(script: string): string | undefined {
  const known = SECRET_PATTERNS.find(({ pattern }) => pattern.test(script));
  if (known) return known.what;
  for (const [, name = "", value = ""] of script.matchAll(ASSIGNMENT))
    if (!REFERENCE_NAME.test(name) && !REFERENCE_VALUE.test(value)) return `a literal value for ${name}`;
  return undefined;
}
const BASE64 = /^[A-Za-z0-9+/\s]+={0,2}\s*$/;

/** User data as the instance sees it: launch templates carry it base64-encoded. */
function decodeUserData(value: string): string {
  if (value.length < 16 || !BASE64.test(value)) return value;
  const decoded = Buffer.from(value, "base64").toString("utf8");
  return decoded.includes("\uFFFD") ? value : decoded;
}

const userDataSecrets: TfRule = {
  ...tf({
    id: "TF-024",
    title: "EC2 user data contains credentials",
    severity: "high",
    rationale:
      "User data is readable by anyone with ec2:DescribeInstanceAttribute, by every process on the instance through the metadata service, and is stored in Terraform state; secrets written there are effectively published.",
    remediation:
      "Give the instance an IAM role and fetch secrets at boot from Secrets Manager or SSM Parameter Store (SecureString) instead of embedding them.",
    references: [
      `${AWS_DOCS}instance#user_data`,
      "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-add-user-data.html",
    ],
  }),
  check(model, report) {
    for (const resource of ofType(model, "aws_instance", "aws_launch_template", "aws_launch_configuration"))
      for (const path of ["user_data", "user_data_base64"]) {
        const data = text(resource, path);
        if (data?.value === undefined) continue;
        const found = findSecret(decodeUserData(data.value));
        if (found)
          reportOn(report, resource, `the ${path} of ${resource.address} contains ${found}`, data.at);
      }
  },
};

export const computeRules: TfRule[] = [
  imdsV1,
  ebsVolumeEncryption,
  instanceVolumeEncryption,
  instancePublicIp,
  ebsDefaultEncryption,
  userDataSecrets,
];
