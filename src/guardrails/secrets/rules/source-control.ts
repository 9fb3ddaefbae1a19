import { hasValidBase62Checksum } from "../checksum.js";
import type { SecretRule } from "../detector.js";
import { CWE_798, ROTATE } from "./common.js";

const GITHUB_KINDS: Record<string, string> = {
  ghp: "GitHub personal access token",
  gho: "GitHub OAuth access token",
  ghu: "GitHub App user access token",
  ghs: "GitHub App installation token",
  ghr: "GitHub refresh token",
};

export const githubToken: SecretRule = {
  id: "SECRET-003",
  title: "GitHub access token in a file",
  severity: "critical",
  framework: "secrets",
  rationale:
    "A GitHub token acts as its user or app: depending on its scopes it reads private repositories, pushes code, changes workflows or publishes packages, which makes it a direct path into the software supply chain.",
  remediation: `${ROTATE} Revoke it under Settings > Developer settings (or the app's settings); in workflows use the job's GITHUB_TOKEN or a GitHub App token created per run.`,
  references: [
    "https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/",
    "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/token-expiration-and-revocation",
    CWE_798,
  ],
  detectors: [
    {
      kind: "GitHub token",
      keywords: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
      pattern: /(?<![A-Za-z0-9_])(?<secret>gh[pousr]_[A-Za-z0-9]{36})(?![A-Za-z0-9_])/dg,
      extract: (m) => {
        const range = m.indices?.groups?.["secret"];
        const value = m.groups?.["secret"];
        if (!range || value === undefined) return undefined;
        return { value, start: range[0], end: range[1], kind: GITHUB_KINDS[value.slice(0, 3)] };
      },
      // The last six characters are a CRC32 of the thirty before them: a string that fails it
      // was never issued by GitHub.
      accept: (found) => hasValidBase62Checksum(found.value),
    },
  ],
};

export const githubFineGrainedToken: SecretRule = {
  id: "SECRET-004",
  title: "GitHub fine-grained personal access token in a file",
  severity: "critical",
  framework: "secrets",
  rationale:
    "A fine-grained personal access token acts as its owner on the repositories and permissions it was granted, often with write access to code and workflows, until it expires or is revoked.",
  remediation: `${ROTATE} Revoke it under Settings > Developer settings > Fine-grained tokens; in workflows use the job's GITHUB_TOKEN or a GitHub App token created per run.`,
  references: [
    "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/managing-your-personal-access-tokens",
    CWE_798,
  ],
  detectors: [
    {
      kind: "GitHub fine-grained personal access token",
      keywords: ["github_pat_"],
      pattern: /(?<![A-Za-z0-9_])(?<secret>github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9_])/dg,
      minEntropy: 4,
    },
  ],
};

const GITLAB_KINDS: Record<string, string> = {
  glpat: "GitLab access token",
  gldt: "GitLab deploy token",
  glrt: "GitLab runner authentication token",
  glptt: "GitLab pipeline trigger token",
  glft: "GitLab feed token",
  glcbt: "GitLab CI/CD job token",
  gloas: "GitLab OAuth application secret",
};

export const gitlabToken: SecretRule = {
  id: "SECRET-005",
  title: "GitLab token in a file",
  severity: "high",
  framework: "secrets",
  rationale:
    "GitLab personal, project and group access tokens act on the API and git with their scopes; deploy, runner and trigger tokens read code, register runners or start pipelines with the project's CI/CD variables.",
  remediation: `${ROTATE} Revoke it in GitLab (Access tokens, Deploy tokens, or the runner's page) and use CI/CD variables marked masked and protected instead.`,
  references: ["https://docs.gitlab.com/ee/security/tokens/", CWE_798],
  detectors: [
    {
      kind: "GitLab token",
      keywords: ["glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glcbt-", "gloas-"],
      pattern:
        /(?<![\w-])(?<secret>(?:glpat|gldt|glrt|glptt|glft|glcbt|gloas)-[0-9A-Za-z_-]{20,}(?:\.[0-9A-Za-z_-]+)*)(?![\w-])/dg,
      extract: (m) => {
        const range = m.indices?.groups?.["secret"];
        const value = m.groups?.["secret"];
        if (!range || value === undefined) return undefined;
        return {
          value,
          start: range[0],
          end: range[1],
          kind: GITLAB_KINDS[value.slice(0, value.indexOf("-"))],
        };
      },
      minEntropy: 3.5,
    },
  ],
};
