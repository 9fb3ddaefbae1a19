export type { TriggerRequest, WebhookOutcome } from "./types.js";
export { githubWebhook, verifyGithubSignature } from "./github.js";
export { gitlabWebhook, verifyGitlabToken } from "./gitlab.js";
export {
  DEFAULT_GENERIC_TOLERANCE_SECONDS,
  GENERIC_DELIVERY_HEADER,
  GENERIC_SIGNATURE_HEADER,
  GENERIC_TIMESTAMP_HEADER,
  genericWebhook,
  signGeneric,
  verifyGeneric,
} from "./generic.js";
