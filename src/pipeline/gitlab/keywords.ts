/**
 * What Slipway does with each GitLab job keyword (https://docs.gitlab.com/ci/yaml/#job-keywords).
 * No keyword is silently ignored: each one runs as GitLab documents it, is accepted with a
 * stated reason why it changes nothing in a local run (reported as a note), or is rejected at
 * its position, for the jobs of the pipeline being planned.
 */
export type KeywordSupport =
  { status: "supported" } | { status: "accepted"; reason: string } | { status: "unsupported"; hint: string };

const supported: KeywordSupport = { status: "supported" };

export const JOB_KEYWORD_SUPPORT: Readonly<Record<string, KeywordSupport>> = {
  after_script: supported,
  allow_failure: supported,
  artifacts: supported,
  before_script: supported,
  cache: {
    status: "accepted",
    reason:
      "GitLab's cache is not restored: each job runs as on a cache miss, which GitLab jobs must tolerate (use slipway.yaml for a cache that skips work)",
  },
  coverage: { status: "accepted", reason: "the coverage percentage is not extracted from the log" },
  dast_configuration: {
    status: "unsupported",
    hint: "DAST site and scanner profiles are stored on the GitLab server",
  },
  dependencies: supported,
  environment: supported,
  except: supported,
  extends: supported,
  hooks: supported,
  identity: {
    status: "unsupported",
    hint: "identity federation needs GitLab's OIDC issuer; give the job credentials through --env or --secret-file",
  },
  id_tokens: {
    status: "unsupported",
    hint: "ID tokens are JWTs signed by the GitLab server; give the job credentials through --env or --secret-file",
  },
  image: supported,
  inherit: supported,
  interruptible: {
    status: "accepted",
    reason: "a local run is never replaced by a newer pipeline, so nothing interrupts it",
  },
  manual_confirmation: {
    status: "accepted",
    reason: "a manual job runs only when named on the command line, which is the confirmation",
  },
  needs: supported,
  only: supported,
  pages: supported,
  parallel: supported,
  release: {
    status: "unsupported",
    hint: "releases are created through the GitLab API; run glab release create in the script instead",
  },
  resource_group: supported,
  retry: supported,
  rules: supported,
  run: { status: "unsupported", hint: "CI/CD steps (run:) are a GitLab Runner experiment; use script:" },
  script: supported,
  secrets: supported,
  services: {
    status: "unsupported",
    hint: "service containers need a container runtime next to the job; start the service on this machine and remove services:, or run it with GitLab Runner",
  },
  stage: supported,
  start_in: supported,
  tags: { status: "accepted", reason: "tags select a runner; jobs run on this machine" },
  timeout: supported,
  trigger: {
    status: "unsupported",
    hint: "downstream pipelines run on a GitLab server; run the child pipeline's file directly with slipway run --gitlab <file>",
  },
  variables: supported,
  when: supported,
};
