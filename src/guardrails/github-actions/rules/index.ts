import type { WorkflowRule } from "./define.js";
import { persistedCredentials } from "./artifacts.js";
import { deprecatedCommands, printedSecret, unsecureCommands } from "./commands.js";
import { inputInjection, scriptInjection } from "./injection.js";
import { missingPermissions, writeAll, writeOnPullRequestTarget } from "./permissions.js";
import {
  cacheInPullRequestTarget,
  executedArtifact,
  secretsToUntrustedCode,
  untrustedCheckout,
} from "./pull-request-target.js";
import { selfHostedOnPublicTrigger } from "./runners.js";
import { dockerActionWithoutDigest, inheritedSecrets, unpinnedAction } from "./supply-chain.js";

export const WORKFLOW_RULES: readonly WorkflowRule[] = [
  scriptInjection,
  untrustedCheckout,
  unpinnedAction,
  writeAll,
  missingPermissions,
  writeOnPullRequestTarget,
  secretsToUntrustedCode,
  inheritedSecrets,
  selfHostedOnPublicTrigger,
  unsecureCommands,
  persistedCredentials,
  printedSecret,
  deprecatedCommands,
  inputInjection,
  cacheInPullRequestTarget,
  executedArtifact,
  dockerActionWithoutDigest,
];
