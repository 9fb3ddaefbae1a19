import type { SecretMatch, SecretRule } from "../detector.js";
import { shannonEntropy } from "../entropy.js";
import { ASSIGN, CWE_798, near, ROTATE } from "./common.js";

const ACCESS_KEY_ID = /(?:AKIA|ASIA)[A-Z0-9]{16}/;

export const awsAccessKeyId: SecretRule = {
  id: "SECRET-001",
  title: "AWS access key ID in a file",
  severity: "high",
  framework: "secrets",
  rationale:
    "An AWS access key ID (AKIA for a long-lived IAM user key, ASIA for a session key) identifies a credential; next to its secret key it grants that identity's permissions, and on its own it still tells an attacker which account and user to target.",
  remediation: `${ROTATE} Deactivate the key in IAM and prefer roles (instance profiles, IRSA, OIDC from CI) to long-lived user keys.`,
  references: [
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html",
    CWE_798,
  ],
  detectors: [
    {
      kind: "AWS access key ID",
      keywords: ["akia", "asia"],
      pattern: /(?<![A-Za-z0-9])(?<secret>(?:AKIA|ASIA)[A-Z0-9]{16})(?![A-Za-z0-9])/dg,
      minEntropy: 3,
    },
  ],
};

/** A 40-character secret key: base64 alphabet, mixed case and digits, never a hex digest. */
function looksLikeSecretKey(value: string): boolean {
  return /[A-Z]/.test(value) && /[a-z]/.test(value) && /[0-9/+]/.test(value) && shannonEntropy(value) >= 4;
}

export const awsSecretAccessKey: SecretRule = {
  id: "SECRET-002",
  title: "AWS secret access key in a file",
  severity: "critical",
  framework: "secrets",
  rationale:
    "The secret access key is the private half of an AWS key pair: with the key ID it signs API requests as that IAM identity, from anywhere, until the key is deactivated.",
  remediation: `${ROTATE} Deactivate the key in IAM and prefer roles (instance profiles, IRSA, OIDC from CI) to long-lived user keys.`,
  references: [
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html#rotating_access_keys_console",
    CWE_798,
  ],
  detectors: [
    {
      kind: "AWS secret access key",
      keywords: ["secret"],
      pattern: new RegExp(
        String.raw`(?<key>aws[_.-]?secret[_.-]?(?:access[_.-]?)?key|secret[_.-]?access[_.-]?key)${ASSIGN}(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`,
        "dgi",
      ),
      accept: (found) => looksLikeSecretKey(found.value),
    },
    {
      // A CSV export from the console, a credentials file with odd names: the key ID nearby says what it is.
      kind: "AWS secret access key",
      keywords: ["akia", "asia"],
      contextLines: 5,
      pattern: /(?<![A-Za-z0-9/+=])(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/dg,
      accept: (found, text) =>
        looksLikeSecretKey(found.value) && near(text, found.start, found.end, 300, ACCESS_KEY_ID),
    },
  ],
};

export const googleApiKey: SecretRule = {
  id: "SECRET-009",
  title: "Google API key in a file",
  severity: "medium",
  framework: "secrets",
  rationale:
    "A Google API key bills its project for every call made with it; an unrestricted key can call any enabled API (Maps, Gemini, Translation...) and run up costs or read data the APIs expose.",
  remediation: `${ROTATE} Restrict the key to the APIs and the referrers, IP addresses or apps that need it; keys meant for browsers must still be restricted.`,
  references: [
    "https://cloud.google.com/docs/authentication/api-keys",
    "https://cloud.google.com/docs/authentication/api-keys-best-practices",
    CWE_798,
  ],
  detectors: [
    {
      kind: "Google API key",
      keywords: ["aiza"],
      pattern: /(?<![\w-])(?<secret>AIza[0-9A-Za-z_-]{35})(?![\w-])/dg,
      minEntropy: 3.5,
    },
  ],
};

const PEM_HEADER = /-----(?:BEGIN|END) (?:RSA )?PRIVATE KEY-----/g;

export const gcpServiceAccountKey: SecretRule = {
  id: "SECRET-010",
  title: "Google Cloud service account key file",
  severity: "critical",
  framework: "secrets",
  rationale:
    "A service account key file holds the account's private key: whoever has it acts as that service account, with all its IAM roles, until the key is deleted; such keys do not expire by default.",
  remediation: `${ROTATE} Delete the key in IAM (Service accounts > Keys) and prefer keyless authentication: workload identity federation for CI and other clouds, attached service accounts on Google Cloud.`,
  references: [
    "https://cloud.google.com/iam/docs/best-practices-for-managing-service-account-keys",
    "https://cloud.google.com/iam/docs/workload-identity-federation",
    CWE_798,
  ],
  detectors: [
    {
      kind: "Google Cloud service account private key",
      keywords: ['"private_key"'],
      pattern:
        /"private_key"\s*:\s*"(?<secret>-----BEGIN (?:RSA )?PRIVATE KEY-----[^"]{40,}?-----END (?:RSA )?PRIVATE KEY-----(?:\\n)?)"/dg,
      extract: (m, text): SecretMatch | undefined => {
        const range = m.indices?.groups?.["secret"];
        const block = m.groups?.["secret"];
        if (!range || block === undefined) return undefined;
        if (!/"type"\s*:\s*"service_account"/.test(text)) return undefined;
        const email = /"client_email"\s*:\s*"([^"]+)"/.exec(text)?.[1];
        return {
          value: block.replace(PEM_HEADER, "").replace(/\\n|\s/g, ""),
          start: range[0],
          end: range[1],
          key: email,
          detail: email ? `key of ${email}` : undefined,
        };
      },
      minEntropy: 4,
    },
  ],
};

export const azureStorageKey: SecretRule = {
  id: "SECRET-016",
  title: "Azure storage or Service Bus key in a connection string",
  severity: "critical",
  framework: "secrets",
  rationale:
    "An AccountKey grants full control of a storage account (every blob, queue, table and file share), and a SharedAccessKey the rights of its policy on a Service Bus, Event Hubs or IoT Hub namespace; neither expires.",
  remediation: `${ROTATE} Regenerate the key in the portal (Access keys) and prefer Microsoft Entra ID with managed identities, or short-lived SAS tokens, to account keys.`,
  references: [
    "https://learn.microsoft.com/en-us/azure/storage/common/storage-account-keys-manage",
    "https://learn.microsoft.com/en-us/azure/service-bus-messaging/service-bus-sas",
    CWE_798,
  ],
  detectors: [
    {
      kind: "Azure storage account key",
      keywords: ["accountkey"],
      pattern: /(?<key>AccountKey)\s*=\s*(?<secret>[A-Za-z0-9+/]{40,}={0,2})/dg,
      minEntropy: 4,
    },
    {
      kind: "Azure shared access key",
      keywords: ["sharedaccesskey"],
      pattern: /(?<key>SharedAccessKey)\s*=\s*(?<secret>[A-Za-z0-9+/]{40,}={0,2})/dg,
      minEntropy: 4,
    },
  ],
};
