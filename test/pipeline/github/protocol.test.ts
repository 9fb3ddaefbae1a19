import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../../../src/pipeline/events.js";
import { runLocally } from "../../../src/pipeline/local-run.js";
import { baseEnv, output, runPipeline, tempDir } from "../engine/harness.js";
import { finished, git, lines, load, repository, runWorkflow } from "./support.js";

type StepFinished = Extract<EngineEvent, { type: "step.finished" }>;

const files = `on: push
jobs:
  produce:
    runs-on: ubuntu-latest
    outputs:
      notes: \${{ steps.files.outputs.notes }}
      plain: \${{ steps.files.outputs.plain }}
    steps:
      - id: files
        run: |
          echo "plain=one" >> "$GITHUB_OUTPUT"
          { echo "notes<<EOF"; echo "line 1"; echo "line 2"; echo "EOF"; } >> "$GITHUB_OUTPUT"
          echo "GREETING=hello" >> "$GITHUB_ENV"
          { echo "MULTI<<END"; echo "a"; echo "b"; echo "END"; } >> "$GITHUB_ENV"
          mkdir -p "$RUNNER_TEMP/tools"
          printf '#!/bin/sh\\necho tool from path\\n' > "$RUNNER_TEMP/tools/mytool"
          chmod +x "$RUNNER_TEMP/tools/mytool"
          echo "$RUNNER_TEMP/tools" >> "$GITHUB_PATH"
          echo "token=abc" >> "$GITHUB_STATE"
          echo "# Report" >> "$GITHUB_STEP_SUMMARY"
          echo "- item" >> "$GITHUB_STEP_SUMMARY"
      - run: |
          echo "env $GREETING \${{ env.GREETING }} $(printf '%s' "$MULTI" | tr '\\n' ,)"
          mytool
          echo "state [\${STATE_token:-}]"
      - env:
          GREETING: step wins
        run: echo "$GREETING"
  consume:
    needs: produce
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "\${{ needs.produce.outputs.plain }} \${{ needs.produce.result }}"
          printf '%s\\n' "\${{ needs.produce.outputs.notes }}"
          echo "next job has GREETING=[\${GREETING:-}]"
`;

const commands = `on: push
jobs:
  talk:
    runs-on: ubuntu-latest
    steps:
      - id: talk
        run: |
          echo "::add-mask::hunter2-secret"
          echo "password is hunter2-secret"
          echo "::group::Install"
          echo "inside"
          echo "::endgroup::"
          echo "::error file=src/app.ts,line=12,col=3,endLine=12,endColumn=9,title=Type error::x is%0Anot defined"
          echo "::warning::mind the gap"
          echo "::notice title=Done::all good"
          echo "::debug::only with debug"
          echo "::stop-commands::pause123"
          echo "::warning::not a command now"
          echo "::pause123::"
          echo "::set-output name=legacy::old-style"
          echo "::unknown-command::stays as it is"
          echo "hunter2-secret again" >&2
      - run: echo "legacy=\${{ steps.talk.outputs.legacy }}"
      - id: disabled
        continue-on-error: true
        run: echo "::set-env name=X::1"
      - run: echo "disabled \${{ steps.disabled.outcome }} \${{ steps.disabled.conclusion }}"
`;

const contexts = `name: Contexts
on: push
env:
  WORKFLOW_LEVEL: w
jobs:
  look:
    name: Look at \${{ matrix.flavour }}
    runs-on: ubuntu-latest
    strategy:
      max-parallel: 1
      matrix:
        flavour: [mild]
    steps:
      - run: |
          echo "sha=\${{ github.sha == env.EXPECTED_SHA }} ref=\${{ github.ref }} name=\${{ github.ref_name }} type=\${{ github.ref_type }}"
          echo "repo=\${{ github.repository }} owner=\${{ github.repository_owner }} server=\${{ github.server_url }} api=\${{ github.api_url }}"
          echo "event=\${{ github.event_name }} actor=\${{ github.actor }} job=\${{ github.job }} action=\${{ github.action }} wf=\${{ github.workflow }}"
          echo "head=\${{ github.event.head_commit.message }} after=\${{ github.event.after == github.sha }} path=\${{ github.event_path != '' }}"
          echo "ws=$([ "\${{ github.workspace }}" = "$GITHUB_WORKSPACE" ] && echo same) run=$([ "\${{ github.run_id }}" = "$GITHUB_RUN_ID" ] && echo same) n=\${{ github.run_number }}"
          echo "runner=\${{ runner.os }} \${{ runner.arch != '' }} temp=$([ "\${{ runner.temp }}" = "$RUNNER_TEMP" ] && [ -d "$RUNNER_TEMP" ] && echo same) env=\${{ runner.environment }}"
          echo "strategy=\${{ strategy.fail-fast }} \${{ strategy.job-index }} \${{ strategy.job-total }} \${{ strategy.max-parallel }}"
          echo "token=[\${{ secrets.GITHUB_TOKEN }}] api-key=\${{ secrets.API_KEY }} var=\${{ vars.REGION }} job=\${{ job.status }}"
          echo "vars GITHUB_ACTIONS=$GITHUB_ACTIONS CI=$CI GITHUB_SHA=$GITHUB_SHA GITHUB_REF_NAME=$GITHUB_REF_NAME RUNNER_OS=$RUNNER_OS GITHUB_JOB=$GITHUB_JOB GITHUB_ACTION=$GITHUB_ACTION"
          echo "payload=$(node -p "require(process.env.GITHUB_EVENT_PATH).head_commit.id === process.env.GITHUB_SHA")"
          echo "level=$WORKFLOW_LEVEL"
        env:
          EXPECTED_SHA: \${{ github.event.after }}
      - id: hash
        run: echo "hash=\${{ hashFiles('**/*.lock', '!ignored/**') }} none=[\${{ hashFiles('nothing/*') }}]"
`;

const shells = `on: push
defaults:
  run:
    working-directory: sub
jobs:
  shells:
    runs-on: ubuntu-latest
    steps:
      - name: default shell has no pipefail
        run: false | true
      - name: explicit bash has pipefail
        id: pipefail
        shell: bash
        continue-on-error: true
        run: false | true
      - run: echo "pipefail \${{ steps.pipefail.outcome }} in $(basename "$PWD")"
      - shell: sh
        run: echo "sh in $(basename "$PWD")"
      - shell: python
        working-directory: .
        run: print("python", 6 * 7)
      - shell: bash {0} extra
        run: echo "custom $1"
      - if: failure()
        run: echo "never"
      - if: always()
        run: echo "always \${{ job.status }}"
  broken:
    runs-on: ubuntu-latest
    continue-on-error: \${{ github.event_name == 'push' }}
    steps:
      - run: exit 3
      - if: failure()
        run: echo "cleanup after failure"
  after:
    needs: broken
    runs-on: ubuntu-latest
    steps:
      - run: echo "broken was \${{ needs.broken.result }}"
`;

describe("GitHub's runner protocol, played by the engine", () => {
  it("GITHUB_OUTPUT, GITHUB_ENV (heredoc too), GITHUB_PATH, GITHUB_STATE and the step summary", async () => {
    const dir = await repository({ files: { ".github/workflows/files.yml": files } });
    const { events, logs, result } = await runWorkflow(dir, ".github/workflows/files.yml");
    expect(finished(events)).toEqual({ produce: "success", consume: "success" });
    expect(lines(logs, "produce", 1)).toEqual(["env hello hello a,b", "tool from path", "state []"]);
    expect(lines(logs, "produce", 2)).toEqual(["step wins"]);
    expect(result.jobs.get("produce")?.outputs).toEqual({ notes: "line 1\nline 2", plain: "one" });
    expect(lines(logs, "consume")).toEqual(["one success", "line 1", "line 2", "next job has GREETING=[]"]);
    const summary = events.find((e) => e.type === "step.summary");
    expect(summary).toMatchObject({ jobKey: "produce", stepIndex: 0, markdown: "# Report\n- item\n" });
  });

  it("workflow commands: masks, groups, annotations, stop-commands, debug, deprecated and disabled commands", async () => {
    const dir = await repository({ files: { ".github/workflows/talk.yml": commands } });
    const { events, logs } = await runWorkflow(dir, ".github/workflows/talk.yml");
    expect(lines(logs, "talk", 0)).toEqual([
      "password is ***",
      "##[group]Install",
      "inside",
      "##[endgroup]",
      "##[error]x is",
      "not defined",
      "##[warning]mind the gap",
      "##[notice]all good",
      "::warning::not a command now",
      "##[warning]The `set-output` command is deprecated. Write to $GITHUB_OUTPUT instead.",
      "::unknown-command::stays as it is",
      "*** again",
    ]);
    // Only the step's own script (its default name) holds the value, as on GitHub.
    expect(JSON.stringify(logs)).not.toContain("hunter2");
    expect(JSON.stringify(events.filter((e) => e.type !== "run.queued"))).not.toContain("hunter2");
    const annotations = events.flatMap((e) => (e.type === "step.annotation" ? [e.annotation] : []));
    expect(annotations).toEqual([
      {
        level: "error",
        message: "x is\nnot defined",
        title: "Type error",
        file: "src/app.ts",
        line: 12,
        endLine: 12,
        column: 3,
        endColumn: 9,
      },
      { level: "warning", message: "mind the gap" },
      { level: "notice", message: "all good", title: "Done" },
      {
        level: "warning",
        message: "The `set-output` command is deprecated. Write to $GITHUB_OUTPUT instead.",
      },
      {
        level: "error",
        message: "The `set-env` command is disabled. Use the environment files instead: $GITHUB_ENV.",
      },
    ]);
    expect(lines(logs, "talk", 1)).toEqual(["legacy=old-style"]);
    expect(lines(logs, "talk", 3)).toEqual(["disabled failure success"]);

    const debug = await runWorkflow(dir, ".github/workflows/talk.yml", { debug: true });
    expect(lines(debug.logs, "talk", 0)).toContain("##[debug]only with debug");
  });

  it("contexts: github, runner, strategy, secrets, vars, job, and hashFiles as GitHub computes it", async () => {
    const dir = await repository(
      {
        files: {
          ".github/workflows/contexts.yml": contexts,
          "a/package.lock": "one",
          "b/deep/cargo.lock": "two",
          "ignored/x.lock": "three",
        },
      },
      { remote: "https://github.com/octo-org/hello-world.git" },
    );
    const secrets = path.join(await tempDir(), "secrets");
    writeFileSync(secrets, "API_KEY=sup3r-s3cret-key\n");
    const { events, logs } = await runWorkflow(dir, ".github/workflows/contexts.yml", {
      vars: { REGION: "eu-west-1" },
      secretFile: secrets,
    });
    expect(finished(events)).toEqual({ "look (mild)": "success" });
    const queued = events.find((e) => e.type === "run.queued");
    expect(queued?.type === "run.queued" && queued.jobs.map((j) => j.name)).toEqual(["Look at mild"]);
    const sha = git(dir, "rev-parse", "HEAD");
    expect(lines(logs, "look (mild)", 0)).toEqual([
      "sha=true ref=refs/heads/main name=main type=branch",
      "repo=octo-org/hello-world owner=octo-org server=https://github.com api=https://api.github.com",
      "event=push actor=ada job=look action=__run wf=Contexts",
      "head=Initial import after=true path=true",
      "ws=same run=same n=1",
      "runner=Linux true temp=same env=self-hosted",
      "strategy=true 0 1 1",
      "token=[] api-key=*** var=eu-west-1 job=success",
      `vars GITHUB_ACTIONS=true CI=true GITHUB_SHA=${sha} GITHUB_REF_NAME=main RUNNER_OS=Linux GITHUB_JOB=look GITHUB_ACTION=__run`,
      "payload=true",
      "level=w",
    ]);
    // GitHub's algorithm: SHA-256 over the SHA-256 digests of the matching files, in path order.
    const outer = createHash("sha256");
    for (const file of ["a/package.lock", "b/deep/cargo.lock"]) {
      outer.update(
        createHash("sha256")
          .update(readFileSync(path.join(dir, file)))
          .digest(),
      );
    }
    expect(lines(logs, "look (mild)", 1)).toEqual([`hash=${outer.digest("hex")} none=[]`]);
  });

  it("shells as GitHub runs them, defaults.run, status functions and continue-on-error from an expression", async () => {
    const dir = await repository({ files: { ".github/workflows/shells.yml": shells, "sub/.keep": "" } });
    const { events, logs, result } = await runWorkflow(dir, ".github/workflows/shells.yml");
    expect(lines(logs, "shells")).toEqual([
      "pipefail failure in sub",
      "sh in sub",
      "python 42",
      "custom extra",
      "always success",
    ]);
    const steps = events.filter(
      (e): e is StepFinished => e.type === "step.finished" && e.jobKey === "shells",
    );
    expect(steps.map((s) => s.status)).toEqual([
      "success",
      "failure",
      "success",
      "success",
      "success",
      "success",
      "skipped",
      "success",
    ]);
    expect(lines(logs, "broken")).toEqual(["cleanup after failure"]);
    expect(finished(events)).toMatchObject({ shells: "success", broken: "success", after: "success" });
    expect(lines(logs, "after")).toEqual(["broken was success"]);
    expect(result.status).toBe("success");
  });

  it("a post step gets the state its main step saved, as STATE_<name> (the hook later actions use)", async () => {
    const workflow = `on: push
jobs:
  state:
    runs-on: ubuntu-latest
    steps:
      - run: echo "pid=4242" >> "$GITHUB_STATE"
      - run: echo "saved pid [\${STATE_pid:-}]"
`;
    const dir = await repository({ files: { ".github/workflows/state.yml": workflow } });
    const loaded = await load(dir, ".github/workflows/state.yml");
    const post = loaded.pipeline.jobs[0]?.steps[1];
    if (post) post.stateOf = 0;
    const logs: string[] = [];
    const result = await runLocally({
      pipeline: loaded.pipeline,
      projectDir: dir,
      dataDir: await tempDir(),
      env: baseEnv(),
      dialect: loaded.dialect,
      observers: [{ event: () => {}, log: (l) => logs.push(l.text) }],
    });
    expect(result.status).toBe("success");
    expect(logs).toEqual(["saved pid [4242]"]);
  });

  it("slipway.yaml steps have the same files under Slipway's names, and no workflow commands", async () => {
    const { events, logs } = await runPipeline(`
jobs:
  native:
    steps:
      - run: |
          echo "NAME=native" >> "$SLIPWAY_ENV"
          echo "/opt/nowhere" >> "$SLIPWAY_PATH"
          echo "**done**" >> "$SLIPWAY_STEP_SUMMARY"
          echo "::warning::printed as is"
      - run: echo "$NAME \${PATH%%:*} \${GITHUB_OUTPUT:-none}"
`);
    expect(output(logs, "native")).toEqual(["::warning::printed as is", "native /opt/nowhere none"]);
    expect(events.filter((e) => e.type === "step.annotation")).toEqual([]);
    expect(events.find((e) => e.type === "step.summary")).toMatchObject({ markdown: "**done**\n" });
  });
});
