/**
 * Containers and serverless: ECR repositories, EKS clusters, Lambda function URLs and
 * resource policies.
 */
import type { Rule } from "../../model.js";
import type { TerraformModel } from "../model.js";
import {
  AWS_DOCS,
  blocksOf,
  find,
  flag,
  isSet,
  isWorldCidr,
  knownStrings,
  placeOf,
  reportOn,
  text,
  tf,
  ofType,
} from "./helpers.js";

type TfRule = Rule<TerraformModel>;

const ecrMutableTags: TfRule = {
  ...tf({
    id: "TF-058",
    title: "ECR repository allows image tags to be overwritten",
    severity: "low",
    rationale:
      "With mutable tags, pushing to an existing tag (v1.4.2, or latest) silently replaces the image every deployment pulls, so a compromised pipeline can swap production code without changing any manifest.",
    remediation: 'Set image_tag_mutability = "IMMUTABLE" and deploy by unique tags or digests.',
    references: [`${AWS_DOCS}ecr_repository#image_tag_mutability`],
  }),
  check(model, report) {
    for (const repository of ofType(model, "aws_ecr_repository")) {
      const mutability = text(repository, "image_tag_mutability");
      if (!mutability) continue;
      const value = mutability.value ?? "MUTABLE";
      if (value.startsWith("MUTABLE"))
        reportOn(report, repository, `${repository.address} has ${value} image tags`, mutability.at);
    }
  },
};

const ecrScanOnPush: TfRule = {
  ...tf({
    id: "TF-059",
    title: "ECR repository does not scan images on push",
    severity: "low",
    rationale:
      "Without scanning, images with known vulnerable packages are pushed and deployed without anyone being told.",
    remediation:
      "Add image_scanning_configuration { scan_on_push = true }, or configure registry-wide scanning with aws_ecr_registry_scanning_configuration.",
    references: [
      `${AWS_DOCS}ecr_repository#image_scanning_configuration`,
      `${AWS_DOCS}ecr_registry_scanning_configuration`,
    ],
  }),
  check(model, report) {
    // Registry-wide scanning replaces the per-repository setting.
    if (ofType(model, "aws_ecr_registry_scanning_configuration").length > 0) return;
    for (const repository of ofType(model, "aws_ecr_repository")) {
      const scan = flag(repository, "image_scanning_configuration.scan_on_push", false);
      if (scan && !scan.value)
        reportOn(
          report,
          repository,
          `${repository.address} does not scan images on push`,
          scan.at,
          placeOf(blocksOf(repository, "image_scanning_configuration")[0]),
        );
    }
  },
};

const eksPublicEndpoint: TfRule = {
  ...tf({
    id: "TF-060",
    title: "EKS cluster API endpoint is open to the internet",
    severity: "high",
    rationale:
      "The public endpoint defaults to on and to 0.0.0.0/0: the Kubernetes API server is then reachable from anywhere, one leaked kubeconfig token or API server vulnerability away from cluster takeover.",
    remediation:
      "Set vpc_config.endpoint_public_access = false (with endpoint_private_access = true), or restrict public_access_cidrs to your office and CI ranges.",
    references: [
      "CIS Amazon EKS Benchmark v1.4.0 5.4.1",
      `${AWS_DOCS}eks_cluster#vpc_config`,
      "https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html",
    ],
  }),
  check(model, report) {
    for (const cluster of ofType(model, "aws_eks_cluster")) {
      const config = blocksOf(cluster, "vpc_config")[0];
      if (!config) continue;
      const enabled = flag(config, "endpoint_public_access", true);
      if (!enabled?.value) continue;
      const cidrsAt = find(config, "public_access_cidrs");
      const cidrs = cidrsAt === undefined || cidrsAt.value === null ? ["0.0.0.0/0"] : knownStrings(cidrsAt);
      const world = cidrs?.find(isWorldCidr);
      if (world === undefined) continue;
      reportOn(
        report,
        cluster,
        `the API endpoint of ${cluster.address} is public and open to ${world}`,
        cidrsAt,
        enabled.at,
        placeOf(config),
      );
    }
  },
};

const eksSecretsEncryption: TfRule = {
  ...tf({
    id: "TF-061",
    title: "EKS cluster does not encrypt Kubernetes secrets with a KMS key",
    severity: "medium",
    rationale:
      "Envelope encryption of secrets with a customer-managed KMS key means a copy of etcd (a backup, a snapshot) does not reveal service account tokens, database passwords or TLS keys, and access to the key is audited.",
    remediation:
      'Add encryption_config { resources = ["secrets"] provider { key_arn = aws_kms_key.eks.arn } }.',
    references: ["CIS Amazon EKS Benchmark v1.4.0 5.3.1", `${AWS_DOCS}eks_cluster#encryption_config`],
  }),
  check(model, report) {
    for (const cluster of ofType(model, "aws_eks_cluster")) {
      const configs = blocksOf(cluster, "encryption_config");
      if (configs.length === 0) {
        if (!isSet(cluster, "encryption_config"))
          reportOn(report, cluster, `${cluster.address} has no encryption_config for secrets`);
        continue;
      }
      const resources = configs.map((c) => knownStrings(find(c, "resources")));
      if (resources.some((r) => r === undefined || r.includes("secrets"))) continue;
      reportOn(
        report,
        cluster,
        `the encryption_config of ${cluster.address} does not cover secrets`,
        find(configs[0] ?? cluster, "resources"),
      );
    }
  },
};

const lambdaUrlAuth: TfRule = {
  ...tf({
    id: "TF-062",
    title: "Lambda function URL does not require authentication",
    severity: "high",
    rationale:
      'authorization_type = "NONE" makes the function invocable by anyone on the internet who finds the URL, bypassing API Gateway throttling, WAF and authentication; cost and data exposure then depend on the code alone.',
    remediation:
      'Use authorization_type = "AWS_IAM" (signed requests, e.g. from CloudFront with origin access control), or front the function with API Gateway and an authorizer.',
    references: [
      `${AWS_DOCS}lambda_function_url#authorization_type`,
      "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html",
    ],
  }),
  check(model, report) {
    for (const url of ofType(model, "aws_lambda_function_url")) {
      const auth = text(url, "authorization_type");
      if (auth?.value === "NONE")
        reportOn(report, url, `${url.address} can be invoked by anyone without authentication`, auth.at);
    }
  },
};

const lambdaPublicPermission: TfRule = {
  ...tf({
    id: "TF-063",
    title: "Lambda permission allows any principal without a source condition",
    severity: "high",
    rationale:
      'A resource policy statement for principal "*" without source_arn, source_account or principal_org_id lets any AWS account (or any service acting for one) invoke the function.',
    remediation:
      "Name the invoking service or account as principal and set source_arn (and source_account for S3) to the exact resource allowed to invoke.",
    references: [
      `${AWS_DOCS}lambda_permission`,
      "https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html",
    ],
  }),
  check(model, report) {
    for (const permission of ofType(model, "aws_lambda_permission")) {
      const principal = text(permission, "principal");
      if (principal?.value?.trim() !== "*") continue;
      if (["source_arn", "source_account", "principal_org_id"].some((name) => isSet(permission, name)))
        continue;
      reportOn(
        report,
        permission,
        `${permission.address} lets any principal invoke the function`,
        principal.at,
      );
    }
  },
};

export const containerRules: TfRule[] = [
  ecrMutableTags,
  ecrScanOnPush,
  eksPublicEndpoint,
  eksSecretsEncryption,
  lambdaUrlAuth,
  lambdaPublicPermission,
];
