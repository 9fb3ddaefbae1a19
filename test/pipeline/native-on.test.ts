import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors/index.js";
import type { Diagnostic } from "../../src/errors/index.js";
import type { DialectScope } from "../../src/pipeline/dialect.js";
import { compileNativePipeline } from "../../src/pipeline/native/compile.js";
import { resolveNativeInputs } from "../../src/pipeline/native/inputs.js";
import { nativeOn } from "../../src/pipeline/native/on.js";
import type { NativeOn } from "../../src/pipeline/native/on.js";
import { triggerExclusion } from "../../src/pipeline/native/trigger.js";
import type { TriggerFacts } from "../../src/pipeline/native/trigger.js";
import { loadRunSource, NotTriggered } from "../../src/pipeline/run-source.js";
import type { RunSource } from "../../src/pipeline/run-source.js";
import { cli, project } from "../support/cli.js";
import { gitRepo } from "../support/slipway-server.js";

const JOBS = ["jobs:", "  a:", "    steps:", "      - run: echo hi"];

function compile(lines: string[]) {
  return compileNativePipeline([...lines, ...JOBS].join("\n"), "slipway.yaml");
}

function on(lines: string[]): NativeOn {
  const found = nativeOn(compile(lines));
  if (!found) throw new Error("expected on: in the IR");
  return found;
}

function diagnostics(lines: string[]): Diagnostic[] {
  try {
    compile(lines);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.diagnostics];
    throw error;
  }
  throw new Error("expected the pipeline to be rejected");
}

const at = (d: Diagnostic | undefined) => `${d?.position.line}:${d?.position.column}`;

describe("on: in slipway.yaml", () => {
  it("compiles into the IR with positions, and infers an input's type from its default", () => {
    const compiled = on([
      "on:",
      "  push:",
      '    branches: [main, "release/**"]',
      "  pull_request:",
      "  schedule:",
      '    - cron: "0 3 * * *"',
      "  manual:",
      "    inputs:",
      "      target: { description: where, default: staging, options: [staging, prod] }",
      "      dry-run: { default: false }",
      "      replicas: { default: 2 }",
      "      version: { required: true }",
    ]);
    expect(compiled.position).toEqual({ file: "slipway.yaml", line: 1, column: 1 });
    expect(compiled.push?.branches).toEqual({
      patterns: ["main", "release/**"],
      position: { file: "slipway.yaml", line: 3, column: 5 },
    });
    expect(compiled.pull_request).toEqual({ position: { file: "slipway.yaml", line: 4, column: 3 } });
    // The position of a quoted cron is its first character inside the quotes.
    expect(compiled.schedule).toEqual([
      { cron: "0 3 * * *", position: { file: "slipway.yaml", line: 6, column: 14 } },
    ]);
    const inputs = compiled.manual?.inputs ?? {};
    expect(inputs.target).toMatchObject({ type: "string", default: "staging", options: ["staging", "prod"] });
    expect(inputs["dry-run"]).toMatchObject({ type: "boolean", default: false, required: false });
    expect(inputs.replicas).toMatchObject({ type: "number", default: 2 });
    expect(inputs.version).toMatchObject({ type: "string", required: true });
    expect(inputs.version?.default).toBeUndefined();
    expect(nativeOn(compileNativePipeline(JOBS.join("\n"), "slipway.yaml"))).toBeUndefined();
  });

  it("accepts ${{ inputs.NAME }} in env, job and step expressions", () => {
    const pipeline = compileNativePipeline(
      [
        "on:",
        "  manual:",
        "    inputs:",
        "      target: { default: staging }",
        "env:",
        "  TARGET: ${{ inputs.target }}",
        "jobs:",
        "  deploy:",
        "    if: inputs.target != 'none'",
        "    steps:",
        "      - run: echo ${{ inputs.target }}",
      ].join("\n"),
      "slipway.yaml",
    );
    expect(pipeline.env.TARGET).toBe("${{ inputs.target }}");
  });

  it("reports unknown keys under on: at their position, with the allowed keys or GitHub's equivalent", () => {
    const found = diagnostics([
      "on:",
      "  pushh: {}",
      "  pull_request:",
      "    branch: [main]",
      "    types: [opened]",
      "  workflow_dispatch: {}",
      "  schedule:",
      "    - cron: '0 3 * * *'",
      "      timezone: UTC",
      "  manual:",
      "    inputs:",
      "      target: { choices: [a, b] }",
    ]);
    expect(found.map((d) => `${at(d)} ${d.message}`)).toEqual([
      '2:3 unknown key "pushh" in on',
      '4:5 unknown key "branch" in on.pull_request',
      '5:5 unknown key "types" in on.pull_request',
      '6:3 unknown key "workflow_dispatch" in on',
      '9:7 unknown key "timezone" in on.schedule.0',
      '12:17 unknown key "choices" in on.manual.inputs.target',
    ]);
    expect(found[0]?.hint).toMatch(/did you mean "push"\? Allowed: push, pull_request, schedule, manual/);
    expect(found[1]?.hint).toMatch(/did you mean "branches"/);
    expect(found[2]?.hint).toMatch(/no activity types/);
    expect(found[3]?.hint).toMatch(/manual:/);
    expect(found[4]?.hint).toBe("allowed keys: cron");
    expect(found[5]?.hint).toBe("allowed keys: description, type, default, options, required");
  });

  it("reports wrong types under on: with what was expected", () => {
    const found = diagnostics(["on:", "  push:", "    branches: main", "  schedule: daily"]);
    expect(found.map(at)).toEqual(["3:15", "4:13"]);
    expect(found.map((d) => d.expected)).toEqual(["array", "array"]);
    const [type] = diagnostics(["on:", "  manual:", "    inputs:", "      a: { type: choice }"]);
    expect(at(type)).toBe("4:18");
    expect(type?.message).toMatch(/on\.manual\.inputs\.a\.type/);
  });

  it("reports an invalid cron at load time, pointing at the field that is wrong", () => {
    const found = diagnostics([
      "on:",
      "  schedule:",
      '    - cron: "0 25 * * *"',
      "    - cron: 0 3 * *",
      "    - cron: '*/0 * * * *'",
    ]);
    expect(found.map((d) => `${at(d)} ${d.message}`)).toEqual([
      "3:16 invalid cron schedule '0 25 * * *': hour 25 is out of range 0-23",
      "4:13 invalid cron schedule '0 3 * *': expected 5 fields, found 4",
      "5:16 invalid cron schedule '*/0 * * * *': step '0' in the minute field must be a positive number",
    ]);
    expect(found[0]?.hint).toMatch(/five fields in UTC/);
  });

  it("reports what the schema cannot see: both a filter and its -ignore, bad defaults, an empty on:", () => {
    const found = diagnostics([
      "on:",
      "  push:",
      "    branches: [main]",
      "    branches-ignore: [wip]",
      "  manual:",
      "    inputs:",
      "      target: { default: qa, options: [staging, prod] }",
      "      count: { type: number, default: many }",
      "      flag: { type: boolean, options: [a] }",
    ]);
    expect(found.map((d) => `${at(d)} ${d.message}`)).toEqual([
      "4:5 on.push: branches and branches-ignore cannot be used together",
      '7:26 the default "qa" is not one of the options',
      '8:39 the default "many" is not a number',
      "9:30 input options are for string inputs, and this input is a boolean",
    ]);
    expect(found[0]?.hint).toMatch(/!pattern/);
    expect(found[1]?.expected).toBe("staging, prod");
    const [empty] = diagnostics(["on: {}"]);
    expect(at(empty)).toBe("1:1");
    expect(empty?.message).toMatch(/lists no event/);
  });
});

/** Facts of an event; counts how often the changed files were read. */
function facts(event: string, ref: string, files: string[] = [], base = "main") {
  const asked = { files: 0 };
  const value: TriggerFacts = {
    event,
    ref,
    baseBranch: async () => base,
    changedFiles: async () => {
      asked.files++;
      return files;
    },
  };
  return { value, asked };
}

const excluded = (o: NativeOn | undefined, event: string, ref: string, files?: string[], base?: string) =>
  triggerExclusion(o, facts(event, ref, files, base).value);

describe("triggerExclusion", () => {
  it("starts a pipeline without on: for every event", async () => {
    for (const event of ["push", "pull_request", "schedule", "api", "poll", "deploy"]) {
      expect(await excluded(undefined, event, "refs/heads/any")).toBeUndefined();
    }
  });

  it("maps the server's events onto push, pull_request, schedule and manual", async () => {
    const onlyPush = on(["on:", "  push:"]);
    expect(await excluded(onlyPush, "push", "refs/heads/x")).toBeUndefined();
    expect(await excluded(onlyPush, "poll", "refs/heads/x")).toBeUndefined();
    expect(await excluded(onlyPush, "api", "refs/heads/x")).toBe(
      "the pipeline does not run on manual (api): its on: lists push",
    );
    expect(await excluded(onlyPush, "schedule", "refs/heads/x")).toMatch(/does not run on schedule/);
    expect(await excluded(onlyPush, "deploy", "refs/heads/x")).toMatch(/does not run on deploy/);
    const others = on(["on:", "  pull_request:", "  manual:", "  schedule: [{cron: '0 3 * * *'}]"]);
    expect(await excluded(others, "merge_request_event", "refs/heads/f")).toBeUndefined();
    expect(await excluded(others, "workflow_dispatch", "refs/heads/f")).toBeUndefined();
    expect(await excluded(others, "api", "refs/heads/f")).toBeUndefined();
    expect(await excluded(others, "schedule", "refs/heads/main")).toBeUndefined();
    expect(await excluded(others, "push", "refs/heads/main")).toMatch(
      /its on: lists pull_request, schedule, manual/,
    );
  });

  it("filters pushed branches with GitHub's patterns, the last match deciding", async () => {
    const o = on(["on:", "  push:", '    branches: [main, "release/**", "!release/old/**"]']);
    expect(await excluded(o, "push", "refs/heads/main")).toBeUndefined();
    expect(await excluded(o, "push", "refs/heads/release/1.2")).toBeUndefined();
    expect(await excluded(o, "push", "refs/heads/release/old/1.0")).toMatch(/not matched by branches/);
    expect(await excluded(o, "push", "refs/heads/feature")).toBe(
      'branch "feature" is not matched by branches (main, release/**, !release/old/**)',
    );
    // Branch filters only: tag pushes do not run it.
    expect(await excluded(o, "push", "refs/tags/v1")).toMatch(/filters branches only, and v1 is a tag/);
    const ignore = on(["on:", "  push:", "    branches-ignore: ['wip/*']"]);
    expect(await excluded(ignore, "push", "refs/heads/wip/x")).toMatch(/matched by branches-ignore/);
    expect(await excluded(ignore, "push", "refs/heads/wip/x/y")).toBeUndefined();
  });

  it("filters tags, and treats tag-only filters as excluding branch pushes", async () => {
    const o = on(["on:", "  push:", "    tags: ['v*']"]);
    expect(await excluded(o, "push", "refs/tags/v1.0")).toBeUndefined();
    expect(await excluded(o, "push", "refs/tags/nightly")).toMatch(/tag "nightly" is not matched by tags/);
    expect(await excluded(o, "push", "refs/heads/main")).toMatch(/filters tags only/);
    const both = on(["on:", "  push:", "    branches: [main]", "    tags: ['v*']"]);
    expect(await excluded(both, "push", "refs/heads/main")).toBeUndefined();
    expect(await excluded(both, "push", "refs/tags/v2")).toBeUndefined();
  });

  it("filters changed paths, reading the changes only when a paths filter needs them", async () => {
    const o = on(["on:", "  push:", "    branches: [main]", "    paths: ['src/**', '!src/**/*.md']"]);
    expect(await excluded(o, "push", "refs/heads/main", ["src/a/b.ts", "README.md"])).toBeUndefined();
    expect(await excluded(o, "push", "refs/heads/main", ["docs/x.md", "src/a/notes.md"])).toBe(
      "none of the 2 changed file(s) (docs/x.md, src/a/notes.md) is matched by paths (src/**, !src/**/*.md)",
    );
    const branchOut = facts("push", "refs/heads/feature", ["src/a.ts"]);
    expect(await triggerExclusion(o, branchOut.value)).toMatch(/not matched by branches/);
    expect(branchOut.asked.files).toBe(0);
    const ignore = on(["on:", "  push:", "    paths-ignore: ['docs/**']"]);
    expect(await excluded(ignore, "push", "refs/heads/x", ["docs/a.md"])).toMatch(/matched by paths-ignore/);
    expect(await excluded(ignore, "push", "refs/heads/x", ["docs/a.md", "src/a.ts"])).toBeUndefined();
    // GitHub does not apply paths filters to tag pushes.
    const tags = on(["on:", "  push:", "    tags: ['v*']", "    paths: ['src/**']"]);
    const tag = facts("push", "refs/tags/v1", ["docs/a.md"]);
    expect(await triggerExclusion(tags, tag.value)).toBeUndefined();
    expect(tag.asked.files).toBe(0);
  });

  it("filters a pull request on the branch it merges into, and its changed paths", async () => {
    const o = on(["on:", "  pull_request:", "    branches: [main]", "    paths: ['src/**']"]);
    expect(await excluded(o, "pull_request", "refs/heads/feature", ["src/a.ts"], "main")).toBeUndefined();
    expect(await excluded(o, "pull_request", "refs/heads/feature", ["src/a.ts"], "develop")).toBe(
      'base branch "develop" is not matched by branches (main)',
    );
    expect(await excluded(o, "merge_request_event", "refs/heads/f", ["README.md"], "main")).toMatch(
      /is matched by paths/,
    );
  });
});

describe("resolveNativeInputs", () => {
  const declared = on([
    "on:",
    "  manual:",
    "    inputs:",
    "      target: { default: staging, options: [staging, prod] }",
    "      dry-run: { default: false }",
    "      replicas: { type: number }",
    "      version: { required: true }",
  ]).manual;

  const refused = (given: Record<string, string>, required = true): Diagnostic[] => {
    try {
      resolveNativeInputs(declared, given, { required });
    } catch (error) {
      if (error instanceof ConfigError) return [...error.diagnostics];
      throw error;
    }
    throw new Error("expected the inputs to be refused");
  };

  it("applies defaults and types the given values", () => {
    expect(resolveNativeInputs(declared, { version: "1.2" }, { required: true })).toEqual({
      target: "staging",
      "dry-run": false,
      replicas: "",
      version: "1.2",
    });
    expect(
      resolveNativeInputs(
        declared,
        { target: "prod", "dry-run": "true", replicas: "3", version: "2" },
        { required: true },
      ),
    ).toEqual({ target: "prod", "dry-run": true, replicas: 3, version: "2" });
  });

  it("reports every refused input at once: unknown ones at on.manual, bad values at their declaration", () => {
    const found = refused({
      version: "1",
      tagret: "prod",
      target: "qa",
      "dry-run": "yes",
      replicas: "three",
    });
    expect(found.map((d) => `${at(d)} ${d.message}`)).toEqual([
      '2:3 unknown input "tagret": the pipeline does not declare it',
      '4:7 input "target" is "qa", not one of its options',
      '5:7 input "dry-run" is a boolean, not "yes"',
      '6:7 input "replicas" is a number, not "three"',
    ]);
    expect(found[0]?.hint).toBe('did you mean "target"? Inputs: target, dry-run, replicas, version');
    expect(found.slice(1).map((d) => d.expected)).toEqual(["staging, prod", "true or false", "a number"]);
  });

  it("refuses a manual run without a required input, pointing at its declaration", () => {
    const [missing] = refused({});
    expect(`${at(missing)} ${missing?.message}`).toBe('7:7 input "version" is required and has no default');
    expect(missing?.hint).toMatch(/--input version=VALUE/);
    // Validate, graph, push and schedule runs do not need it.
    expect(resolveNativeInputs(declared, {}, { required: false }).version).toBe("");
  });

  it("ignores given inputs for a server run of a pipeline without on:, as before on: existed", () => {
    expect(resolveNativeInputs(undefined, { anything: "x" }, { required: true })).toEqual({});
  });
});

describe("loadRunSource with on:", () => {
  const PIPELINE = [
    "on:",
    "  push:",
    "    branches: [main]",
    "    paths: ['src/**']",
    "  manual:",
    "    inputs:",
    "      target: { default: staging, options: [staging, prod] }",
    ...JOBS,
  ].join("\n");

  const git = (dir: string, ...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], {
      cwd: dir,
      encoding: "utf8",
    }).trim();

  function commit(dir: string, file: string): string {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), `${file}\n`);
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", file);
    return git(dir, "rev-parse", "HEAD");
  }

  const source = (sha: string, event: string, inputs: Record<string, string> = {}): RunSource => ({
    frontEnd: "native",
    file: "slipway.yaml",
    event,
    ref: "refs/heads/main",
    sha,
    inputs,
    variables: {},
    actor: "test",
    jobs: [],
  });

  const inputsOf = (loaded: Awaited<ReturnType<typeof loadRunSource>>) =>
    loaded.dialect?.contexts({
      run: { id: "r", workspace: "", commit: "" },
      planned: { key: "a", job: { id: "a" } },
    } as unknown as DialectScope).inputs;

  it("runs a push only when its commit changes a matching path, and a manual run with its inputs", async () => {
    const repo = gitRepo({ "slipway.yaml": PIPELINE, "src/a.ts": "a\n" });
    const docs = commit(repo, "docs/readme.md");
    await expect(loadRunSource(repo, source(docs, "push"))).rejects.toThrow(NotTriggered);
    await expect(loadRunSource(repo, source(docs, "push"))).rejects.toThrow(
      "none of the 1 changed file(s) (docs/readme.md) is matched by paths (src/**)",
    );
    const code = commit(repo, "src/b.ts");
    const pushed = await loadRunSource(repo, source(code, "push"));
    expect(inputsOf(pushed)).toEqual({ target: "staging" });
    const manual = await loadRunSource(repo, source(code, "api", { target: "prod" }));
    expect(inputsOf(manual)).toEqual({ target: "prod" });
    await expect(loadRunSource(repo, source(code, "api", { target: "qa" }))).rejects.toThrow(
      'slipway.yaml:7:7: input "target" is "qa", not one of its options',
    );
    await expect(loadRunSource(repo, source(code, "schedule"))).rejects.toThrow(/does not run on schedule/);
  });
});

describe("slipway run with on:", () => {
  const PIPELINE = [
    "on:",
    "  push:",
    "    branches: [release]",
    "  manual:",
    "    inputs:",
    "      target: { default: staging, options: [staging, prod] }",
    "      dry-run: { default: true }",
    "jobs:",
    "  deploy:",
    "    if: inputs.dry-run",
    "    steps:",
    '      - run: echo "deploying to ${{ inputs.target }}"',
  ].join("\n");

  it("runs as a manual run whatever on: lists, with --input values and defaults", () => {
    const dir = project(PIPELINE);
    const defaults = cli(dir, ["run", "--plain"]);
    expect(defaults.status).toBe(0);
    expect(defaults.stdout).toContain("deploying to staging");
    const given = cli(dir, ["run", "--plain", "--input", "target=prod"]);
    expect(given.status).toBe(0);
    expect(given.stdout).toContain("deploying to prod");
    const unknown = cli(dir, ["run", "--plain", "--input", "tagret=prod"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('slipway.yaml:4:3: error: unknown input "tagret"');
    expect(unknown.stderr).toContain('did you mean "target"');
    const none = cli(project(["jobs:", "  a:", "    steps: [{run: echo hi}]"].join("\n")), [
      "run",
      "--input",
      "target=prod",
    ]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('unknown input "target": the pipeline does not declare it');
    expect(none.stderr).toContain("declare it under on.manual.inputs");
  });
});
