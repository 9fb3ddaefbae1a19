import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  baseEnv,
  exists,
  jobFinished,
  output,
  runPipeline,
  stepStatuses,
  tempDir,
  treeOf,
  withStore,
  writeFiles,
} from "./harness.js";

describe("step and job outputs", () => {
  it("passes $SLIPWAY_OUTPUT values to later steps and, through job outputs, to dependent jobs", async () => {
    const { result, events, logs, dataDir } = await runPipeline(`
jobs:
  produce:
    outputs:
      version: \${{ steps.meta.outputs.version }}
      notes: \${{ steps.meta.outputs.notes }}
      combined: v\${{ steps.meta.outputs.version }}-\${{ steps.second.outputs.flag }}
    steps:
      - id: meta
        run: |
          echo "version=1.2.3" >> "$SLIPWAY_OUTPUT"
          {
            echo "notes<<EOF"
            echo "line one"
            echo "line = two"
            echo "EOF"
          } >> "$SLIPWAY_OUTPUT"
      - id: second
        run: |
          echo "got \${{ steps.meta.outputs.version }}"
          printf '%s\\n' "\${{ steps.meta.outputs.notes }}"
          echo "flag=on" >> "$SLIPWAY_OUTPUT"
  consume:
    needs: produce
    steps:
      - run: |
          echo "version \${{ needs.produce.outputs.version }}"
          echo "combined \${{ needs.produce.outputs.combined }}"
          echo "missing [\${{ needs.produce.outputs.nope }}]"
      - env:
          NOTES: \${{ needs.produce.outputs.notes }}
        run: printf '%s|' "$NOTES"
`);
    expect(result.status).toBe("success");
    expect(output(logs, "produce", 1)).toEqual(["got 1.2.3", "line one", "line = two"]);
    const produced = jobFinished(events, "produce");
    expect(produced.outputs).toEqual({
      version: "1.2.3",
      notes: "line one\nline = two",
      combined: "v1.2.3-on",
    });
    expect(output(logs, "consume", 0)).toEqual(["version 1.2.3", "combined v1.2.3-on", "missing []"]);
    expect(output(logs, "consume", 1)).toEqual(["line one", "line = two|"]);
    await withStore(dataDir, async (store) => {
      const jobs = await store.listJobs(result.run.id);
      expect(jobs.find((j) => j.key === "produce")?.outputs).toEqual(produced.outputs);
    });
  });

  it("fails the step when $SLIPWAY_OUTPUT is malformed", async () => {
    const { result, events, logs } = await runPipeline(`
jobs:
  j:
    steps:
      - run: echo "not a valid line" >> "$SLIPWAY_OUTPUT"
`);
    expect(result.status).toBe("failure");
    expect(stepStatuses(events, "j")).toEqual(["failure"]);
    expect(logs.some((l) => l.stream === "system" && /SLIPWAY_OUTPUT/.test(l.text))).toBe(true);
  });
});

describe("needs context", () => {
  it("feeds a needed job's outputs into job env and job if", async () => {
    const { events, logs } = await runPipeline(`
jobs:
  plan:
    outputs:
      deploy: \${{ steps.p.outputs.deploy }}
      target: \${{ steps.p.outputs.target }}
    steps:
      - id: p
        run: |
          echo "deploy=yes" >> "$SLIPWAY_OUTPUT"
          echo "target=staging" >> "$SLIPWAY_OUTPUT"
  deploy:
    needs: plan
    if: needs.plan.outputs.deploy == 'yes'
    env:
      TARGET: \${{ needs.plan.outputs.target }}
    steps: [{ run: 'echo "to $TARGET (\${{ needs.plan.result }})"' }]
  skip:
    needs: plan
    if: needs.plan.outputs.deploy == 'no'
    steps: [{ run: "echo never" }]
`);
    expect(jobFinished(events, "deploy").status).toBe("success");
    expect(output(logs, "deploy")).toEqual(["to staging (success)"]);
    expect(jobFinished(events, "skip").status).toBe("skipped");
  });

  it("exposes a matrix job's outputs to its dependents", async () => {
    const { logs } = await runPipeline(`
jobs:
  build:
    matrix: { os: [linux, mac] }
    outputs:
      path: \${{ steps.b.outputs.path }}
    steps:
      - id: b
        run: echo "path=dist/\${{ matrix.os }}" >> "$SLIPWAY_OUTPUT"
  use:
    needs: build
    steps:
      - run: echo "\${{ needs.build.outputs.path }} \${{ needs.build.result }}"
`);
    // As on GitHub, the children's outputs are merged, the last child (in plan order) winning.
    expect(output(logs, "use")).toEqual(["dist/mac success"]);
  });
});

describe("expression failures", () => {
  it("fails a step whose run cannot be interpolated, and lets failure() steps run", async () => {
    const { result, events, logs } = await runPipeline(`
jobs:
  j:
    steps:
      - run: echo "\${{ fromJSON('not json') }}"
      - if: failure()
        run: echo handled
`);
    expect(result.status).toBe("failure");
    expect(stepStatuses(events, "j")).toEqual(["failure", "success"]);
    expect(jobFinished(events, "j").reason).toMatch(/expression failed/);
    expect(logs.some((l) => l.stream === "system" && /expression failed/.test(l.text))).toBe(true);
    expect(output(logs, "j", 1)).toEqual(["handled"]);
  });
});

describe("environment", () => {
  it("layers env: pipeline < job < step, later entries seeing earlier ones", async () => {
    const { logs } = await runPipeline(`
env:
  LEVEL: pipeline
  FROM_PIPELINE: p
  OVERRIDDEN_BY_STEP: p
jobs:
  j:
    env:
      LEVEL: job
      FROM_JOB: j-\${{ env.FROM_PIPELINE }}
      OVERRIDDEN_BY_STEP: j
    steps:
      - run: echo "$LEVEL $FROM_PIPELINE $FROM_JOB $OVERRIDDEN_BY_STEP"
      - env:
          LEVEL: step
          OVERRIDDEN_BY_STEP: s-\${{ env.OVERRIDDEN_BY_STEP }}
          DERIVED: \${{ env.LEVEL }}!
        run: echo "$LEVEL $FROM_PIPELINE $FROM_JOB $OVERRIDDEN_BY_STEP $DERIVED"
      - run: echo "$LEVEL \${DERIVED:-unset}"
`);
    expect(output(logs, "j")).toEqual(["job p j-p j", "step p j-p s-j step!", "job unset"]);
  });

  it("gives steps a clean environment with only the declared variables and SLIPWAY_*", async () => {
    const { result, logs } = await runPipeline(
      `
env:
  DECLARED: yes
jobs:
  inspect:
    steps:
      - run: |
          echo "leak=\${SECRET_LEAK:-none}"
          echo "declared=$DECLARED"
          echo "run=$SLIPWAY_RUN_ID"
          echo "job=$SLIPWAY_JOB"
          echo "key=$SLIPWAY_JOB_KEY"
          echo "workspace=$SLIPWAY_WORKSPACE"
          echo "pwd=$(pwd -P)"
          echo "step=$SLIPWAY_STEP attempt=$SLIPWAY_ATTEMPT"
          echo "ci=$CI slipway=$SLIPWAY"
          case "$SLIPWAY_OUTPUT" in /*) echo "output=absolute";; *) echo "output=$SLIPWAY_OUTPUT";; esac
      - run: env
`,
      { env: baseEnv({ SECRET_LEAK: "1", NODE_OPTIONS: "--inspect" }) },
    );
    expect(result.status).toBe("success");
    const lines = output(logs, "inspect", 0);
    const workspace = result.run.workspace;
    expect(lines).toEqual([
      "leak=none",
      "declared=yes",
      `run=${result.run.id}`,
      "job=inspect",
      "key=inspect",
      `workspace=${workspace}`,
      expect.stringMatching(/^pwd=/),
      "step=1 attempt=1",
      "ci=true slipway=true",
      "output=absolute",
    ]);
    const names = output(logs, "inspect", 1).map((line) => line.split("=")[0]);
    expect(names).not.toContain("SECRET_LEAK");
    expect(names).not.toContain("NODE_OPTIONS");
    expect(names).toContain("PATH");
    expect(names).toContain("DECLARED");
  });
});

describe("working-directory and shells", () => {
  it("runs a step in its working-directory, relative to the workspace", async () => {
    const { result, logs } = await runPipeline(
      `
jobs:
  j:
    env: { SUB: pkg }
    steps:
      - working-directory: packages/\${{ env.SUB }}
        run: |
          cat marker.txt
          echo "rel=\${PWD#"$SLIPWAY_WORKSPACE"/}"
      - run: cat packages/pkg/marker.txt
`,
      { files: { "packages/pkg/marker.txt": "in pkg\n" } },
    );
    expect(result.status).toBe("success");
    expect(output(logs, "j", 0)).toEqual(["in pkg", "rel=packages/pkg"]);
  });

  it("runs shell: sh with -e and shell: python", async () => {
    const { result, logs, events } = await runPipeline(`
jobs:
  j:
    steps:
      - shell: sh
        run: |
          echo "sh $0"
          false | true
          echo "sh has no pipefail"
      - shell: python
        run: |
          import os, sys
          print("python", sys.version_info[0], os.environ["SLIPWAY_JOB"])
          with open(os.environ["SLIPWAY_OUTPUT"], "a") as f:
              f.write("answer=42\\n")
      - id: last
        shell: sh
        run: |
          echo "before"
          false
          echo "not reached"
`);
    expect(result.status).toBe("failure");
    expect(stepStatuses(events, "j")).toEqual(["success", "success", "failure"]);
    expect(output(logs, "j", 0)).toEqual(["sh sh", "sh has no pipefail"]);
    expect(output(logs, "j", 1)).toEqual(["python 3 j"]);
    expect(output(logs, "j", 2)).toEqual(["before"]);
  });

  it("runs bash with -eo pipefail", async () => {
    const { result, events, logs } = await runPipeline(`
jobs:
  pipe:
    steps:
      - run: |
          echo start
          false | true
          echo "not reached"
  middle:
    steps:
      - run: |
          echo one
          ls /definitely/not/here
          echo "not reached"
  ok:
    steps:
      - run: |
          true | true
          if false; then echo no; fi
          false || echo recovered
`);
    expect(result.status).toBe("failure");
    expect(stepStatuses(events, "pipe")).toEqual(["failure"]);
    expect(output(logs, "pipe")).toEqual(["start"]);
    expect(stepStatuses(events, "middle")).toEqual(["failure"]);
    expect(output(logs, "middle")).toEqual(["one"]);
    expect(
      logs.some((l) => l.jobKey === "middle" && l.stream === "stderr" && /definitely/.test(l.text)),
    ).toBe(true);
    expect(stepStatuses(events, "ok")).toEqual(["success"]);
    expect(output(logs, "ok")).toEqual(["recovered"]);
  });

  it("runs shell: node and a custom shell command with {0}", async () => {
    const { result, logs } = await runPipeline(`
jobs:
  j:
    steps:
      - shell: node
        run: console.log("node", typeof process.env.SLIPWAY_RUN_ID)
      - shell: python3 -u {0}
        run: print("custom")
`);
    expect(result.status).toBe("success");
    expect(output(logs, "j")).toEqual(["node string", "custom"]);
  });

  it("fails a step whose working-directory does not exist", async () => {
    const { result, events } = await runPipeline(`
jobs:
  j:
    steps:
      - working-directory: no/such/dir
        run: echo hi
`);
    expect(result.status).toBe("failure");
    expect(stepStatuses(events, "j")).toEqual(["failure"]);
  });

  it("fails a step whose command does not exist", async () => {
    const { result, events } = await runPipeline(`
jobs:
  j:
    steps:
      - run: slipway-no-such-command-xyz --flag
      - run: echo never
`);
    expect(result.status).toBe("failure");
    expect(stepStatuses(events, "j")).toEqual(["failure", "skipped"]);
  });
});

describe("workspace isolation", () => {
  const pipeline = `
jobs:
  j:
    steps:
      - run: |
          touch created.txt
          echo changed >> tracked.txt
          rm -f removed.txt
          mkdir -p out && echo built > out/result
          cat tracked.txt
`;

  it("leaves the project directory unchanged", async () => {
    const { result, logs, projectDir } = await runPipeline(pipeline, {
      files: { "tracked.txt": "original\n", "removed.txt": "keep me\n" },
    });
    expect(result.status).toBe("success");
    expect(output(logs, "j")).toEqual(["original", "changed"]);
    expect(result.run.workspace).not.toBe(projectDir);
    expect(await treeOf(projectDir)).toEqual({ "removed.txt": "keep me\n", "tracked.txt": "original\n" });
    // A successful run's workspace copy is removed.
    expect(await exists(result.run.workspace)).toBe(false);
  });

  it("keeps a failed run's workspace to look into", async () => {
    const { result, projectDir } = await runPipeline(
      `
jobs:
  j:
    steps: [{ run: "echo partial > partial.txt; exit 1" }]
`,
      { files: { "a.txt": "a\n" } },
    );
    expect(result.status).toBe("failure");
    expect(await readFile(join(result.run.workspace, "partial.txt"), "utf8")).toBe("partial\n");
    expect(await exists(join(projectDir, "partial.txt"))).toBe(false);
  });

  it("snapshots a git project without its ignored files, and leaves the checkout clean", async () => {
    const projectDir = await tempDir("slipway-git-");
    await writeFiles(projectDir, {
      ".gitignore": "secret.env\nbuild/\n",
      "tracked.txt": "original\n",
      "removed.txt": "keep me\n",
      "secret.env": "TOKEN=x\n",
      "build/old": "stale\n",
    });
    const git = (...args: string[]) =>
      execFileSync("git", args, {
        cwd: projectDir,
        encoding: "utf8",
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: "t",
          GIT_AUTHOR_EMAIL: "t@e",
          GIT_COMMITTER_NAME: "t",
          GIT_COMMITTER_EMAIL: "t@e",
        },
      });
    git("init", "-q");
    git("add", ".");
    git("commit", "-qm", "init");
    await writeFiles(projectDir, { "untracked.txt": "new\n" });
    const before = await treeOf(projectDir);
    const { result, logs } = await runPipeline(
      `
jobs:
  j:
    steps:
      - run: |
          ls -A | grep -v '^.git$' | sort | tr '\\n' ' '; echo
          echo changed >> tracked.txt
          rm removed.txt
          touch created.txt
`,
      { projectDir },
    );
    expect(result.status).toBe("success");
    expect(result.run.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(result.run.dirty).toBe(true);
    expect(output(logs, "j")).toEqual([".gitignore removed.txt tracked.txt untracked.txt "]);
    expect(await treeOf(projectDir)).toEqual(before);
    expect(git("status", "--porcelain")).toBe("?? untracked.txt\n");
  });

  it("never copies the data directory inside the project into a workspace", async () => {
    const projectDir = await tempDir("slipway-project-");
    await writeFiles(projectDir, { "a.txt": "a\n" });
    const dataDir = join(projectDir, ".slipway");
    const failing = await runPipeline(
      `
jobs:
  j:
    steps: [{ run: "echo kept > kept.txt; exit 1" }]
`,
      { projectDir, dataDir },
    );
    expect(failing.result.status).toBe("failure");
    // The failed run's workspace (with kept.txt) is still under .slipway/runs.
    expect(await exists(join(failing.result.run.workspace, "kept.txt"))).toBe(true);
    const { result, logs } = await runPipeline(
      `
jobs:
  j:
    steps: [{ run: "find . -type f | sort" }]
`,
      { projectDir, dataDir },
    );
    expect(result.status).toBe("success");
    expect(output(logs, "j")).toEqual(["./a.txt"]);
  });

  it("runs in the project directory itself with inPlace", async () => {
    const { result, projectDir } = await runPipeline(pipeline, {
      files: { "tracked.txt": "original\n", "removed.txt": "keep me\n" },
      inPlace: true,
    });
    expect(result.status).toBe("success");
    expect(result.run.workspace).toBe(projectDir);
    expect(await treeOf(projectDir)).toEqual({
      "created.txt": "",
      "out/result": "built\n",
      "tracked.txt": "original\nchanged\n",
    });
  });
});
