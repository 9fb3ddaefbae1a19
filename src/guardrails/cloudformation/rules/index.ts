import type { CfnRule } from "./common.js";
import { computeRules } from "./compute.js";
import { databaseRules } from "./databases.js";
import { encryptionRules } from "./encryption.js";
import { iamRules } from "./iam.js";
import { loggingRules } from "./logging.js";
import { networkRules } from "./network.js";
import { s3Rules } from "./s3.js";

/** Every built-in CloudFormation rule, in id order. */
export const CLOUDFORMATION_RULES: readonly CfnRule[] = [
  ...s3Rules,
  ...networkRules,
  ...databaseRules,
  ...encryptionRules,
  ...iamRules,
  ...loggingRules,
  ...computeRules,
].sort((a, b) => a.id.localeCompare(b.id));
