import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { median, report, round, sideBySide, SLIPWAY, timeCommand } from "./util.js";

const CONCURRENCY = 2;

/** The same DAG as a GitHub workflow and as slipway.yaml: `count` jobs of one `true` step. */
function graphs(shape: "independent" | "chain", count: number): { workflow: string; native: string } {
  const workflow = ["name: dag", "on: push", "jobs:"];
  const native = ["name: dag", "jobs:"];
  for (let i = 0; i < count; i++) {
    const need = shape === "chain" && i > 0 ? `t${i - 1}` : undefined;
    workflow.push(`  t${i}:`, "    runs-on: ubuntu-latest");
    native.push(`  t${i}:`);
    if (need) {
      workflow.push(`    needs: ${need}`);
      native.push(`    needs: ${need}`);
    }
    workflow.push("    steps:", '      - run: "true"');
    native.push("    steps:", '      - run: "true"');
  }
  return { workflow: `${workflow.join("\n")}\n`, native: `${native.join("\n")}\n` };
}

/** A git repository holding both forms, so both pay for reading the repository alike. */
function project(workflow: string, native: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-bench-github-"));
  mkdirSync(path.join(dir, ".github", "workflows"), { recursive: true });
  writeFileSync(path.join(dir, ".github", "workflows", "dag.yml"), workflow);
  writeFileSync(path.join(dir, "slipway.yaml"), native);
  writeFileSync(path.join(dir, ".gitignore"), ".slipway/\n");
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "b",
        GIT_AUTHOR_EMAIL: "b@b",
        GIT_COMMITTER_NAME: "b",
        GIT_COMMITTER_EMAIL: "b@b",
      },
    });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "bench");
  return dir;
}

/** Milliseconds from spawning `slipway run` to its first step.started event; waits for the run to end. */
function timeToFirstStep(args: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn("node", [SLIPWAY, ...args, "--json"], { cwd, env: { ...process.env, CI: "true" } });
    let buffer = "";
    let first: number | undefined;
    child.stdout.on("data", (chunk: Buffer) => {
      if (first !== undefined) return;
      buffer += chunk.toString();
      if (/"type":"step\.started"/.test(buffer)) first = Number(process.hrtime.bigint() - start) / 1e6;
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0 || first === undefined)
        reject(new Error(`slipway ${args.join(" ")} failed (${code}):\n${stderr}`));
      else resolve(first);
    });
  });
}

/**
 * The GitHub front-end's cost on top of the engine: (1) how long `slipway run --workflow` takes
 * to start the first step of a 20-job workflow (parsing with GitHub's parser on the first run,
 * the compiled-pipeline cache after; reading the repository for the event; the store and the
 * workspace), against slipway.yaml's same figure; (2) the engine benchmark's no-op DAGs written as
 * a workflow and as slipway.yaml, run whole through the CLI side by side.
 */
export async function benchGithub(rounds = 7): Promise<void> {
  const dataDirs: string[] = [];
  const dataDir = (name: string) => {
    const dir = path.join(os.tmpdir(), `slipway-bench-github-data-${name}-${process.pid}`);
    dataDirs.push(dir);
    return dir;
  };
  const dirs: string[] = [];
  try {
    {
      const { workflow, native } = graphs("independent", 20);
      const dir = project(workflow, native);
      dirs.push(dir);
      const github: number[] = [];
      const slipway: number[] = [];
      const githubData = dataDir("first-gh");
      const nativeData = dataDir("first-native");
      const cold = await timeToFirstStep(
        ["run", "--workflow", ".github/workflows/dag.yml", `--data-dir=${githubData}`],
        dir,
      );
      for (let i = 0; i < rounds; i++) {
        github.push(
          await timeToFirstStep(
            ["run", "--workflow", ".github/workflows/dag.yml", `--data-dir=${githubData}`],
            dir,
          ),
        );
        slipway.push(await timeToFirstStep(["run", `--data-dir=${nativeData}`], dir));
      }
      report({
        case: "github.first-step-20-jobs",
        baseline: "slipway.yaml",
        workflow_cold_ms: round(cold, 1),
        workflow_ms: round(median(github), 1),
        native_ms: round(median(slipway), 1),
        ratio: round(median(github) / median(slipway), 2),
        goal_ms: 300,
      });
    }
    for (const [shape, count] of [
      ["independent", 400],
      ["chain", 200],
    ] as const) {
      const { workflow, native } = graphs(shape, count);
      const dir = project(workflow, native);
      dirs.push(dir);
      const env = { ...process.env, CI: "true" };
      const githubData = dataDir(`${shape}-gh`);
      const nativeData = dataDir(`${shape}-native`);
      const common = ["run", "--plain", `--concurrency=${CONCURRENCY}`];
      // One run each first, so both compare with their compiled pipeline cached.
      timeCommand(
        "node",
        [SLIPWAY, ...common, "--workflow", ".github/workflows/dag.yml", `--data-dir=${githubData}`],
        dir,
        env,
      );
      timeCommand("node", [SLIPWAY, ...common, `--data-dir=${nativeData}`], dir, env);
      const { a, b } = sideBySide(
        rounds,
        () =>
          timeCommand(
            "node",
            [SLIPWAY, ...common, "--workflow", ".github/workflows/dag.yml", `--data-dir=${githubData}`],
            dir,
            env,
          ),
        () => timeCommand("node", [SLIPWAY, ...common, `--data-dir=${nativeData}`], dir, env),
      );
      report({
        case: `github.${shape}-${count}`,
        baseline: "the same DAG as slipway.yaml",
        workflow_ms: round(a, 1),
        native_ms: round(b, 1),
        ratio: round(a / b, 2),
        goal: 1.1,
      });
    }
  } finally {
    for (const d of [...dirs, ...dataDirs]) rmSync(d, { recursive: true, force: true });
  }
}
