import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostics, UsageError } from "../../../src/errors/index.js";
import { loadGitlabPipeline } from "../../../src/pipeline/gitlab/index.js";
import { load, rejected, repo, where } from "./helpers.js";

async function problems(files: Record<string, string>) {
  const dir = await repo(files);
  return rejected(load(dir));
}

/** Every problem of a file at once, each at file:line:column, with what would fix it. */
describe("GitLab file errors", () => {
  it("unknown keywords, at every level, with did you mean", async () => {
    const found = await problems({
      ".gitlab-ci.yml": [
        "stages: [build]",
        "build:",
        "  stage: build",
        "  scirpt: [make]",
        "  script: [make]",
        "  artifact:",
        "    paths: [dist/]",
        "  runs-on: ubuntu",
        "  cache:",
        "    pahts: [node_modules/]",
        "  rules:",
        "    - if: $CI",
        "      wehn: manual",
      ].join("\n"),
    });
    expect(found.map((d) => [where(d), d.message, d.hint])).toEqual([
      [".gitlab-ci.yml:4:3", 'unknown key "scirpt" in build', 'did you mean "script"?'],
      [".gitlab-ci.yml:6:3", 'unknown key "artifact" in build', 'did you mean "artifacts"?'],
      [
        ".gitlab-ci.yml:8:3",
        'unknown key "runs-on" in build',
        "runs-on belongs to GitHub workflows; GitLab picks runners with tags:",
      ],
      [".gitlab-ci.yml:10:5", 'unknown key "pahts" in build:cache', 'did you mean "paths"?'],
      [".gitlab-ci.yml:13:7", 'unknown key "wehn" in build:rules:0', 'did you mean "when"?'],
    ]);
  });

  it("a global keyword typed wrong, and a job without script", async () => {
    const found = await problems({
      ".gitlab-ci.yml": ["stage: [build, test]", "variable:", "  A: b", "job: {script: [x]}"].join("\n"),
    });
    expect(found.map((d) => [where(d), d.message, d.hint])).toEqual([
      [
        ".gitlab-ci.yml:1:1",
        '"stage" is not a GitLab keyword, and a job must be a mapping',
        'did you mean "stages"?',
      ],
      [
        ".gitlab-ci.yml:2:1",
        'job "variable" has no script',
        'did you mean the keyword "variables"? Otherwise add script: (hidden jobs, named .variable, can be templates without one)',
      ],
    ]);
  });

  it("a bad rules:if points into the expression", async () => {
    const found = await problems({
      ".gitlab-ci.yml": [
        "job:",
        "  script: [x]",
        "  rules:",
        '    - if: $CI_COMMIT_BRANCH = "main"',
        "    - if: '$CI_COMMIT_TAG && ($CI_COMMIT_TAG =~ /^v/'",
        "    - if: ${CI_COMMIT_BRANCH} == 'main'",
      ].join("\n"),
    });
    expect(found.map((d) => [where(d), d.message])).toEqual([
      [
        ".gitlab-ci.yml:4:29",
        'invalid expression "$CI_COMMIT_BRANCH = "main"": unknown token "= \\"main\\""',
      ],
      [
        ".gitlab-ci.yml:5:30",
        'invalid expression "$CI_COMMIT_TAG && ($CI_COMMIT_TAG =~ /^v/": unmatched parenthesis',
      ],
      [
        ".gitlab-ci.yml:6:11",
        "invalid expression \"${CI_COMMIT_BRANCH} == 'main'\": ${VAR} is not expression syntax",
      ],
    ]);
    expect(found[0]?.hint).toBe("comparisons are == or =~");
    expect(found[2]?.hint).toBe("write variables as $VAR in rules:if");
  });

  it("an include of a missing local file, with the closest file as a hint", async () => {
    const found = await problems({
      ".gitlab-ci.yml": ["include:", "  - local: ci/bulid.yml", "job: {script: [x]}"].join("\n"),
      "ci/build.yml": "build: {script: [x]}\n",
    });
    expect(found.map((d) => [where(d), d.message, d.hint])).toEqual([
      [
        ".gitlab-ci.yml:2:12",
        'include:local: file "ci/bulid.yml" does not exist',
        'did you mean "ci/build.yml"?',
      ],
    ]);
  });

  it("includes that need a GitLab server or the network are not supported, at their key", async () => {
    const found = await problems({
      ".gitlab-ci.yml": [
        "include:",
        "  - project: group/templates",
        "    file: /ci.yml",
        "  - remote: https://example.com/ci.yml",
        "  - template: Auto-DevOps.gitlab-ci.yml",
        "  - component: gitlab.com/org/comp/build@1.0",
        "  - https://example.com/other.yml",
        "job: {script: [x]}",
      ].join("\n"),
    });
    expect(found.map((d) => [where(d), d.message])).toEqual([
      [".gitlab-ci.yml:2:5", "not supported: include:project"],
      [".gitlab-ci.yml:4:5", "not supported: include:remote"],
      [".gitlab-ci.yml:5:5", "not supported: include:template"],
      [".gitlab-ci.yml:6:5", "not supported: include:component"],
      [".gitlab-ci.yml:7:5", "not supported: include:remote"],
    ]);
    expect(found[1]?.hint).toMatch(/download the file into the repository and use include:local/);
  });

  it("extends of an unknown job, in an included file, is reported there", async () => {
    const dir = await repo({
      ".gitlab-ci.yml": ["include: ci/jobs.yml", ".base: {script: [x]}"].join("\n"),
      "ci/jobs.yml": ["job:", "  extends: [.base, .bsae, .bse]"].join("\n"),
    });
    const found = await rejected(load(dir));
    expect(found.map((d) => [where(d), d.message, d.hint])).toEqual([
      ["ci/jobs.yml:2:20", 'job: unknown job ".bsae" in extends', 'did you mean ".base"?'],
      ["ci/jobs.yml:2:27", 'job: unknown job ".bse" in extends', 'did you mean ".base"?'],
    ]);
  });

  it("a job whose template is missing is reported once, not also for the script it lacks", async () => {
    const found = await problems({ ".gitlab-ci.yml": ".tests: {script: [x]}\nunit: {extends: .test}\n" });
    expect(found.map((d) => [where(d), d.message, d.hint])).toEqual([
      [".gitlab-ci.yml:2:17", 'unit: unknown job ".test" in extends', 'did you mean ".tests"?'],
    ]);
  });

  it("names included files the way the main file was named, so their lines can be shown", async () => {
    const dir = await repo({
      ".gitlab-ci.yml": "include: ci/jobs.yml\n",
      "ci/jobs.yml": "job:\n  stage: nowhere\n  script: [x]\n",
    });
    const shownAs = join(basename(dir), ".gitlab-ci.yml");
    const found = await rejected(
      loadGitlabPipeline(join(dir, ".gitlab-ci.yml"), shownAs, { projectDir: dir }),
    );
    const included = join(basename(dir), "ci", "jobs.yml");
    expect(where(found[0])).toBe(`${included}:2:10`);
    const frame = formatDiagnostics(
      found,
      new Map([[included, await readFile(join(dir, "ci/jobs.yml"), "utf8")]]),
    );
    expect(frame).toContain("  2 |   stage: nowhere\n    |          ^");
  });

  it("an extends cycle, with its path", async () => {
    const found = await problems({
      ".gitlab-ci.yml": [
        ".a: {extends: .b}",
        ".b: {extends: .c}",
        ".c: {extends: .a}",
        "job: {extends: .a, script: [x]}",
      ].join("\n"),
    });
    expect(found.map((d) => d.message)).toContain(
      ".c: circular dependency detected in extends: .a -> .b -> .c -> .a",
    );
    expect(where(found[0])).toMatch(/^\.gitlab-ci\.yml:\d+:\d+$/);
  });

  it("a stage that is not in stages", async () => {
    const found = await problems({
      ".gitlab-ci.yml": ["stages: [build, test, deploy]", "job:", "  stage: tests", "  script: [x]"].join(
        "\n",
      ),
    });
    expect(found.map((d) => [where(d), d.message, d.hint])).toEqual([
      [
        ".gitlab-ci.yml:3:10",
        'job: stage "tests" is not defined in stages',
        'did you mean "test"? stages: .pre, build, test, deploy, .post',
      ],
    ]);
  });

  it("needs of an unknown job, of a later stage, of a job the rules exclude, and cycles", async () => {
    const found = await problems({
      ".gitlab-ci.yml": [
        "build: {stage: build, script: [x]}",
        "tagged: {stage: build, script: [x], rules: [{if: $CI_COMMIT_TAG}]}",
        "deploy: {stage: deploy, script: [x]}",
        "test:",
        "  script: [x]",
        "  needs:",
        "    - biuld",
        "    - deploy",
        "    - tagged",
        "    - {job: tagged, optional: true}",
      ].join("\n"),
    });
    expect(found.map((d) => [where(d), d.message])).toEqual([
      [".gitlab-ci.yml:7:7", 'test: needs "biuld", which is not a job of the pipeline'],
      [".gitlab-ci.yml:8:7", 'test: needs "deploy" of the later stage "deploy"'],
      [
        ".gitlab-ci.yml:9:7",
        'test: needs "tagged", but "tagged" is not in the pipeline for branch "main" (push) (its rules or only/except exclude it)',
      ],
    ]);
    expect(found[0]?.hint).toBe('did you mean "build"?');
    const cycle = await problems({
      ".gitlab-ci.yml": [
        "a: {stage: test, script: [x], needs: [b]}",
        "b: {stage: test, script: [x], needs: [a]}",
      ].join("\n"),
    });
    expect(cycle.map((d) => [where(d), d.message])).toEqual([
      [".gitlab-ci.yml:2:39", "needs form a cycle: a -> b -> a"],
    ]);
  });

  it("values of the wrong type, with what GitLab expects", async () => {
    const found = await problems({
      ".gitlab-ci.yml": [
        "variables:",
        "  DEBUG: yes",
        "job:",
        "  script: [x]",
        "  retry: 5",
        "  timeout: soon",
        "  parallel: 0",
        "  when: later",
      ].join("\n"),
    });
    expect(found.map((d) => [where(d), d.message.split(":")[0]])).toEqual([
      [".gitlab-ci.yml:2:10", "variables"],
      [".gitlab-ci.yml:5:10", "job"],
      [".gitlab-ci.yml:7:13", "job"],
      [".gitlab-ci.yml:8:9", "job"],
    ]);
    expect(found[0]?.hint).toMatch(/quote values like "true", "yes" or "on"/);
    const timeout = await problems({ ".gitlab-ci.yml": "job:\n  script: [x]\n  timeout: soon\n" });
    expect(timeout.map((d) => [where(d), d.message])).toEqual([
      [".gitlab-ci.yml:3:12", 'job:timeout: "soon" is not a duration'],
    ]);
  });

  it("!reference to something that does not exist, and YAML syntax errors", async () => {
    const found = await problems({
      ".gitlab-ci.yml": [
        ".setup: {script: [a]}",
        "job:",
        "  script:",
        "    - !reference [.setup, scripts]",
      ].join("\n"),
    });
    expect(found.map((d) => [where(d), d.message, d.hint])).toEqual([
      [
        ".gitlab-ci.yml:4:7",
        '!reference [.setup, scripts]: ".setup" has no key "scripts"',
        'did you mean "script"?',
      ],
    ]);
    const syntax = await problems({ ".gitlab-ci.yml": "job:\n  script: [x\n" });
    expect(syntax[0]?.message).toMatch(/^YAML syntax/);
    expect(syntax[0]?.position.line).toBeGreaterThanOrEqual(2);
  });

  it("keywords that cannot run are rejected for the jobs that run, not for the others", async () => {
    const file = [
      "test:",
      "  script: [x]",
      "  services: [postgres:16]",
      "trigger-child:",
      "  trigger: {include: child.yml}",
      "  rules: [{if: $CI_COMMIT_TAG}]",
      // An empty list switches services off (GitLab's security templates do): nothing to reject.
      "no-services: {script: [x], services: []}",
      "remote-files:",
      "  script: [x]",
      "  rules: [{exists: {paths: [Dockerfile], project: group/other}}]",
    ].join("\n");
    const found = await problems({ ".gitlab-ci.yml": file });
    expect(found.map((d) => [where(d), d.message])).toEqual([
      [".gitlab-ci.yml:3:3", "test: not supported: services"],
      [".gitlab-ci.yml:10:42", "not supported: rules:exists:project"],
    ]);
    expect(found[0]?.hint).toMatch(/container runtime/);
  });

  it("a job named on the command line must be part of the pipeline", async () => {
    const dir = await repo({
      ".gitlab-ci.yml": [
        "build: {script: [x]}",
        "release: {script: [x], rules: [{if: $CI_COMMIT_TAG}]}",
      ].join("\n"),
    });
    await expect(load(dir, { jobs: ["biuld"] })).rejects.toThrow(UsageError);
    await expect(load(dir, { jobs: ["biuld"] })).rejects.toMatchObject({ hint: 'did you mean "build"?' });
    await expect(load(dir, { jobs: ["release"] })).rejects.toThrow(
      /job "release" is not in the pipeline for branch "main" \(push\)/,
    );
  });
});
