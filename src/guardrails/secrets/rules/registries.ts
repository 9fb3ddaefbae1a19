import { hasValidBase62Checksum } from "../checksum.js";
import type { SecretRule } from "../detector.js";
import { CWE_798, ROTATE } from "./common.js";

export const npmToken: SecretRule = {
  id: "SECRET-012",
  title: "npm access token in a file",
  severity: "critical",
  framework: "secrets",
  rationale:
    "An npm token with publish rights lets anyone publish new versions of the owner's packages, which every project that depends on them installs: the shortest path to a supply-chain compromise.",
  remediation: `${ROTATE} Revoke it with \`npm token revoke\` or on npmjs.com, and publish from CI with trusted publishing (OIDC) or a granular token kept in the CI's secrets; .npmrc should read \`\${NPM_TOKEN}\`.`,
  references: [
    "https://docs.npmjs.com/about-access-tokens",
    "https://github.blog/changelog/2021-09-23-npm-has-a-new-access-token-format/",
    "https://docs.npmjs.com/trusted-publishers",
    CWE_798,
  ],
  detectors: [
    {
      kind: "npm access token",
      keywords: ["npm_"],
      pattern: /(?<![\w])(?<secret>npm_[A-Za-z0-9]{36})(?![\w])/dg,
      // Like GitHub's, npm's tokens end in a CRC32 of their random part.
      accept: (found) => hasValidBase62Checksum(found.value),
    },
    {
      // Older tokens (UUIDs) and other registries' tokens written literally into .npmrc.
      kind: "npm registry credential",
      rank: 1,
      keywords: ["_authtoken", "_auth", "_password"],
      pattern: /(?<key>_authToken|_auth|_password)\s*=\s*["']?(?<secret>[^\s"'#;]{16,})/dg,
      minEntropy: 3,
    },
  ],
};

export const pypiToken: SecretRule = {
  id: "SECRET-013",
  title: "PyPI API token in a file",
  severity: "critical",
  framework: "secrets",
  rationale:
    "A PyPI API token uploads releases of the owner's projects (or all of the account's projects, for an account-wide token), which every pip install of them then runs.",
  remediation: `${ROTATE} Delete the token in the PyPI account settings and publish from CI with trusted publishing (OIDC) instead of a stored token.`,
  references: ["https://pypi.org/help/#apitoken", "https://docs.pypi.org/trusted-publishers/", CWE_798],
  detectors: [
    {
      kind: "PyPI API token",
      keywords: ["pypi-age"],
      pattern:
        /(?<![\w-])(?<secret>pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,})(?![\w-])/dg,
      minEntropy: 4,
    },
  ],
};
