import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commit, git, load, names, rejected, repo, where } from "./helpers.js";

/**
 * Rules against the local git state: real repositories with commits, branches and tags, the
 * way GitLab would see a push of the checked-out branch.
 */
describe("rules:if against the ref of the working tree", () => {
  const file = [
    "on-main:",
    "  script: [x]",
    "  rules: [{if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH}]",
    "on-branch:",
    "  script: [x]",
    "  rules: [{if: '$CI_COMMIT_BRANCH && $CI_COMMIT_BRANCH != $CI_DEFAULT_BRANCH'}]",
    "on-feature:",
    "  script: [x]",
    "  rules: [{if: $CI_COMMIT_REF_NAME =~ /^feature\\//}]",
    "on-tag:",
    "  script: [x]",
    "  rules: [{if: $CI_COMMIT_TAG =~ /^v\\d+/}]",
    "on-mr:",
    "  script: [x]",
    "  rules: [{if: $CI_PIPELINE_SOURCE == 'merge_request_event'}]",
  ].join("\n");

  it("uses the checked-out branch, the default branch and tags", async () => {
    const dir = await repo({ ".gitlab-ci.yml": file });
    expect(names(await load(dir))).toEqual(["on-main"]);
    git(dir, "checkout", "-q", "-b", "feature/login");
    expect(names(await load(dir))).toEqual(["on-branch", "on-feature"]);
    // A detached HEAD at a tag is a tag pipeline: CI_COMMIT_TAG, no CI_COMMIT_BRANCH.
    git(dir, "tag", "v1.2.0");
    git(dir, "checkout", "-q", "--detach", "v1.2.0");
    const tagged = await load(dir);
    expect(names(tagged)).toEqual(["on-tag"]);
    expect(tagged.pipeline.jobs[0]?.env).toMatchObject({
      CI_COMMIT_TAG: "v1.2.0",
      CI_COMMIT_REF_NAME: "v1.2.0",
    });
    expect(tagged.pipeline.jobs[0]?.env.CI_COMMIT_BRANCH).toBeUndefined();
  });

  it("simulates another ref or source with run variables", async () => {
    const dir = await repo({ ".gitlab-ci.yml": file });
    expect(names(await load(dir, { variables: { CI_COMMIT_TAG: "v2.0.0" } }))).toEqual(["on-tag"]);
    expect(names(await load(dir, { variables: { CI_COMMIT_BRANCH: "feature/x" } }))).toEqual([
      "on-branch",
      "on-feature",
    ]);
    const mr = await load(dir, { variables: { CI_PIPELINE_SOURCE: "merge_request_event" } });
    expect(names(mr)).toEqual(["on-mr"]);
    expect(mr.pipeline.jobs[0]?.env).toMatchObject({
      CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: "main",
      CI_MERGE_REQUEST_TARGET_BRANCH_NAME: "main",
      CI_PIPELINE_SOURCE: "merge_request_event",
    });
  });

  it("sets the predefined variables from the repository and its origin remote", async () => {
    const dir = await repo({ ".gitlab-ci.yml": "job: {script: [x]}\n" });
    await commit(dir, "Add the parser\n\nIt reads GitLab files.", { "parser.ts": "x" });
    git(
      dir,
      "remote",
      "add",
      "origin",
      "https://ci:s3cret@gitlab.example.com/platform/tools/slipway-demo.git",
    );
    git(dir, "update-ref", "refs/remotes/origin/trunk", "HEAD");
    git(dir, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk");
    git(dir, "checkout", "-q", "-b", "Feature/Add_Parser");
    const env = (await load(dir)).pipeline.jobs[0]?.env ?? {};
    const sha = git(dir, "rev-parse", "HEAD");
    expect(env).toMatchObject({
      CI: "true",
      GITLAB_CI: "true",
      CI_COMMIT_SHA: sha,
      CI_COMMIT_SHORT_SHA: sha.slice(0, 8),
      CI_COMMIT_BEFORE_SHA: git(dir, "rev-parse", "HEAD~1"),
      CI_COMMIT_BRANCH: "Feature/Add_Parser",
      CI_COMMIT_REF_NAME: "Feature/Add_Parser",
      CI_COMMIT_REF_SLUG: "feature-add-parser",
      CI_COMMIT_MESSAGE: "Add the parser\n\nIt reads GitLab files.",
      CI_COMMIT_TITLE: "Add the parser",
      CI_COMMIT_DESCRIPTION: "It reads GitLab files.",
      CI_COMMIT_AUTHOR: "Ada Lovelace <ada@example.com>",
      CI_DEFAULT_BRANCH: "trunk",
      CI_PIPELINE_SOURCE: "push",
      CI_PROJECT_NAME: "slipway-demo",
      CI_PROJECT_PATH: "platform/tools/slipway-demo",
      CI_PROJECT_NAMESPACE: "platform/tools",
      CI_PROJECT_ROOT_NAMESPACE: "platform",
      CI_PROJECT_PATH_SLUG: "platform-tools-slipway-demo",
      CI_PROJECT_URL: "https://gitlab.example.com/platform/tools/slipway-demo",
      CI_SERVER_HOST: "gitlab.example.com",
      CI_REPOSITORY_URL: "https://gitlab.example.com/platform/tools/slipway-demo.git",
      CI_PROJECT_DIR: "${{ slipway.workspace }}",
      CI_PIPELINE_ID: "${{ slipway.run_id }}",
      CI_CONFIG_PATH: ".gitlab-ci.yml",
      CI_JOB_NAME: "job",
      CI_JOB_STAGE: "test",
      CI_NODE_TOTAL: "1",
    });
    expect(JSON.stringify(env)).not.toContain("s3cret");
  });
});

describe("rules:changes against the local git state", () => {
  const file = [
    "api:",
    "  script: [x]",
    "  rules: [{changes: ['api/**/*']}]",
    "docs:",
    "  script: [x]",
    "  rules: [{changes: {paths: ['**/*.md']}}]",
    "web:",
    "  script: [x]",
    "  rules: [{changes: ['web/*.{html,css}']}]",
  ].join("\n");
  const files = { ".gitlab-ci.yml": file, "api/main.go": "1", "README.md": "1", "web/index.html": "1" };

  it("a feature branch compares with where it left the default branch", async () => {
    const dir = await repo(files);
    git(dir, "checkout", "-q", "-b", "feature");
    await commit(dir, "api", { "api/handler/user.go": "2" });
    await commit(dir, "web", { "web/site.css": "2" });
    // A later commit on main does not count as a change of the branch.
    git(dir, "checkout", "-q", "main");
    await commit(dir, "docs on main", { "README.md": "2" });
    git(dir, "checkout", "-q", "feature");
    expect(names(await load(dir))).toEqual(["api", "web"]);
  });

  it("the default branch compares with its previous commit, and uncommitted files count", async () => {
    const dir = await repo(files);
    await commit(dir, "docs", { "guide/setup.md": "1" });
    expect(names(await load(dir))).toEqual(["docs"]);
    await writeFile(join(dir, "api", "main.go"), "changed, not committed");
    expect(names(await load(dir))).toEqual(["api", "docs"]);
  });

  it("is always true for a tag, as GitLab has no push to compare", async () => {
    const dir = await repo(files);
    await commit(dir, "docs", { "guide/setup.md": "1" });
    git(dir, "tag", "v1");
    git(dir, "checkout", "-q", "--detach", "v1");
    expect(names(await load(dir))).toEqual(["api", "docs", "web"]);
  });

  it("compare_to compares with another ref, and rejects one that does not exist", async () => {
    const dir = await repo({
      ".gitlab-ci.yml": [
        "job:",
        "  script: [x]",
        "  rules:",
        "    - changes:",
        "        paths: [src/**/*]",
        "        compare_to: refs/heads/release",
        "always: {script: [x]}",
      ].join("\n"),
    });
    git(dir, "branch", "release");
    expect(names(await load(dir))).toEqual(["always"]);
    await commit(dir, "src", { "src/a.ts": "1" });
    await commit(dir, "more", { "other.txt": "1" });
    expect(names(await load(dir))).toEqual(["job", "always"]);
    git(dir, "branch", "-D", "release");
    const [d] = await rejected(load(dir));
    expect(d?.message).toMatch(/compare_to: "refs\/heads\/release" is not a branch, tag or commit/);
    expect(where(d)).toBe(".gitlab-ci.yml:6:21");
  });
});

describe("rules:exists, only/except", () => {
  it("exists matches files and directories of the working tree, with variables", async () => {
    const dir = await repo({
      ".gitlab-ci.yml": [
        "variables: {DOCKERPATH: '**/Dockerfile'}",
        "docker: {script: [x], rules: [{exists: [$DOCKERPATH]}]}",
        "helm: {script: [x], rules: [{exists: {paths: [charts/]}}]}",
        "gradle: {script: [x], rules: [{exists: [build.gradle]}]}",
      ].join("\n"),
      "services/api/Dockerfile": "FROM scratch",
      "charts/app/Chart.yaml": "name: app",
    });
    expect(names(await load(dir))).toEqual(["docker", "helm"]);
  });

  it("only/except: ref keywords, names, regular expressions, project paths, variables and changes", async () => {
    const dir = await repo({
      ".gitlab-ci.yml": [
        "default-refs: {script: [x]}",
        "main-only: {script: [x], only: [main]}",
        "release-branches: {script: [x], only: ['/^release-.*$/']}",
        "tags-only: {script: [x], only: [tags]}",
        "not-tags: {script: [x], except: [tags]}",
        "pushes: {script: [x], only: [pushes]}",
        "this-project: {script: [x], only: ['main@group/app']}",
        "other-project: {script: [x], only: ['main@group/other']}",
        "by-variable: {script: [x], only: {variables: ['$DEPLOY == \"yes\"']}}",
        "refs-and-changes: {script: [x], only: {refs: [branches], changes: [docs/*]}}",
        "except-changes: {script: [x], except: {changes: [docs/*]}}",
        "kubernetes: {script: [x], only: {kubernetes: active}}",
      ].join("\n"),
    });
    git(dir, "remote", "add", "origin", "git@gitlab.example.com:group/app.git");
    await commit(dir, "code", { "src/a.ts": "1" });
    expect(names(await load(dir))).toEqual([
      "default-refs",
      "main-only",
      "not-tags",
      "pushes",
      "this-project",
      "except-changes",
    ]);
    git(dir, "checkout", "-q", "-b", "release-1.0");
    await commit(dir, "docs", { "docs/index.md": "1" });
    expect(names(await load(dir, { variables: { DEPLOY: "yes" } }))).toEqual([
      "default-refs",
      "release-branches",
      "not-tags",
      "pushes",
      "by-variable",
      "refs-and-changes",
    ]);
    git(dir, "tag", "v1");
    git(dir, "checkout", "-q", "--detach", "v1");
    expect(names(await load(dir))).toEqual(["default-refs", "tags-only", "pushes"]);
  });

  it("rules: when, allow_failure, variables and needs of the matching rule apply", async () => {
    const dir = await repo({
      ".gitlab-ci.yml": [
        "build: {stage: build, script: [x]}",
        "prepare: {stage: build, script: [x]}",
        "job:",
        "  script: [x]",
        "  variables: {LEVEL: job}",
        "  allow_failure: false",
        "  rules:",
        "    - if: $CI_COMMIT_BRANCH == 'main'",
        "      when: always",
        "      allow_failure: true",
        "      variables: {LEVEL: rule}",
        "      needs: [prepare]",
        "    - when: never",
      ].join("\n"),
    });
    const job = (await load(dir)).pipeline.jobs.find((j) => j.id === "job");
    expect(job).toMatchObject({ needs: ["prepare"], continueOnError: true, if: "always()" });
    expect(job?.env.LEVEL).toBe("rule");
    git(dir, "checkout", "-q", "-b", "other");
    expect(names(await load(dir))).toEqual(["build", "prepare"]);
  });
});
