import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/errors/index.js";
import { JOB_KEYWORD_SUPPORT } from "../../../src/pipeline/gitlab/index.js";
import { JOB_KEYWORDS } from "../../../src/pipeline/gitlab/schema.js";
import { load, repo } from "./helpers.js";

/**
 * The job keywords of https://docs.gitlab.com/ci/yaml/#job-keywords, with `hooks` and the
 * deprecated `only`/`except` (https://docs.gitlab.com/ci/yaml/deprecated_keywords/).
 */
const GITLAB_JOB_KEYWORDS = [
  "after_script",
  "allow_failure",
  "artifacts",
  "before_script",
  "cache",
  "coverage",
  "dast_configuration",
  "dependencies",
  "environment",
  "except",
  "extends",
  "hooks",
  "id_tokens",
  "identity",
  "image",
  "inherit",
  "interruptible",
  "manual_confirmation",
  "needs",
  "only",
  "pages",
  "parallel",
  "release",
  "resource_group",
  "retry",
  "rules",
  "run",
  "script",
  "secrets",
  "services",
  "stage",
  "start_in",
  "tags",
  "timeout",
  "trigger",
  "variables",
  "when",
];

/** A typical use of each keyword, as lines of the job `job` (in stage test, after the job `build`). */
const SAMPLES: Record<string, string[]> = {
  after_script: ["after_script: [echo after]"],
  allow_failure: ["allow_failure: {exit_codes: [137]}"],
  artifacts: ["artifacts: {paths: [dist/], expire_in: 1 week, reports: {junit: report.xml}}"],
  before_script: ["before_script: [echo before]"],
  cache: ["cache: {key: {files: [package-lock.json]}, paths: [node_modules/], policy: pull}"],
  coverage: ["coverage: '/Coverage: \\d+%/'"],
  dast_configuration: ["dast_configuration: {site_profile: Example, scanner_profile: Quick}"],
  dependencies: ["dependencies: [build]"],
  environment: ["environment: {name: review/$CI_COMMIT_REF_SLUG, url: https://example.com, action: start}"],
  except: ["except: [tags]"],
  extends: ["extends: .template"],
  hooks: ["hooks: {pre_get_sources_script: [echo hook]}"],
  id_tokens: ["id_tokens: {VAULT_ID_TOKEN: {aud: https://vault.example.com}}"],
  identity: ["identity: google_cloud"],
  image: ["image: {name: alpine:3.20, entrypoint: ['']}"],
  inherit: ["inherit: {default: [image], variables: false}"],
  interruptible: ["interruptible: true"],
  manual_confirmation: ["manual_confirmation: Are you sure?"],
  needs: ["needs: [{job: build, artifacts: false}]"],
  only: ["only: {refs: [branches], variables: [$CI_COMMIT_BRANCH]}"],
  pages: ["pages: {publish: site, expire_in: 1 day}"],
  parallel: ["parallel: {matrix: [{OS: [linux, mac]}]}"],
  release: ["release: {tag_name: v1.0.0, description: First}"],
  resource_group: ["resource_group: production"],
  retry: ["retry: {max: 2, when: [script_failure, runner_system_failure]}"],
  rules: ["rules: [{if: $CI_COMMIT_BRANCH, when: on_success}]"],
  run: ["run: [{name: hello, script: echo hi}]"],
  script: ["script: [echo script]"],
  secrets: ["secrets: {DB_PASSWORD: {vault: production/db/password@ops, file: false}}"],
  services: ["services: [postgres:16]"],
  stage: ["stage: deploy"],
  start_in: ["when: delayed", "start_in: 5 seconds"],
  tags: ["tags: [docker, linux]"],
  timeout: ["timeout: 1h 30m"],
  trigger: ["trigger: {include: child.yml, strategy: depend}"],
  variables: ["variables: {A: b, C: {value: d, expand: false}}"],
  when: ["when: always"],
};

describe("every GitLab job keyword compiles or is rejected at its position", () => {
  it("the support table and the schema cover exactly GitLab's job keywords", () => {
    expect(Object.keys(JOB_KEYWORD_SUPPORT).sort()).toEqual(GITLAB_JOB_KEYWORDS);
    expect(JOB_KEYWORDS).toEqual(GITLAB_JOB_KEYWORDS);
    expect(Object.keys(SAMPLES).sort()).toEqual(GITLAB_JOB_KEYWORDS);
  });

  it.each(GITLAB_JOB_KEYWORDS)("%s", async (keyword) => {
    const sample = SAMPLES[keyword] ?? [];
    const lines = [
      ".template: {script: [echo template], variables: {FROM: template}}",
      "build: {stage: build, script: [echo build]}",
      "job:",
      ...(keyword === "stage" ? [] : ["  stage: test"]),
      ...(keyword === "script" || keyword === "extends" ? [] : ["  script: [echo job]"]),
      ...sample.map((line) => `  ${line}`),
    ];
    const dir = await repo({ ".gitlab-ci.yml": lines.join("\n") });
    const support = JOB_KEYWORD_SUPPORT[keyword];
    const line = lines.findIndex((l) => l.startsWith(`  ${keyword}:`)) + 1;
    let error: unknown;
    let loaded: Awaited<ReturnType<typeof load>> | undefined;
    try {
      loaded = await load(dir);
    } catch (e) {
      error = e;
    }
    if (support?.status === "unsupported") {
      expect(error).toBeInstanceOf(ConfigError);
      const diagnostics = (error as ConfigError).diagnostics;
      expect(diagnostics.map((d) => [d.position.line, d.position.column, d.message])).toEqual([
        [line, 3, `job: not supported: ${keyword}`],
      ]);
      expect(diagnostics[0]?.hint).toBeTruthy();
      return;
    }
    if (error) throw error;
    const job = loaded?.pipeline.jobs.find((j) => j.id === "job");
    expect(job).toBeDefined();
    if (support?.status === "accepted") {
      expect(loaded?.notes.map((n) => n.message)).toContain(`${keyword} (job): ${support.reason}`);
    }
  });
});
