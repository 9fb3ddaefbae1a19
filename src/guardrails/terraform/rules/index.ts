/**
 * The built-in Terraform rules, in id order: AWS (S3, network, compute, databases, IAM,
 * logging, keys, containers and serverless), then Google Cloud, then Azure.
 */
import type { Rule } from "../../model.js";
import type { TerraformModel } from "../model.js";
import { azureRules } from "./azure.js";
import { computeRules } from "./compute.js";
import { containerRules } from "./containers.js";
import { databaseRules } from "./database.js";
import { gcpRules } from "./gcp.js";
import { iamRules } from "./iam.js";
import { kmsRules } from "./kms.js";
import { loggingRules } from "./logging.js";
import { networkRules } from "./network.js";
import { s3Rules } from "./s3.js";

export const terraformRules: Rule<TerraformModel>[] = [
  ...s3Rules,
  ...networkRules,
  ...computeRules,
  ...databaseRules,
  ...iamRules,
  ...loggingRules,
  ...kmsRules,
  ...containerRules,
  ...gcpRules,
  ...azureRules,
];
