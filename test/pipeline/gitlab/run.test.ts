import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { EngineEvent, LogLine } from "../../../src/pipeline/events.js";
import { runLocally } from "../../../src/pipeline/local-run.js";
import type { LocalRunResult } from "../../../src/pipeline/local-run.js";
import { baseEnv, jobFinished, jobStatuses, output, withStore } from "../engine/harness.js";
import { load, repo, tempDir } from "./helpers.js";

interface Outcome {
  result: LocalRunResult;
  events: EngineEvent[];
  logs: LogLine[];
  dataDir: string;
}

/** Compiles a GitLab file in a fresh repository and runs it through the engine, as `slipway run --gitlab` does. */
async function runGitlab(
  files: Record<string, string>,
  options: {
    jobs?: string[];
    variables?: Record<string, string>;
    concurrency?: number;
    secretFile?: string;
  } = {},
): Promise<Outcome> {
  const dir = await repo(files);
  const dataDir = await tempDir("slipway-gitlab-data-");
  const loaded = await load(dir, { jobs: options.jobs, variables: options.variables });
  const events: EngineEvent[] = [];
  const logs: LogLine[] = [];
  const result = await runLocally({
    pipeline: loaded.pipeline,
    projectDir: dir,
    dataDir,
    concurrency: options.concurrency ?? 4,
    env: baseEnv(),
    ...(options.jobs ? { jobs: options.jobs } : {}),
    ...(options.secretFile ? { secretFile: options.secretFile } : {}),
    observers: [{ event: (e) => events.push(e), log: (l) => logs.push(l) }],
  });
  return { result, events, logs, dataDir };
}

/** What a job printed, without the `$ command` lines GitLab Runner shows. */
const printed = (logs: LogLine[], job: string, step?: number) =>
  output(logs, job, step).filter((line) => !line.startsWith("$ "));

describe("GitLab pipelines run through the engine", () => {
  it("runs before_script and script in one shell, showing each command as GitLab Runner does", async () => {
    const { result, logs } = await runGitlab({
      ".gitlab-ci.yml": [
        "job:",
        "  before_script:",
        "    - export GREETING=hello",
        "    - cd sub",
        "  script:",
        '    - echo "$GREETING from $(basename "$PWD")"',
        "    - |",
        "      if true; then",
        "        echo multi-line",
        "      fi",
      ].join("\n"),
      "sub/.keep": "",
    });
    expect(result.status).toBe("success");
    expect(output(logs, "job")).toEqual([
      "$ export GREETING=hello",
      "$ cd sub",
      '$ echo "$GREETING from $(basename "$PWD")"',
      "hello from sub",
      "$ if true; then # collapsed multi-line command",
      "multi-line",
    ]);
  });

  it("runs after_script in its own shell after a failure, with CI_JOB_STATUS, without changing the result", async () => {
    const { result, events, logs } = await runGitlab({
      ".gitlab-ci.yml": [
        "fails:",
        "  script: [export IN_SCRIPT=yes, exit 3]",
        "  after_script:",
        '    - echo "status=$CI_JOB_STATUS in_script=${IN_SCRIPT:-unset} dir=$(basename $PWD)"',
        "passes:",
        "  script: [echo ok]",
        "  after_script: [echo cleanup fails, exit 1]",
      ].join("\n"),
    });
    expect(result.status).toBe("failure");
    expect(jobStatuses(events)).toEqual({ fails: "failure", passes: "success" });
    expect(printed(logs, "fails", 1)).toEqual(["status=failed in_script=unset dir=workspace"]);
    expect(printed(logs, "passes", 1)).toEqual(["cleanup fails"]);
    expect(jobFinished(events, "fails").reason).toMatch(/exited with 3/);
  });

  it("keeps the pipeline green with allow_failure, and later stages run", async () => {
    const { result, events } = await runGitlab({
      ".gitlab-ci.yml": [
        "flaky: {stage: build, script: [exit 1], allow_failure: true}",
        "oom: {stage: build, script: [exit 137], allow_failure: {exit_codes: [137, 255]}}",
        "after: {stage: test, script: [echo after]}",
        "cleanup: {stage: deploy, script: [echo cleanup], when: on_failure}",
      ].join("\n"),
    });
    expect(result.status).toBe("success");
    expect(jobStatuses(events)).toEqual({
      flaky: "success",
      oom: "success",
      after: "success",
      cleanup: "skipped",
    });

    const strict = await runGitlab({
      ".gitlab-ci.yml": [
        "crash: {stage: build, script: [exit 1], allow_failure: {exit_codes: [137]}}",
        "after: {stage: test, script: [echo after]}",
      ].join("\n"),
    });
    expect(strict.result.status).toBe("failure");
    expect(jobStatuses(strict.events)).toEqual({ crash: "failure", after: "skipped" });
  });

  it("runs when: on_failure jobs only after a failure, and when: always jobs in both cases", async () => {
    const file = (buildScript: string) =>
      [
        "stages: [build, cleanup_build, test, cleanup]",
        `build: {stage: build, script: ["${buildScript}"]}`,
        "cleanup_build: {stage: cleanup_build, script: [echo cleaning], when: on_failure}",
        "test: {stage: test, script: [echo testing]}",
        "report: {stage: cleanup, script: [echo report], when: always}",
      ].join("\n");
    const green = await runGitlab({ ".gitlab-ci.yml": file("true") });
    expect(green.result.status).toBe("success");
    // A skipped on_failure job does not stop the stages after it.
    expect(jobStatuses(green.events)).toEqual({
      build: "success",
      cleanup_build: "skipped",
      test: "success",
      report: "success",
    });
    const red = await runGitlab({ ".gitlab-ci.yml": file("false") });
    expect(red.result.status).toBe("failure");
    expect(jobStatuses(red.events)).toEqual({
      build: "failure",
      cleanup_build: "success",
      test: "skipped",
      report: "success",
    });
    expect(output(red.logs, "cleanup_build")).toContain("cleaning");
  });

  it("skips a job whose needed job was skipped, as GitLab does for needs", async () => {
    const { events } = await runGitlab({
      ".gitlab-ci.yml": [
        "a: {stage: build, script: [exit 1]}",
        "b: {stage: test, script: [echo b], needs: [a]}",
        "c: {stage: deploy, script: [echo c], needs: [b]}",
        "d: {stage: deploy, script: [echo d], needs: [b], when: always}",
      ].join("\n"),
    });
    expect(jobStatuses(events)).toEqual({ a: "failure", b: "skipped", c: "skipped", d: "success" });
  });

  it("passes artifacts and dotenv variables to later stages, and reads JUnit reports", async () => {
    const junit =
      '<testsuite name="unit" tests="2" failures="1"><testcase classname="math" name="adds"/><testcase classname="math" name="divides"><failure message="by zero"/></testcase></testsuite>';
    const { result, logs, dataDir } = await runGitlab(
      {
        ".gitlab-ci.yml": [
          "build:",
          "  stage: build",
          "  script:",
          "    - mkdir -p dist && echo binary > dist/app",
          "    - echo 'VERSION=1.4.2' > build.env",
          "    - echo '# a comment' >> build.env",
          `    - echo 'QUOTED="two words"' >> build.env`,
          "  artifacts:",
          "    paths: [dist/]",
          "    reports: {dotenv: build.env}",
          "test:",
          "  stage: test",
          "  script:",
          "    - cp reports/unit.xml junit.xml",
          '    - echo "app=$(cat dist/app) version=$VERSION quoted=$QUOTED"',
          "  artifacts:",
          "    reports: {junit: junit.xml}",
          "  allow_failure: true",
          "deploy:",
          "  stage: deploy",
          "  dependencies: [build]",
          "  script: ['echo deploying $VERSION']",
        ].join("\n"),
        "reports/unit.xml": junit,
      },
      { concurrency: 1 },
    );
    expect(result.status).toBe("success");
    expect(printed(logs, "test")).toEqual(["app=binary version=1.4.2 quoted=two words"]);
    expect(printed(logs, "deploy")).toEqual(["deploying 1.4.2"]);
    await withStore(dataDir, async (store) => {
      expect((await store.listArtifacts(result.run.id)).map((a) => [a.jobKey, a.path])).toEqual([
        ["build", "dist/app"],
      ]);
      const tests = await store.listTestResults(result.run.id, "test");
      expect(tests.map((t) => [t.name, t.status])).toEqual([
        ["adds", "passed"],
        ["divides", "failed"],
      ]);
    });
  });

  it("gives variables GitLab's precedence: run variables, rule, job, top level, predefined", async () => {
    const { logs } = await runGitlab(
      {
        ".gitlab-ci.yml": [
          "variables:",
          "  CI_COMMIT_REF_NAME: overridden-by-yaml",
          "  LEVEL: global",
          "  ONLY_GLOBAL: g",
          "  FROM_RUN: yaml",
          "show:",
          "  variables: {LEVEL: job, RULED: job}",
          "  rules:",
          "    - if: $LEVEL == 'job'",
          "      variables: {RULED: rule}",
          "  script:",
          '    - echo "$CI_COMMIT_REF_NAME $LEVEL $ONLY_GLOBAL $RULED $FROM_RUN $GITLAB_CI $CI_JOB_NAME"',
        ].join("\n"),
      },
      { variables: { FROM_RUN: "run" } },
    );
    expect(printed(logs, "show")).toEqual(["overridden-by-yaml job g rule run true show"]);
  });

  it("runs parallel and parallel:matrix children with their variables", async () => {
    const { result, logs } = await runGitlab({
      ".gitlab-ci.yml": [
        "shard: {parallel: 2, script: ['echo $CI_JOB_NAME $CI_NODE_INDEX/$CI_NODE_TOTAL']}",
        "deploy:",
        "  parallel:",
        "    matrix:",
        "      - {PROVIDER: aws, STACK: [app1, app2]}",
        "      - {PROVIDER: gcp, STACK: data}",
        "  script: ['echo $CI_JOB_NAME $PROVIDER-$STACK $CI_NODE_INDEX/$CI_NODE_TOTAL']",
      ].join("\n"),
    });
    expect(result.status).toBe("success");
    expect(printed(logs, "shard (1)")).toEqual(["shard 1/2 1/2"]);
    expect(printed(logs, "shard (2)")).toEqual(["shard 2/2 2/2"]);
    expect(printed(logs, "deploy (aws, app1)")).toEqual(["deploy: [aws, app1] aws-app1 1/3"]);
    expect(printed(logs, "deploy (aws, app2)")).toEqual(["deploy: [aws, app2] aws-app2 2/3"]);
    expect(printed(logs, "deploy (gcp, data)")).toEqual(["deploy: [gcp, data] gcp-data 3/3"]);
  });

  it("retries a job by running before_script and script again", async () => {
    const { result, logs } = await runGitlab({
      ".gitlab-ci.yml": [
        "flaky:",
        "  retry: 1",
        "  before_script: ['echo setup >> attempts.log']",
        "  script:",
        '    - echo "attempt $(wc -l < attempts.log)"',
        "    - test $(wc -l < attempts.log) -ge 2",
        "exit-codes:",
        "  retry: {max: 2, exit_codes: [75]}",
        "  script:",
        "    - echo x >> tries.log",
        "    - test $(wc -l < tries.log) -ge 3 || exit 75",
      ].join("\n"),
    });
    expect(result.status).toBe("success");
    expect(printed(logs, "flaky").map((l) => l.trim())).toEqual(["attempt 1", "attempt 2"]);
    expect(printed(logs, "exit-codes").filter((l) => l.startsWith("exit code"))).toEqual([
      "exit code 75: retrying (retry:exit_codes), attempt 2 of 3",
      "exit code 75: retrying (retry:exit_codes), attempt 3 of 3",
    ]);
  });

  it("runs a manual job only when named, and a delayed job after its start_in", async () => {
    const file = [
      "build: {stage: build, script: [echo build]}",
      "deploy: {stage: deploy, script: [echo deploy], when: manual}",
      "later: {stage: deploy, script: [echo later], when: delayed, start_in: 1 second}",
    ].join("\n");
    const unnamed = await runGitlab({ ".gitlab-ci.yml": file });
    expect(jobStatuses(unnamed.events)).toEqual({ build: "success", later: "success" });
    expect(output(unnamed.logs, "later", 0)).toContain("when: delayed: starting in 1s");
    const named = await runGitlab({ ".gitlab-ci.yml": file }, { jobs: ["deploy"] });
    expect(jobStatuses(named.events)).toEqual({ build: "success", deploy: "success" });
  });

  it("gives secrets from --secret-file as files by default, or as values with file: false", async () => {
    const dir = await tempDir();
    const secretFile = join(dir, "secrets.env");
    await writeFile(secretFile, "DB_PASSWORD=hunter2\nAPI_TOKEN=t0k3n\n");
    const { result, logs } = await runGitlab(
      {
        ".gitlab-ci.yml": [
          "job:",
          "  secrets:",
          "    DB_PASSWORD: {vault: production/db/password@ops}",
          "    API_TOKEN: {vault: production/api/token@ops, file: false}",
          "  script:",
          '    - test -f "$DB_PASSWORD" && echo "file holds $(cat "$DB_PASSWORD" | wc -c) bytes"',
          '    - echo "token=$API_TOKEN"',
        ].join("\n"),
      },
      { secretFile },
    );
    expect(result.status).toBe("success");
    expect(printed(logs, "job")).toEqual(["file holds 7 bytes", "token=***"]);
  });
});
