/**
 * Shared harness for the engine tests: runs real pipelines through `runLocally` in throw-away
 * project and data directories, and collects every event and log line the engine emits.
 */
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterEach } from "vitest";
import type { EngineEvent, LogLine } from "../../../src/pipeline/events.js";
import { openLocalStore, runLocally } from "../../../src/pipeline/local-run.js";
import type { LocalRunOptions, LocalRunResult } from "../../../src/pipeline/local-run.js";
import { compileNativePipeline } from "../../../src/pipeline/native/compile.js";
import type { Store } from "../../../src/store/index.js";

const temps: string[] = [];

afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

export async function tempDir(prefix = "slipway-engine-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

export async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

/** Every file under `root` (relative, sorted) with its content: a fingerprint of a directory. */
export async function treeOf(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === ".git") continue;
        await visit(full);
      } else {
        out[relative(root, full)] = await readFile(full, "utf8");
      }
    }
  };
  await visit(root);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The minimal environment a step needs (PATH to find bash, python3...), plus `extra`. */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "USER", "LANG"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

export interface RunOptions {
  /** Files of the project, written before the run when the project directory is created here. */
  files?: Record<string, string>;
  /** Reuse a project directory (e.g. for a second run against the same cache). */
  projectDir?: string;
  dataDir?: string;
  concurrency?: number;
  useCache?: boolean;
  inPlace?: boolean;
  env?: Record<string, string>;
  signal?: AbortSignal;
  secretFile?: string;
  jobs?: string[];
  onEvent?: (event: EngineEvent) => void;
  onLog?: (line: LogLine) => void;
}

export interface Outcome {
  result: LocalRunResult;
  events: EngineEvent[];
  logs: LogLine[];
  projectDir: string;
  dataDir: string;
  /** Wall time of the runLocally call. */
  elapsedMs: number;
}

/** Compiles `yaml` and runs it with runLocally, collecting events and logs. */
export async function runPipeline(yaml: string, options: RunOptions = {}): Promise<Outcome> {
  const projectDir = options.projectDir ?? (await tempDir("slipway-project-"));
  const dataDir = options.dataDir ?? (await tempDir("slipway-data-"));
  if (options.files) await writeFiles(projectDir, options.files);
  const events: EngineEvent[] = [];
  const logs: LogLine[] = [];
  const runOptions: LocalRunOptions = {
    pipeline: compileNativePipeline(yaml, "slipway.yaml"),
    projectDir,
    dataDir,
    concurrency: options.concurrency ?? 4,
    env: options.env ?? baseEnv(),
    observers: [
      {
        event(e) {
          events.push(e);
          options.onEvent?.(e);
        },
        log(l) {
          logs.push(l);
          options.onLog?.(l);
        },
      },
    ],
  };
  if (options.useCache !== undefined) runOptions.useCache = options.useCache;
  if (options.inPlace !== undefined) runOptions.inPlace = options.inPlace;
  if (options.signal !== undefined) runOptions.signal = options.signal;
  if (options.secretFile !== undefined) runOptions.secretFile = options.secretFile;
  if (options.jobs !== undefined) runOptions.jobs = options.jobs;
  const started = Date.now();
  const result = await runLocally(runOptions);
  return { result, events, logs, projectDir, dataDir, elapsedMs: Date.now() - started };
}

/** Opens the run's store, hands it to `fn`, and closes it. */
export async function withStore<T>(dataDir: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openLocalStore(dataDir);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export type JobFinished = Extract<EngineEvent, { type: "job.finished" }>;
export type StepFinished = Extract<EngineEvent, { type: "step.finished" }>;

export function jobFinished(events: readonly EngineEvent[], jobKey: string): JobFinished {
  const found = events.find((e): e is JobFinished => e.type === "job.finished" && e.jobKey === jobKey);
  if (!found)
    throw new Error(`no job.finished for ${jobKey}; events: ${events.map((e) => e.type).join(", ")}`);
  return found;
}

export function jobStatuses(events: readonly EngineEvent[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of events) if (e.type === "job.finished") out[e.jobKey] = e.status;
  return out;
}

/** Final status of each step of a job (its last attempt), by index. */
export function stepStatuses(events: readonly EngineEvent[], jobKey: string): string[] {
  const out: string[] = [];
  for (const e of events) if (e.type === "step.finished" && e.jobKey === jobKey) out[e.stepIndex] = e.status;
  return out;
}

/** Index in `events` of the first event matching type and job key. */
export function indexOf(events: readonly EngineEvent[], type: EngineEvent["type"], jobKey: string): number {
  const index = events.findIndex((e) => e.type === type && "jobKey" in e && e.jobKey === jobKey);
  if (index === -1) throw new Error(`no ${type} for ${jobKey}`);
  return index;
}

/** The most jobs (optionally only those matching `filter`) running at once, from the event order. */
export function maxRunning(
  events: readonly EngineEvent[],
  filter: (jobKey: string) => boolean = () => true,
): number {
  let running = 0;
  let max = 0;
  const started = new Set<string>();
  for (const e of events) {
    if (e.type === "job.started" && filter(e.jobKey)) {
      started.add(e.jobKey);
      running++;
      max = Math.max(max, running);
    } else if (e.type === "job.finished" && started.has(e.jobKey)) {
      started.delete(e.jobKey);
      running--;
    }
  }
  return max;
}

/** stdout text of a job (optionally one step), one line per log line. */
export function output(logs: readonly LogLine[], jobKey: string, stepIndex?: number): string[] {
  return logs
    .filter(
      (l) =>
        l.jobKey === jobKey &&
        l.stream === "stdout" &&
        (stepIndex === undefined || l.stepIndex === stepIndex),
    )
    .map((l) => l.text);
}

/** Resolves with "timeout" when `promise` does not settle in time (for runs that may hang because of a bug). */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** True while the process exists and is not a zombie (an orphan may wait a while to be reaped in a container). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The state follows the parenthesised command name: `pid (comm) S ...`.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch (error) {
    // No /proc (not Linux): kill(0) succeeding is all we know.
    return (error as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

/** Waits (briefly) for a process to disappear: a SIGKILLed process may take a moment to be reaped. */
export async function waitGone(pid: number, ms = 1000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !isAlive(pid);
}

export function killQuietly(pid: number | undefined): void {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
