import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commit, git, load, names, planned, rejected, repo, where } from "./helpers.js";

/**
 * A corpus of realistic .gitlab-ci.yml files, compiled for the local git state and planned;
 * the jobs and what each waits for must be what GitLab documents for the same file.
 */
describe("GitLab corpus: planned jobs and needs", () => {
  it("Node: stages order the jobs, needs start them early, parallel: N numbers shards, manual deploys wait", async () => {
    const dir = await repo({}, { fixture: "node" });
    const loaded = await load(dir);
    const unit = ["unit 1/3", "unit 2/3", "unit 3/3"];
    expect(planned(loaded)).toEqual([
      { name: "install", needs: [] },
      { name: "lint", needs: ["install"] },
      ...unit.map((name) => ({ name, needs: ["install"] })),
      { name: "build", needs: ["install", "lint", ...unit] },
      { name: "deploy_staging", needs: ["install", "lint", ...unit, "build"] },
    ]);
    // rules: when: manual makes a blocking manual job (allow_failure false): not run unless named.
    expect(loaded.warnings.map((w) => w.message)).toContain(
      'manual job "deploy_production" does not run; name it to run it (slipway run --gitlab deploy_production)',
    );
    expect(loaded.warnings.find((w) => w.message.includes("node:20-alpine"))?.message).toMatch(
      /jobs run on this machine, not in the image node:20-alpine/,
    );
    expect(loaded.notes.map((n) => n.message.split(" (")[0])).toEqual(
      expect.arrayContaining(["cache", "interruptible", "tags", "coverage", "artifacts:expire_in"]),
    );

    const unit1 = loaded.pipeline.jobs.find((j) => j.id === "unit");
    expect(unit1?.env).toMatchObject({ CI_NODE_TOTAL: "3", CI_JOB_STAGE: "test", NODE_ENV: "test" });
    expect(unit1?.reports.junit).toEqual(["junit.xml"]);
    expect(unit1?.steps.map((s) => s.name)).toEqual(["before_script + script"]);
    const staging = loaded.pipeline.jobs.find((j) => j.id === "deploy_staging");
    expect(staging?.env).toMatchObject({
      CI_ENVIRONMENT_NAME: "staging",
      CI_ENVIRONMENT_SLUG: "staging",
      CI_ENVIRONMENT_URL: "https://staging.example.com",
      CI_ENVIRONMENT_TIER: "staging",
    });
  });

  it("Node: naming the manual job runs it, with a resource group as a concurrency group", async () => {
    const dir = await repo({}, { fixture: "node" });
    const loaded = await load(dir, { jobs: ["deploy_production"] });
    const job = loaded.pipeline.jobs.find((j) => j.id === "deploy_production");
    expect(job?.concurrency).toEqual({ group: "production", cancelInProgress: false });
    expect(job?.continueOnError).toBe(false);
    expect(job?.env.CI_JOB_MANUAL).toBe("true");
    expect(names(loaded)).toContain("deploy_production");
  });

  it("Node: on a feature branch the rules leave the deploys out", async () => {
    const dir = await repo({}, { fixture: "node" });
    git(dir, "checkout", "-q", "-b", "feature/login");
    const loaded = await load(dir);
    expect(names(loaded)).not.toContain("deploy_staging");
    expect(loaded.warnings.map((w) => w.message).join("\n")).not.toMatch(/deploy_production/);
  });

  it("Python: deprecated globals act as defaults, parallel:matrix names its children, only/except pick refs", async () => {
    const dir = await repo({ "requirements.txt": "pytest\n" }, { fixture: "python" });
    const loaded = await load(dir);
    const pytest = ["pytest: [3.10]", "pytest: [3.11]", "pytest: [3.12]"];
    expect(planned(loaded)).toEqual([
      { name: "flake8", needs: [] },
      { name: "mypy", needs: [] },
      ...pytest.map((name) => ({ name, needs: ["flake8", "mypy"] })),
      { name: "pages", needs: ["flake8", "mypy", ...pytest] },
    ]);
    const flake8 = loaded.pipeline.jobs.find((j) => j.id === "flake8");
    expect(flake8?.continueOnError).toBe(true);
    expect(flake8?.steps[0]?.run).toContain("pip install -r requirements.txt");
    expect(flake8?.env.PIP_CACHE_DIR).toBe("${{ slipway.workspace }}/.cache/pip");
    const pages = loaded.pipeline.jobs.find((j) => j.id === "pages");
    expect(pages?.artifacts).toEqual(["public"]);
    expect(loaded.warnings.map((w) => w.message)).toContain(
      "pages: the GitLab Pages site (public/) is kept as an artifact of the run, not published",
    );

    // except: /^docs-.*$/ and only: [main] on another branch.
    git(dir, "checkout", "-q", "-b", "docs-typos");
    expect(names(await load(dir))).toEqual(["flake8", "mypy"]);
    // A merge request pipeline: jobs without only/rules are not created, only: merge_requests is.
    const mr = await load(dir, { variables: { CI_PIPELINE_SOURCE: "merge_request_event" } });
    expect(names(mr)).toEqual(pytest);
  });

  it("Go: needs: [] starts at once, needs:parallel:matrix checks the child, rules keep the release for tags", async () => {
    const dir = await repo({ "go.mod": "module example.com/app\n" }, { fixture: "go" });
    const loaded = await load(dir);
    const builds = [
      "build: [linux, amd64]",
      "build: [linux, arm64]",
      "build: [darwin, amd64]",
      "build: [darwin, arm64]",
    ];
    expect(planned(loaded)).toEqual([
      ...builds.map((name) => ({ name, needs: [] })),
      { name: "lint", needs: [] },
      { name: "test", needs: builds },
    ]);
    expect(loaded.warnings.map((w) => w.message)).toContain(
      'test: needs:parallel:matrix waits for every child of "build", not only the named ones',
    );

    // On a tag the release job is created, and its release: keyword cannot run here.
    git(dir, "tag", "v1.0.0");
    git(dir, "checkout", "-q", "--detach", "v1.0.0");
    const found = await rejected(load(dir));
    expect(found.map((d) => d.message)).toEqual(["release: not supported: release"]);
    expect(where(found[0])).toBe(".gitlab-ci.yml:41:3");
    expect(found[0]?.hint).toMatch(/GitLab API/);
  });

  it("monorepo: include:local with wildcards, extends chains, !reference and rules:changes", async () => {
    const dir = await repo({}, { fixture: "monorepo" });
    git(dir, "checkout", "-q", "-b", "feature/api");
    await commit(dir, "api change", { "services/api/handler.go": "package api\n" });
    const loaded = await load(dir);
    expect(planned(loaded)).toEqual([
      { name: "api:build", needs: [] },
      { name: "api:test", needs: ["api:build"] },
    ]);
    expect(loaded.pipeline.name).toBe("monorepo feature/api");
    const test = loaded.pipeline.jobs.find((j) => j.id === "api:test");
    // .test extends .build extends .service; the job's own variables win; !reference inlines .setup.
    expect(test?.steps[0]?.run).toBe(
      [
        "printf '%s\\n' '$ echo \"setting up $SERVICE\"'",
        'echo "setting up $SERVICE"',
        "printf '%s\\n' '$ cd services/$SERVICE'",
        "cd services/$SERVICE",
        "printf '%s\\n' '$ make test'",
        "make test",
      ].join("\n"),
    );
    expect(test?.env).toMatchObject({ SERVICE: "api", LOG_LEVEL: "info", CI_JOB_STAGE: "test" });
    expect(test?.position).toEqual({ file: "services/api/ci.yml", line: 8, column: 1 });
    expect([...loaded.sources.keys()]).toEqual([
      ".gitlab-ci.yml",
      "ci/templates.yml",
      "services/api/ci.yml",
      "services/web/ci.yml",
    ]);

    // An uncommitted change counts: it is in the run's workspace.
    await import("node:fs/promises").then((fs) => fs.writeFile(`${dir}/services/web/page.html`, "<p>hi</p>"));
    expect(names(await load(dir))).toEqual(["api:build", "web:build", "api:test", "web:test"]);

    // On main, only the last commit's changes count, and deploy joins.
    git(dir, "checkout", "-q", "-f", "main");
    git(dir, "clean", "-qfd");
    git(dir, "merge", "-q", "--ff-only", "feature/api");
    expect(planned(await load(dir))).toEqual([
      { name: "api:build", needs: [] },
      { name: "api:test", needs: ["api:build"] },
      { name: "deploy", needs: ["api:build", "api:test"] },
    ]);
  });

  it("the docs' parallel:matrix example expands to the documented job names", async () => {
    // https://docs.gitlab.com/ci/yaml/#parallelmatrix and the naming change in GitLab MR 39985.
    const dir = await repo({
      ".gitlab-ci.yml": [
        "deploystacks:",
        "  stage: deploy",
        "  script:",
        "    - bin/deploy",
        "  parallel:",
        "    matrix:",
        "      - PROVIDER: aws",
        "        STACK:",
        "          - monitoring",
        "          - app1",
        "          - app2",
        "      - PROVIDER: ovh",
        "        STACK: [monitoring, backup, app]",
        "      - PROVIDER: [gcp, vultr]",
        "        STACK: [data, processing]",
        "  environment: $PROVIDER/$STACK",
      ].join("\n"),
    });
    const loaded = await load(dir);
    expect(names(loaded)).toEqual([
      "deploystacks: [aws, monitoring]",
      "deploystacks: [aws, app1]",
      "deploystacks: [aws, app2]",
      "deploystacks: [ovh, monitoring]",
      "deploystacks: [ovh, backup]",
      "deploystacks: [ovh, app]",
      "deploystacks: [gcp, data]",
      "deploystacks: [gcp, processing]",
      "deploystacks: [vultr, data]",
      "deploystacks: [vultr, processing]",
    ]);
    const job = loaded.pipeline.jobs[0];
    expect(job?.env.CI_ENVIRONMENT_NAME).toBe("${{ matrix['PROVIDER'] }}/${{ matrix['STACK'] }}");
    expect(job?.env.CI_NODE_TOTAL).toBe("10");
    expect(job?.matrix?.failFast).toBe(false);
  });

  it("the docs' when example: on_failure and always jobs wait for every earlier stage", async () => {
    // https://docs.gitlab.com/ci/yaml/#when
    const dir = await repo({
      ".gitlab-ci.yml": [
        "stages: [build, cleanup_build, test, deploy, cleanup]",
        "build_job: {stage: build, script: [make build]}",
        "cleanup_build_job: {stage: cleanup_build, script: [cleanup build when failed], when: on_failure}",
        "test_job: {stage: test, script: [make test]}",
        "deploy_job: {stage: deploy, script: [make deploy], when: manual, environment: production}",
        "cleanup_job: {stage: cleanup, script: [cleanup after jobs], when: always}",
      ].join("\n"),
    });
    const loaded = await load(dir);
    expect(planned(loaded)).toEqual([
      { name: "build_job", needs: [] },
      { name: "cleanup_build_job", needs: ["build_job"] },
      { name: "test_job", needs: ["build_job", "cleanup_build_job"] },
      // deploy_job is manual with allow_failure: true: it does not run and nothing waits for it.
      { name: "cleanup_job", needs: ["build_job", "cleanup_build_job", "test_job"] },
    ]);
    const ifOf = (id: string) => loaded.pipeline.jobs.find((j) => j.id === id)?.if;
    expect(ifOf("cleanup_build_job")).toBe("always() && contains(needs.*.result, 'failure')");
    expect(ifOf("cleanup_job")).toBe("always()");
    expect(ifOf("test_job")).toBe(
      "always() && !contains(needs.*.result, 'failure') && !contains(needs.*.result, 'cancelled')",
    );
  });

  it("the docs' needs:optional example: a missing optional need is dropped", async () => {
    // https://docs.gitlab.com/ci/yaml/#needsoptional
    const file = [
      "build-job: {stage: build, script: [b]}",
      "test-job1: {stage: test, script: [t1]}",
      "test-job2:",
      "  stage: test",
      "  script: [t2]",
      "  rules:",
      "    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
      "deploy-job:",
      "  stage: deploy",
      "  script: [d]",
      "  needs: [{job: test-job2, optional: true}, {job: test-job1}]",
      "  environment: production",
      "review-job:",
      "  stage: deploy",
      "  script: [r]",
      "  needs: [{job: test-job2, optional: true}]",
      "  environment: review",
    ].join("\n");
    const dir = await repo({ ".gitlab-ci.yml": file });
    expect(planned(await load(dir))).toEqual([
      { name: "build-job", needs: [] },
      { name: "test-job1", needs: ["build-job"] },
      { name: "test-job2", needs: ["build-job"] },
      { name: "deploy-job", needs: ["test-job2", "test-job1"] },
      { name: "review-job", needs: ["test-job2"] },
    ]);
    git(dir, "checkout", "-q", "-b", "feature");
    expect(planned(await load(dir))).toEqual([
      { name: "build-job", needs: [] },
      { name: "test-job1", needs: ["build-job"] },
      { name: "deploy-job", needs: ["test-job1"] },
      { name: "review-job", needs: [] },
    ]);
  });

  it(".pre and .post always come first and last; a job without stage is in test", async () => {
    const dir = await repo({
      ".gitlab-ci.yml": [
        "stages: [build, test]",
        "last: {stage: .post, script: [x]}",
        "tests: {script: [x]}",
        "first: {stage: .pre, script: [x]}",
        "compile: {stage: build, script: [x]}",
      ].join("\n"),
    });
    expect(planned(await load(dir))).toEqual([
      { name: "first", needs: [] },
      { name: "compile", needs: ["first"] },
      { name: "tests", needs: ["first", "compile"] },
      { name: "last", needs: ["first", "compile", "tests"] },
    ]);
  });

  it("default: is copied into jobs unless inherit: says otherwise; default:timeout has no effect, as in GitLab", async () => {
    const dir = await repo({
      ".gitlab-ci.yml": [
        "variables: {A: a, B: b}",
        "default:",
        "  before_script: [echo default-before]",
        "  after_script: [echo default-after]",
        "  retry: 2",
        "  timeout: 10m",
        "all: {script: [x]}",
        "none: {script: [x], inherit: {default: false, variables: false}}",
        "some: {script: [x], inherit: {default: [retry], variables: [B]}}",
        "own: {script: [x], timeout: 2h 30m, before_script: [echo own]}",
      ].join("\n"),
    });
    const loaded = await load(dir);
    const job = (id: string) => loaded.pipeline.jobs.find((j) => j.id === id);
    expect(job("all")?.steps.map((s) => s.name)).toEqual(["before_script + script", "after_script"]);
    expect(job("all")?.steps[0]?.retry.count).toBe(2);
    expect(job("all")?.timeoutMinutes).toBe(60);
    expect(job("all")?.env).toMatchObject({ A: "a", B: "b" });
    expect(job("none")?.steps.map((s) => s.name)).toEqual(["script"]);
    expect(job("none")?.steps[0]?.retry.count).toBe(0);
    expect(job("none")?.env.A).toBeUndefined();
    expect(job("some")?.steps.map((s) => s.name)).toEqual(["script"]);
    expect(job("some")?.steps[0]?.retry.count).toBe(2);
    expect(job("some")?.env.A).toBeUndefined();
    expect(job("some")?.env.B).toBe("b");
    expect(job("own")?.timeoutMinutes).toBe(150);
    expect(job("own")?.steps[0]?.run).toContain("echo own");
    expect(loaded.notes.map((n) => n.message)).toContain(
      "default:timeout (all jobs): GitLab ignores a default timeout (issue 213634), and so does Slipway",
    );
  });

  it("YAML anchors, aliases and merge keys work as in GitLab's YAML 1.1 loader", async () => {
    const dir = await repo({
      ".gitlab-ci.yml": [
        ".defaults: &defaults",
        "  stage: build",
        "  variables: {FROM: anchor}",
        "  script: &script",
        "    - echo anchored",
        "job1:",
        "  <<: *defaults",
        "  variables: {FROM: job}",
        "job2:",
        "  <<: *defaults",
        "  script:",
        "    - *script",
        "    - echo more",
      ].join("\n"),
    });
    const loaded = await load(dir);
    const job1 = loaded.pipeline.jobs.find((j) => j.id === "job1");
    expect(job1?.env.FROM).toBe("job");
    expect(job1?.steps[0]?.run).toContain("echo anchored");
    const job2 = loaded.pipeline.jobs.find((j) => j.id === "job2");
    expect(job2?.steps[0]?.run.split("\n").filter((l) => !l.startsWith("printf"))).toEqual([
      "echo anchored",
      "echo more",
    ]);
  });

  it("extends deep-merges hashes and replaces arrays, in extends order", async () => {
    // https://docs.gitlab.com/ci/yaml/yaml_optimization/#merge-details
    const dir = await repo({
      ".gitlab-ci.yml": [
        ".only-important:",
        "  variables: {URL: http://my-url.internal, IMPORTANT_VAR: the details}",
        "  rules:",
        "    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
        "    - if: $CI_COMMIT_BRANCH =~ /^special/",
        "  script: [echo important]",
        ".in-docker:",
        "  tags: [docker]",
        "  image: alpine",
        "rspec:",
        "  variables: {GITLAB: is-awesome}",
        "  extends: [.only-important, .in-docker]",
        "  script: [rake rspec]",
      ].join("\n"),
    });
    const loaded = await load(dir);
    const rspec = loaded.pipeline.jobs.find((j) => j.id === "rspec");
    expect(rspec?.env).toMatchObject({
      URL: "http://my-url.internal",
      IMPORTANT_VAR: "the details",
      GITLAB: "is-awesome",
    });
    expect(rspec?.steps[0]?.run).toBe("printf '%s\\n' '$ rake rspec'\nrake rspec");
    git(dir, "checkout", "-q", "-b", "other");
    await expect(load(dir)).rejects.toThrow(/no job runs for branch "other"/);
  });

  it("variables: nested references expand, expand: false keeps them, $$ is a dollar, ${{ }} is not evaluated", async () => {
    const dir = await repo({
      ".gitlab-ci.yml": [
        "variables:",
        "  BASE: /opt",
        "  DIR: ${BASE}/app",
        "  BIN: $DIR/bin",
        "  RAW: {value: $BASE/raw, expand: false}",
        "  PRICE: $$5",
        "  ACTIONS: ${{ github.sha }}",
        "  DESCRIBED: {value: x, description: shown in the UI}",
        "  HOME_BIN: $HOME/bin",
        "job:",
        "  variables: {BASE: /srv}",
        "  script: [x]",
      ].join("\n"),
    });
    const env = (await load(dir)).pipeline.jobs[0]?.env;
    expect(env).toMatchObject({
      BASE: "/srv",
      DIR: "/srv/app",
      BIN: "/srv/app/bin",
      RAW: "$BASE/raw",
      PRICE: "$5",
      ACTIONS: "${{ '${{' }} github.sha }}",
      DESCRIBED: "x",
      HOME_BIN: "${{ env['HOME'] }}/bin",
    });
  });

  it("workflow:rules set variables for every job and can refuse to create a pipeline", async () => {
    const file = [
      "variables: {DEPLOY_VARIABLE: default-deploy}",
      "workflow:",
      "  rules:",
      "    - if: $CI_COMMIT_TITLE =~ /-draft$/",
      "      when: never",
      "    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
      "      variables: {DEPLOY_VARIABLE: deploy-production}",
      "    - if: $CI_COMMIT_BRANCH =~ /feature/",
      "      variables: {IS_A_FEATURE: 'true'}",
      "job1:",
      "  variables: {DEPLOY_VARIABLE: job1-default-deploy}",
      "  rules:",
      "    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
      "      variables: {DEPLOY_VARIABLE: job1-deploy-production}",
      "    - when: on_success",
      "  script: [x]",
      "job2: {script: [x]}",
    ].join("\n");
    const dir = await repo({ ".gitlab-ci.yml": file });
    const env = async () => {
      const jobs = (await load(dir)).pipeline.jobs;
      return jobs.map((j) => [j.id, j.env.DEPLOY_VARIABLE, j.env.IS_A_FEATURE ?? "-"]);
    };
    expect(await env()).toEqual([
      ["job1", "job1-deploy-production", "-"],
      ["job2", "deploy-production", "-"],
    ]);
    git(dir, "checkout", "-q", "-b", "feature");
    expect(await env()).toEqual([
      ["job1", "job1-default-deploy", "true"],
      ["job2", "default-deploy", "true"],
    ]);
    git(dir, "checkout", "-q", "-b", "other");
    const [d] = await rejected(load(dir));
    expect(d?.message).toBe(
      'workflow:rules match nothing, so GitLab creates no pipeline for branch "other" (push)',
    );
    expect(where(d)).toBe(".gitlab-ci.yml:3:3");
    git(dir, "checkout", "-q", "main");
    await commit(dir, "wip-draft", { "a.txt": "a" });
    const [never] = await rejected(load(dir));
    expect(never?.message).toMatch(/workflow:rules say when: never/);
    expect(where(never)).toBe(".gitlab-ci.yml:4:7");
  });

  it("include: nested files merge under the including one, include:rules pick files, cycles are errors", async () => {
    const dir = await repo({
      ".gitlab-ci.yml": [
        "include:",
        "  - local: ci/base.yml",
        "  - local: ci/release.yml",
        "    rules: [{if: $CI_COMMIT_TAG}]",
        "variables: {LEVEL: main}",
        "test: {script: [x], variables: {OWN: test}}",
      ].join("\n"),
      "ci/base.yml": [
        "include: ci/deep.yml",
        "variables: {LEVEL: base, BASE: yes-base}",
        "lint: {script: [x]}",
      ].join("\n"),
      "ci/deep.yml": [
        "variables: {DEEP: deep, LEVEL: deep}",
        "test: {stage: build, variables: {FROM_DEEP: d}}",
      ].join("\n"),
      "ci/release.yml": "release: {script: [x]}\n",
    });
    const loaded = await load(dir);
    expect(names(loaded)).toEqual(["test", "lint"]);
    const test = loaded.pipeline.jobs.find((j) => j.id === "test");
    // The including file wins, mappings merge at any depth.
    expect(test?.env).toMatchObject({
      LEVEL: "main",
      BASE: "yes-base",
      DEEP: "deep",
      OWN: "test",
      FROM_DEEP: "d",
    });
    expect(test?.env.CI_JOB_STAGE).toBe("build");
    expect(names(await load(dir, { variables: { CI_COMMIT_TAG: "v1" } }))).toEqual([
      "test",
      "lint",
      "release",
    ]);

    await writeFile(join(dir, "ci/deep.yml"), "include: ci/base.yml\n");
    const found = await rejected(load(dir));
    expect(found.map((d) => [where(d), d.message])).toEqual([
      ["ci/deep.yml:1:10", "include cycle: .gitlab-ci.yml -> ci/base.yml -> ci/deep.yml -> ci/base.yml"],
    ]);
  });

  it("manual jobs: a blocking one holds back later stages, needs on one that does not run skip", async () => {
    const dir = await repo({
      ".gitlab-ci.yml": [
        "build: {stage: build, script: [x]}",
        "approve: {stage: build, script: [x], when: manual, allow_failure: false}",
        "preview: {stage: build, script: [x], when: manual}",
        "test: {stage: test, script: [x]}",
        "smoke: {stage: test, script: [x], needs: [preview]}",
        "lint: {stage: test, script: [x], needs: [build]}",
      ].join("\n"),
    });
    const loaded = await load(dir);
    expect(planned(loaded)).toEqual([
      { name: "build", needs: [] },
      { name: "lint", needs: ["build"] },
    ]);
    expect(loaded.warnings.map((w) => w.message)).toEqual([
      'manual job "approve" does not run; name it to run it (slipway run --gitlab approve)',
      'manual job "preview" does not run; name it to run it (slipway run --gitlab preview)',
      '"test" does not run: it waits for "approve", which does not run',
      '"smoke" does not run: it waits for "preview", which does not run',
    ]);
    // Naming a job runs the manual jobs it waits for.
    expect(planned(await load(dir, { jobs: ["test", "smoke"] }))).toEqual([
      { name: "build", needs: [] },
      { name: "approve", needs: [] },
      { name: "preview", needs: [] },
      { name: "test", needs: ["build", "approve", "preview"] },
      { name: "smoke", needs: ["preview"] },
      { name: "lint", needs: ["build"] },
    ]);
  });
});
