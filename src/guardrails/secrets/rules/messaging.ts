import type { SecretRule } from "../detector.js";
import { ASSIGN, CWE_798, ROTATE } from "./common.js";

export const slackToken: SecretRule = {
  id: "SECRET-006",
  title: "Slack token in a file",
  severity: "high",
  framework: "secrets",
  rationale:
    "Slack bot, user and app tokens read and post messages, list channels and download files with their scopes; a leaked user token reads everything its user can, including private channels and direct messages.",
  remediation: `${ROTATE} Revoke it on the app's OAuth & Permissions page (or with auth.revoke) and reinstall the app to issue a new one.`,
  references: [
    "https://api.slack.com/authentication/token-types",
    "https://api.slack.com/authentication/best-practices",
    CWE_798,
  ],
  detectors: [
    {
      kind: "Slack token",
      keywords: ["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-", "xapp-"],
      pattern:
        /(?<![\w-])(?<secret>(?:xox[baprs]-[0-9]+-[0-9A-Za-z-]{10,}|xapp-[0-9]-[0-9A-Za-z-]{20,}))(?![\w-])/dg,
      minEntropy: 3,
    },
  ],
};

export const slackWebhook: SecretRule = {
  id: "SECRET-007",
  title: "Slack incoming webhook URL in a file",
  severity: "medium",
  framework: "secrets",
  rationale:
    "Anyone with an incoming webhook URL can post messages to its channel as the app, which makes convincing phishing inside the workspace easy; the URL is the only credential.",
  remediation: `${ROTATE} Remove the webhook from the app's Incoming Webhooks page and create a new one, kept in a CI or application secret.`,
  references: ["https://api.slack.com/messaging/webhooks", CWE_798],
  detectors: [
    {
      kind: "Slack webhook URL",
      keywords: ["hooks.slack.com"],
      pattern:
        /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/(?<secret>[A-Za-z0-9]{8,}\/[A-Za-z0-9]{8,}\/[A-Za-z0-9_/-]{16,})/dg,
      extract: (m) => {
        const value = m.groups?.["secret"];
        if (value === undefined) return undefined;
        return { value, start: m.index, end: m.index + m[0].length };
      },
      minEntropy: 3.5,
    },
  ],
};

export const twilioApiKey: SecretRule = {
  id: "SECRET-014",
  title: "Twilio API key in a file",
  severity: "high",
  framework: "secrets",
  rationale:
    "A Twilio API key (SK...) with its secret sends SMS and places calls billed to the account, and reads message logs that often hold one-time codes.",
  remediation: `${ROTATE} Delete the key in the Twilio console (API keys & tokens) and create a new one stored as a secret.`,
  references: ["https://www.twilio.com/docs/iam/api-keys", CWE_798],
  detectors: [
    {
      kind: "Twilio API key",
      keywords: ["sk"],
      pattern: /(?<![A-Za-z0-9])(?<secret>SK[0-9a-f]{32})(?![A-Za-z0-9])/dg,
      minEntropy: 3,
    },
  ],
};

export const sendgridApiKey: SecretRule = {
  id: "SECRET-015",
  title: "SendGrid API key in a file",
  severity: "high",
  framework: "secrets",
  rationale:
    "A SendGrid API key sends email from the account's verified domains, which passes SPF and DKIM and makes phishing look legitimate; with full access it also reads contacts and changes settings.",
  remediation: `${ROTATE} Delete the key under Settings > API Keys and create one restricted to Mail Send.`,
  references: ["https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys", CWE_798],
  detectors: [
    {
      kind: "SendGrid API key",
      keywords: ["sg."],
      pattern: /(?<![\w.-])(?<secret>SG\.[\w-]{22}\.[\w-]{43})(?![\w-])/dg,
      minEntropy: 4,
    },
  ],
};

export const mailgunApiKey: SecretRule = {
  id: "SECRET-024",
  title: "Mailgun API key in a file",
  severity: "high",
  framework: "secrets",
  rationale:
    "A Mailgun private API key sends mail from the account's domains and reads the event logs and stored messages; it has the account's full API access.",
  remediation: `${ROTATE} Delete the key under API Security and use a domain sending key where only sending is needed.`,
  references: [
    "https://help.mailgun.com/hc/en-us/articles/203380100-Where-can-I-find-my-API-keys-and-SMTP-credentials",
    CWE_798,
  ],
  detectors: [
    {
      kind: "Mailgun API key",
      keywords: ["key-"],
      pattern: /(?<![\w-])(?<secret>key-[0-9a-f]{32})(?![\w-])/dg,
      minEntropy: 3,
    },
    {
      kind: "Mailgun API key",
      keywords: ["mailgun"],
      pattern: new RegExp(
        String.raw`(?<key>mailgun[\w.-]*?key)${ASSIGN}(?<secret>[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8})(?![\w-])`,
        "dgi",
      ),
      minEntropy: 3,
    },
  ],
};

export const telegramBotToken: SecretRule = {
  id: "SECRET-025",
  title: "Telegram bot token in a file",
  severity: "high",
  framework: "secrets",
  rationale:
    "A bot token is the bot's whole identity: with it anyone reads the messages sent to the bot, posts in its chats and changes its webhook to intercept future updates.",
  remediation: `${ROTATE} Revoke it with @BotFather (/revoke) and store the new token as a secret.`,
  references: [
    "https://core.telegram.org/bots/api#authorizing-your-bot",
    "https://core.telegram.org/bots/features#botfather",
    CWE_798,
  ],
  detectors: [
    {
      kind: "Telegram bot token",
      keywords: [":aa"],
      pattern: /(?<![\w:])(?<secret>[0-9]{8,10}:AA[0-9A-Za-z_-]{33})(?![\w-])/dg,
      minEntropy: 3.5,
    },
  ],
};
