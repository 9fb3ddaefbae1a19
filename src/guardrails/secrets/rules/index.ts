import type { SecretRule } from "../detector.js";
import {
  awsAccessKeyId,
  awsSecretAccessKey,
  azureStorageKey,
  gcpServiceAccountKey,
  googleApiKey,
} from "./cloud.js";
import { genericSecret, jsonWebToken, privateKey, urlCredentials } from "./generic.js";
import {
  mailgunApiKey,
  sendgridApiKey,
  slackToken,
  slackWebhook,
  telegramBotToken,
  twilioApiKey,
} from "./messaging.js";
import { shopifyToken, stripeLiveKey } from "./payments.js";
import { aiProviderKey, datadogKey, hashicorpToken, herokuApiKey } from "./platforms.js";
import { npmToken, pypiToken } from "./registries.js";
import { githubFineGrainedToken, githubToken, gitlabToken } from "./source-control.js";

/** Every secret rule, by id. */
export const SECRET_RULES: readonly SecretRule[] = [
  awsAccessKeyId,
  awsSecretAccessKey,
  githubToken,
  githubFineGrainedToken,
  gitlabToken,
  slackToken,
  slackWebhook,
  stripeLiveKey,
  googleApiKey,
  gcpServiceAccountKey,
  privateKey,
  npmToken,
  pypiToken,
  twilioApiKey,
  sendgridApiKey,
  azureStorageKey,
  herokuApiKey,
  shopifyToken,
  aiProviderKey,
  jsonWebToken,
  urlCredentials,
  genericSecret,
  datadogKey,
  mailgunApiKey,
  telegramBotToken,
  hashicorpToken,
];
