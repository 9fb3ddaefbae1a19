import type { SecretRule } from "../detector.js";
import { ASSIGN, CWE_798, ROTATE } from "./common.js";

const UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

export const herokuApiKey: SecretRule = {
  id: "SECRET-017",
  title: "Heroku API key in a file",
  severity: "high",
  framework: "secrets",
  rationale:
    "A Heroku API key acts as its user on every app the user can reach: it reads config vars (which hold the apps' own secrets), deploys code and scales or deletes apps.",
  remediation: `${ROTATE} Regenerate the key in Account settings, or revoke the authorization with \`heroku authorizations:revoke\`, and use short-lived authorizations for CI.`,
  references: [
    "https://devcenter.heroku.com/articles/authentication",
    "https://devcenter.heroku.com/articles/oauth",
    CWE_798,
  ],
  detectors: [
    {
      kind: "Heroku API key",
      keywords: ["hrku-"],
      pattern: /(?<![\w-])(?<secret>HRKU-[A-Za-z0-9_-]{60})(?![\w-])/dg,
      minEntropy: 4,
    },
    {
      // Older keys are bare UUIDs: only the name they are assigned to says they are Heroku's.
      kind: "Heroku API key",
      keywords: ["heroku"],
      pattern: new RegExp(
        String.raw`(?<key>heroku[\w.-]*?(?:api[_.-]?key|token|key|password))${ASSIGN}(?<secret>${UUID})(?![\w-])`,
        "dgi",
      ),
      minEntropy: 3,
    },
  ],
};

export const aiProviderKey: SecretRule = {
  id: "SECRET-019",
  title: "OpenAI or Anthropic API key in a file",
  severity: "high",
  framework: "secrets",
  rationale:
    "Model provider keys are billed per use and are abused quickly once public: a leaked key runs up large bills and exposes the organisation's files, fine-tuned models and stored conversations.",
  remediation: `${ROTATE} Delete the key in the provider's console (OpenAI: API keys; Anthropic: Console > API keys) and give each service its own key with a spending limit.`,
  references: [
    "https://help.openai.com/en/articles/5112595-best-practices-for-api-key-safety",
    "https://docs.anthropic.com/en/api/getting-started",
    CWE_798,
  ],
  detectors: [
    {
      // Every OpenAI key carries T3BlbkFJ, "OpenAI" in base64, which sets it apart from other sk- keys.
      kind: "OpenAI API key",
      keywords: ["t3blbkfj"],
      pattern:
        /(?<![\w-])(?<secret>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,})(?![\w-])/dg,
      minEntropy: 4,
    },
    {
      kind: "Anthropic API key",
      keywords: ["sk-ant-"],
      pattern: /(?<![\w-])(?<secret>sk-ant-(?:api|admin|oat)[0-9]{2}-[A-Za-z0-9_-]{80,})(?![\w-])/dg,
      minEntropy: 4,
    },
  ],
};

export const datadogKey: SecretRule = {
  id: "SECRET-023",
  title: "Datadog API or application key in a file",
  severity: "high",
  framework: "secrets",
  rationale:
    "A Datadog API key submits metrics, logs and events to the organisation (polluting or flooding them); an application key reads dashboards, monitors and logs, which often contain customer data.",
  remediation: `${ROTATE} Revoke the key under Organization Settings > API Keys or Application Keys, and inject it into agents from a secret (DD_API_KEY from a Kubernetes Secret or a secret backend).`,
  references: ["https://docs.datadoghq.com/account_management/api-app-keys/", CWE_798],
  detectors: [
    {
      kind: "Datadog key",
      keywords: ["datadog", "dd_api", "dd_app", "dd-api", "dd-app", "ddapi", "ddapp", "dd.api", "dd.app"],
      pattern: new RegExp(
        String.raw`(?<key>(?:datadog|dd)[_.-]?(?:api|app(?:lication)?)[_.-]?key)${ASSIGN}(?<secret>[0-9a-f]{40}|[0-9a-f]{32})(?![0-9a-zA-Z])`,
        "dgi",
      ),
      extract: (m) => {
        const range = m.indices?.groups?.["secret"];
        const value = m.groups?.["secret"];
        const key = m.groups?.["key"];
        if (!range || value === undefined) return undefined;
        const kind = /app/i.test(key ?? "") ? "Datadog application key" : "Datadog API key";
        return { value, start: range[0], end: range[1], key, kind };
      },
      minEntropy: 3,
    },
  ],
};

export const hashicorpToken: SecretRule = {
  id: "SECRET-026",
  title: "HashiCorp Vault or Terraform Cloud token in a file",
  severity: "high",
  framework: "secrets",
  rationale:
    "A Vault token reads the secrets its policies allow, often the keys to everything else; a Terraform Cloud token runs plans and applies and reads state files, which hold every secret Terraform manages.",
  remediation: `${ROTATE} Revoke the Vault token (\`vault token revoke\`) or the Terraform Cloud token (User or Team settings > Tokens), and authenticate CI with workload identity (Vault JWT/OIDC auth, HCP Terraform dynamic credentials).`,
  references: [
    "https://developer.hashicorp.com/vault/docs/concepts/tokens",
    "https://developer.hashicorp.com/terraform/cloud-docs/users-teams-organizations/api-tokens",
    CWE_798,
  ],
  detectors: [
    {
      kind: "HashiCorp Vault token",
      keywords: ["hvs.", "hvb."],
      pattern: /(?<![\w.])(?<secret>hv[sb]\.[A-Za-z0-9_-]{90,})(?![\w-])/dg,
      minEntropy: 4,
    },
    {
      kind: "Terraform Cloud API token",
      keywords: [".atlasv1."],
      pattern: /(?<![\w])(?<secret>[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,})(?![\w-])/dg,
      minEntropy: 4,
    },
  ],
};
