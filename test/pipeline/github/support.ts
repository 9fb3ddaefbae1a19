/**
 * Shared set-up of the GitHub front-end tests: real git repositories in temporary directories
 * (from a fixture project or given files), and runs of their workflows through the real engine.
 */
import { execFileSync } from "node:child_process";
import { cpSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../../../src/errors/index.js";
import type { Diagnostic } from "../../../src/errors/index.js";
import type { EngineEvent, LogLine } from "../../../src/pipeline/events.js";
import { loadGithubWorkflow } from "../../../src/pipeline/github/index.js";
import type { GithubLoadOptions, LoadedWorkflow } from "../../../src/pipeline/github/index.js";
import { runLocally } from "../../../src/pipeline/local-run.js";
import type { LocalRunResult } from "../../../src/pipeline/local-run.js";
import { baseEnv, tempDir, writeFiles } from "../engine/harness.js";

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "Ada Tester",
      GIT_AUTHOR_EMAIL: "ada@example.com",
      GIT_COMMITTER_NAME: "Ada Tester",
      GIT_COMMITTER_EMAIL: "ada@example.com",
    },
  }).trim();
}

/** A git repository on `main` holding a fixture project (or files), committed once. */
export async function repository(
  source: { fixture?: string; files?: Record<string, string> },
  options: { remote?: string } = {},
): Promise<string> {
  const dir = await tempDir("slipway-gh-repo-");
  if (source.fixture) cpSync(path.join(FIXTURES, source.fixture), dir, { recursive: true });
  if (source.files) await writeFiles(dir, source.files);
  git(dir, "init", "-q", "-b", "main");
  if (options.remote) git(dir, "remote", "add", "origin", options.remote);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "Initial import");
  return dir;
}

/** Writes files and commits them. */
export async function commit(
  dir: string,
  files: Record<string, string>,
  message = "Change",
): Promise<string> {
  await writeFiles(dir, files);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

export interface WorkflowRun {
  loaded: LoadedWorkflow;
  result: LocalRunResult;
  events: EngineEvent[];
  logs: LogLine[];
  dataDir: string;
}

export function load(
  dir: string,
  workflow: string,
  options: Partial<GithubLoadOptions> = {},
): Promise<LoadedWorkflow> {
  return loadGithubWorkflow(path.join(dir, workflow), workflow, {
    projectDir: dir,
    mode: "run",
    actor: "ada",
    ...options,
  });
}

/** Loads a workflow as `slipway run --workflow` does and runs it with the engine. */
export async function runWorkflow(
  dir: string,
  workflow: string,
  options: Partial<GithubLoadOptions> & { secretFile?: string } = {},
): Promise<WorkflowRun> {
  const { secretFile, ...loadOptions } = options;
  const loaded = await load(dir, workflow, loadOptions);
  const dataDir = await tempDir("slipway-gh-data-");
  const events: EngineEvent[] = [];
  const logs: LogLine[] = [];
  const result = await runLocally({
    pipeline: loaded.pipeline,
    projectDir: dir,
    dataDir,
    concurrency: 2,
    env: baseEnv(),
    dialect: loaded.dialect,
    trigger: loaded.trigger.event,
    ...(options.jobs ? { jobs: options.jobs } : {}),
    ...(options.plan ? { plan: options.plan } : {}),
    ...(secretFile ? { secretFile } : {}),
    observers: [{ event: (e) => events.push(e), log: (l) => logs.push(l) }],
  });
  return { loaded, result, events, logs, dataDir };
}

/** The diagnostics of a ConfigError thrown by `fn`, as `file:line:column: message` lines. */
export async function diagnosticsOf(fn: () => Promise<unknown>): Promise<string[]> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.diagnostics.map(formatDiagnostic);
    throw error;
  }
  throw new Error("expected a ConfigError");
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.position.file}:${d.position.line}:${d.position.column}: ${d.message}`;
}

/** Log lines of one job (and step), as text. */
export function lines(logs: readonly LogLine[], jobKey: string, stepIndex?: number): string[] {
  return logs
    .filter(
      (l) =>
        l.jobKey === jobKey &&
        (stepIndex === undefined || l.stepIndex === stepIndex) &&
        l.stream !== "system",
    )
    .map((l) => l.text);
}

export function finished(events: readonly EngineEvent[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of events) if (e.type === "job.finished") out[e.jobKey] = e.status;
  return out;
}
