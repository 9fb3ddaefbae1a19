import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ProcessExecutor, SlotExecutor } from "../executors/index.js";
import type { Executor } from "../executors/index.js";
import { EnvironmentError } from "../errors/index.js";
import { openStore, storeLocation } from "../store/index.js";
import type { Store } from "../store/index.js";
import { storeApprovals } from "./approvals.js";
import { Engine } from "./engine.js";
import type { RunObserver, RunResult } from "./engine.js";
import type { RunnerDialect } from "./dialect.js";
import type { RunInfo } from "./events.js";
import type { Pipeline } from "./ir.js";
import { parseOutputsFile } from "./outputs-file.js";
import { planPipeline } from "./plan.js";
import type { PlanOptions } from "./plan.js";
import { snapshotWorkingTree } from "./workspace.js";
import { Recorder } from "./recorder.js";

/** Variables a step inherits from the user's environment; everything else must be declared. */
export const INHERITED_ENV = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "TERM",
  "TZ",
  "TMPDIR",
];

export interface LocalRunOptions {
  pipeline: Pipeline;
  projectDir: string;
  /** Absolute path of the pipeline file, to record it relative to the project. Default: the IR's source file. */
  pipelineFile?: string;
  /** Where Slipway keeps its store, cache and run files. Default `<projectDir>/.slipway`. */
  dataDir?: string;
  /** Job ids to run (with what they need); empty = all. */
  jobs?: readonly string[];
  /** Which matrix children to keep (`--matrix axis=value`). */
  plan?: PlanOptions;
  /** How steps see runner files and contexts (the front-end's); default slipway.yaml's. */
  dialect?: RunnerDialect;
  concurrency?: number;
  useCache?: boolean;
  /** Run in the project directory itself instead of a snapshot of it. */
  inPlace?: boolean;
  /** A file of NAME=value lines (the $SLIPWAY_OUTPUT format) with secret values. */
  secretFile?: string;
  observers?: readonly RunObserver[];
  signal?: AbortSignal;
  /** The executor to use, or the name of a built-in one. Default "slots". */
  executor?: Executor | ExecutorName;
  env?: Readonly<Record<string, string | undefined>>;
  /** Variables set for this run (`slipway run --env NAME=VALUE`), over the pipeline's own `env`. */
  variables?: Readonly<Record<string, string>>;
  /** The `slipway` CLI script, for built-in steps that run it (slo-gate). */
  cliPath?: string;
  /** Told about problems that do not stop the run (a declared secret with no value). */
  onWarning?: (message: string) => void;
  /** Called once the run has an id, before any job starts. */
  onStart?: (run: RunInfo) => void;
  /** What started the run, as recorded (default "cli"; a workflow run records its event). */
  trigger?: string;
}

/**
 * The built-in local executors: "slots" spawns steps from long-lived bash processes (fast for
 * short steps), "process" spawns each step from Node directly. Both give the same results.
 */
export type ExecutorName = "slots" | "process";
export const EXECUTOR_NAMES: readonly ExecutorName[] = ["slots", "process"];

export interface LocalRunResult extends RunResult {
  run: RunInfo;
}

export function defaultDataDir(projectDir: string): string {
  return path.join(projectDir, ".slipway");
}

export async function openLocalStore(dataDir: string): Promise<Store> {
  const store = await openStore(storeLocation(dataDir, undefined));
  await markDeadRunsInterrupted(store, dataDir);
  return store;
}

/**
 * Runs a pipeline on this machine: snapshot the working tree into a fresh workspace, plan, run
 * with a local executor, and record everything in the store under the data directory.
 */
export async function runLocally(options: LocalRunOptions): Promise<LocalRunResult> {
  const dataDir = options.dataDir ?? defaultDataDir(options.projectDir);
  // Run variables join the pipeline's env, so expressions see them and cache keys include them.
  const pipeline = options.variables
    ? { ...options.pipeline, env: { ...options.pipeline.env, ...options.variables } }
    : options.pipeline;
  const plan = planPipeline(pipeline, options.jobs ?? [], options.plan);
  const env = options.env ?? process.env;
  const secrets = await loadSecrets(options.pipeline.secrets, env, options.secretFile);
  const missing = options.pipeline.secrets.filter((name) => !(name in secrets));
  if (missing.length > 0) {
    options.onWarning?.(
      `secret${missing.length > 1 ? "s" : ""} ${missing.join(", ")} declared but not set: ${missing.length > 1 ? "they read" : "it reads"} as empty (set ${missing.length > 1 ? "them" : "it"} in the environment or in --secret-file)`,
    );
  }

  const store = await openLocalStore(dataDir);
  try {
    const id = newRunId();
    // A guess for dialects that show it before the store assigns it; exact unless two runs race.
    const runNumber = options.dialect ? ((await store.listRuns({ limit: 1 }))[0]?.number ?? 0) + 1 : 1;
    const runDir = path.join(dataDir, "runs", id);
    const workspace = options.inPlace ? options.projectDir : path.join(runDir, "workspace");
    await mkdir(runDir, { recursive: true });
    // The pid file tells a later `slipway` whether this run's process is still alive.
    await writeFile(path.join(runDir, "pid"), String(process.pid));
    const snapshot = options.inPlace
      ? await snapshotWorkingTree(options.projectDir, undefined)
      : await snapshotWorkingTree(options.projectDir, workspace, [dataDir]);

    const run: RunInfo = {
      id,
      pipelineName: options.pipeline.name,
      file: options.pipelineFile
        ? path.relative(options.projectDir, options.pipelineFile)
        : options.pipeline.source.file,
      frontEnd: options.pipeline.source.frontEnd,
      projectDir: options.projectDir,
      workspace,
      commit: snapshot.commit,
      dirty: snapshot.dirty,
      trigger: options.trigger ?? "cli",
      actor: env.USER ?? os.userInfo().username,
    };
    options.onStart?.(run);

    const baseEnv: Record<string, string> = {};
    for (const name of INHERITED_ENV) {
      const value = env[name];
      if (value !== undefined) baseEnv[name] = value;
    }
    // Built-in steps (slo-gate) run the Slipway that runs the pipeline.
    if (options.cliPath) {
      baseEnv.SLIPWAY_NODE = process.execPath;
      baseEnv.SLIPWAY_CLI = options.cliPath;
    }
    const recorder = new Recorder(store, options.observers ?? []);
    const executor =
      typeof options.executor === "object"
        ? options.executor
        : options.executor === "process"
          ? new ProcessExecutor()
          : new SlotExecutor();
    const engine = new Engine(plan, {
      executor,
      store,
      dataDir,
      run,
      concurrency: options.concurrency ?? os.availableParallelism(),
      useCache: options.useCache ?? true,
      approvals: storeApprovals(store),
      secrets,
      baseEnv,
      observer: recorder,
      signal: options.signal ?? new AbortController().signal,
      runNumber,
      ...(options.dialect ? { dialect: options.dialect } : {}),
    });
    let result: RunResult;
    try {
      result = await engine.run();
    } finally {
      if (executor !== options.executor && executor instanceof SlotExecutor) await executor.close();
      await recorder.drain();
      await rm(path.join(runDir, "pid"), { force: true });
    }
    // A successful run's workspace is only a copy; a failed one is kept to look into, but only
    // the last few, so a pipeline failing all day does not fill the disk.
    if (!options.inPlace) {
      if (result.status === "success") await rm(workspace, { recursive: true, force: true });
      await pruneWorkspaces(path.join(dataDir, "runs"), KEPT_WORKSPACES);
    }
    return { ...result, run };
  } finally {
    await store.close();
  }
}

/** How many failed runs' workspaces are kept. */
export const KEPT_WORKSPACES = 5;

async function pruneWorkspaces(runsDir: string, keep: number): Promise<void> {
  const runs = (await readdir(runsDir)).sort().reverse();
  let kept = 0;
  for (const id of runs) {
    const workspace = path.join(runsDir, id, "workspace");
    if (!existsSync(workspace)) continue;
    // A run still going (its pid file present) is never pruned.
    if (existsSync(path.join(runsDir, id, "pid"))) continue;
    if (kept++ >= keep) await rm(workspace, { recursive: true, force: true });
  }
}

/** A new run id: time first, so ids sort by start; random after, so two in one millisecond differ. */
export function newRunId(): string {
  return `${Date.now().toString(36)}${randomBytes(5).toString("hex")}`;
}

async function loadSecrets(
  names: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  secretFile: string | undefined,
): Promise<Record<string, string>> {
  const secrets: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined) secrets[name] = value;
  }
  if (secretFile) {
    let text: string;
    try {
      text = await readFile(secretFile, "utf8");
    } catch (error) {
      throw new EnvironmentError(`cannot read secret file ${secretFile}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    // Every value in the file is a secret: masked in logs and readable as ${{ secrets.NAME }}.
    Object.assign(secrets, parseOutputsFile(text, secretFile));
  }
  return secrets;
}

/**
 * A run still marked queued or running whose process is gone was interrupted (killed, crashed,
 * machine rebooted). Runs whose process is alive (another `slipway run` in this project) are left alone.
 */
async function markDeadRunsInterrupted(store: Store, dataDir: string): Promise<void> {
  const runs = await store.listRuns({ limit: 50 });
  const dead: string[] = [];
  for (const run of runs) {
    if (run.status !== "running" && run.status !== "queued") continue;
    // A server's run has no pid file: its server and agents answer for it.
    if (run.project !== undefined) continue;
    const pid = Number(await readFile(path.join(dataDir, "runs", run.id, "pid"), "utf8").catch(() => "0"));
    if (!pid || !isAlive(pid)) dead.push(run.id);
  }
  if (dead.length > 0) await store.markInterrupted(Date.now(), dead);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
