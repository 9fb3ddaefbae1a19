import { spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "../../errors/index.js";
import type { Diagnostic } from "../../errors/index.js";
import { evaluateValue, findExpressions, interpolate } from "../expressions.js";
import type { EvaluationContext } from "../expressions.js";
import type { Job, Pipeline } from "../ir.js";
import { expandMatrix } from "../matrix.js";
import { planPipeline } from "../plan.js";
import type { PlannedJob, PlanOptions } from "../plan.js";
import { strategyMatrix } from "./strategy.js";
import { runnerOs } from "./dialect.js";
import { jobMeta } from "./meta.js";
import type { ToolCheck } from "./meta.js";
import { atLeast, satisfies, versionFromFile } from "./versions.js";
import { dedupeDiagnostics } from "../../config/schema-diagnostics.js";

/** The contexts known before a run starts: what strategies and checks may read. */
export interface StaticContexts {
  github: Record<string, unknown>;
  inputs: Record<string, unknown>;
  vars: Record<string, string>;
}

export interface PrepareOptions {
  /** "run" also checks this machine against the jobs that will run: runs-on, tools, shells. */
  mode: "run" | "inspect";
  projectDir: string;
  jobs?: readonly string[] | undefined;
  plan?: PlanOptions | undefined;
}

const MAX_MATRIX_JOBS = 256;

/**
 * Completes a compiled workflow for one run: expands strategies written as expressions (over
 * github, inputs and vars, which GitHub allows there), and, for a run, checks what this machine
 * must provide for the jobs that will run — their runs-on labels, the tool versions setup actions
 * ask for, pwsh, and that checkouts name this repository. Every problem is reported at once, at
 * its position in the workflow, before anything runs.
 */
export function preparePipeline(
  pipeline: Pipeline,
  contexts: StaticContexts,
  options: PrepareOptions,
): Pipeline {
  const diagnostics: Diagnostic[] = [];
  const base = (extra: Record<string, unknown> = {}): EvaluationContext => ({
    contexts: { ...contexts, needs: {}, ...extra },
    status: { failed: false, cancelled: false },
    place: "job",
    workspace: options.projectDir,
  });
  const jobs = pipeline.jobs.map((job): Job => {
    const strategy = jobMeta(job).strategy;
    if (!strategy) return job;
    let value: unknown;
    try {
      value = evaluateDeep(strategy.value, base());
    } catch (error) {
      diagnostics.push({ position: strategy.position, message: `strategy: ${(error as Error).message}` });
      return job;
    }
    const matrix = strategyMatrix(value);
    if (typeof matrix === "string") {
      diagnostics.push({ position: strategy.position, message: `strategy, once evaluated: ${matrix}` });
      return job;
    }
    if (!matrix) return job;
    const count = expandMatrix(matrix).length;
    if (count === 0 || count > MAX_MATRIX_JOBS) {
      diagnostics.push({
        position: strategy.position,
        message:
          count === 0
            ? "the matrix, once evaluated, expands to no combination"
            : `the matrix expands to ${count} jobs; GitHub allows ${MAX_MATRIX_JOBS}`,
      });
      return job;
    }
    return { ...job, matrix };
  });
  if (diagnostics.length > 0) throw new ConfigError(diagnostics);
  const prepared = { ...pipeline, jobs };
  if (options.mode === "run") {
    const plan = planPipeline(prepared, options.jobs ?? [], options.plan);
    const host = new HostTools();
    for (const planned of plan.jobs) {
      const ctx = base({
        matrix: planned.matrix ?? {},
        strategy: {
          "fail-fast": planned.job.matrix?.failFast ?? true,
          "job-index": planned.matrixIndex ?? 0,
          "job-total": planned.matrixTotal ?? 1,
          "max-parallel": planned.job.matrix?.maxParallel ?? planned.matrixTotal ?? 1,
        },
      });
      checkRunsOn(planned, ctx, diagnostics);
      for (const check of jobMeta(planned.job).toolChecks)
        checkTool(planned, check, ctx, host, options.projectDir, diagnostics);
      checkCheckouts(planned, ctx, contexts, diagnostics);
      checkShells(planned, host, diagnostics);
    }
  }
  if (diagnostics.length > 0) throw new ConfigError(dedupeDiagnostics(diagnostics));
  return prepared;
}

/** Strings that are one expression become its value (a list, a mapping); others are interpolated. */
function evaluateDeep(value: unknown, ctx: EvaluationContext): unknown {
  if (typeof value === "string") {
    const segments = findExpressions(value);
    const only = segments[0];
    if (segments.length === 1 && only && only.start === 0 && only.end === value.length) {
      return evaluateValue(only.source, ctx);
    }
    return segments.length > 0 ? interpolate(value, ctx) : value;
  }
  if (Array.isArray(value)) return value.map((item) => evaluateDeep(item, ctx));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluateDeep(v, ctx)]));
  }
  return value;
}

/** undefined when the value needs what only the run knows (steps, a needed job's outputs). */
function tryEvaluate(value: unknown, ctx: EvaluationContext): unknown {
  try {
    return evaluateDeep(value, ctx);
  } catch {
    return undefined;
  }
}

const OS_OF_LABEL: [RegExp, string][] = [
  [/^(ubuntu|linux)\b/i, "Linux"],
  [/^windows\b/i, "Windows"],
  [/^macos\b/i, "macOS"],
];

/**
 * Every job runs on this machine, whatever its labels say (self-hosted and custom labels are
 * accepted); only a GitHub-hosted label naming another operating system is an error.
 */
function checkRunsOn(planned: PlannedJob, ctx: EvaluationContext, diagnostics: Diagnostic[]): void {
  const meta = jobMeta(planned.job);
  if (meta.runsOn === undefined || !meta.runsOnPosition) return;
  const value = tryEvaluate(meta.runsOn, ctx);
  const labels =
    typeof value === "string"
      ? [value]
      : Array.isArray(value)
        ? value.map(String)
        : typeof value === "object" && value !== null
          ? [(value as { labels?: unknown }).labels].flat().filter((l): l is string => typeof l === "string")
          : [];
  const here = runnerOs();
  for (const label of labels) {
    const os = OS_OF_LABEL.find(([pattern]) => pattern.test(label))?.[1];
    if (os === undefined || os === here) continue;
    const axis = Object.entries(planned.matrix ?? {}).find(([, v]) => v === label)?.[0];
    diagnostics.push({
      position: meta.runsOnPosition,
      message: `job "${planned.key}" runs on ${label}, and this machine runs ${here}`,
      hint: axis
        ? `keep the children for this machine with --matrix ${axis}=<a ${here} label>`
        : "run the other jobs by name, or change runs-on",
    });
  }
}

function checkTool(
  planned: PlannedJob,
  check: ToolCheck,
  ctx: EvaluationContext,
  host: HostTools,
  projectDir: string,
  diagnostics: Diagnostic[],
): void {
  const installed = host.version(check.tool);
  const where = planned.matrix ? ` (job ${planned.key})` : "";
  if (installed === undefined) {
    diagnostics.push({
      position: check.position,
      message: `${check.action} needs ${check.tool}, which is not installed on this machine${where}`,
      hint: "Slipway downloads no toolchain: install it, or run without this job",
    });
    return;
  }
  if (check.version !== undefined) {
    const wanted = tryEvaluate(check.version, ctx);
    if (typeof wanted !== "string" && typeof wanted !== "number") return;
    const specs = String(wanted)
      .split("\n")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    if (specs.length === 0 || specs.some((spec) => satisfies(installed, spec))) return;
    diagnostics.push({
      position: check.position,
      message: `${check.action} asks for ${check.tool} ${specs.join(", ")}${where}; this machine has ${installed}`,
      hint: planned.matrix
        ? `Slipway uses this machine's ${check.tool} and downloads none: keep the matching children with --matrix`
        : `Slipway uses this machine's ${check.tool} and downloads none: install ${specs.join(" or ")}, or change the version`,
    });
    return;
  }
  if (check.versionFile !== undefined) {
    const file = tryEvaluate(check.versionFile, ctx);
    if (typeof file !== "string") return;
    let text: string;
    try {
      text = readFileSync(path.resolve(projectDir, file), "utf8");
    } catch {
      diagnostics.push({ position: check.position, message: `${check.action}: cannot read ${file}` });
      return;
    }
    const spec = versionFromFile(file, text, check.tool);
    if (spec === undefined) return;
    // Go builds a module with any toolchain at least as new as its go line; others need a match.
    const ok = check.tool === "go" ? atLeast(installed, spec) : satisfies(installed, spec);
    if (!ok) {
      diagnostics.push({
        position: check.position,
        message: `${file} asks for ${check.tool} ${spec}${where}; this machine has ${installed}`,
        hint: `Slipway uses this machine's ${check.tool} and downloads none`,
      });
    }
  }
}

function checkCheckouts(
  planned: PlannedJob,
  ctx: EvaluationContext,
  contexts: StaticContexts,
  diagnostics: Diagnostic[],
): void {
  const own = String(contexts.github.repository ?? "");
  for (const { repository, position } of jobMeta(planned.job).checkoutRepositories) {
    const value = tryEvaluate(repository, ctx);
    if (typeof value !== "string" || value === "" || value.toLowerCase() === own.toLowerCase()) continue;
    diagnostics.push({
      position,
      message: `actions/checkout of ${value} is not available: Slipway checks out the repository being run (${own}) only`,
      hint: "clone it in a run: step if this machine can reach it",
    });
  }
}

function checkShells(planned: PlannedJob, host: HostTools, diagnostics: Diagnostic[]): void {
  for (const step of planned.job.steps) {
    if (step.shell === "pwsh" && !host.onPath("pwsh")) {
      diagnostics.push({
        position: step.position,
        message: "shell pwsh: PowerShell is not installed on this machine",
        hint: "install pwsh, or use bash",
      });
    }
  }
}

/** This machine's tools, probed once each and only when a workflow asks. */
class HostTools {
  private readonly versions = new Map<string, string | undefined>();
  private readonly found = new Map<string, boolean>();

  version(tool: "node" | "go" | "python"): string | undefined {
    if (this.versions.has(tool)) return this.versions.get(tool);
    let version: string | undefined;
    if (tool === "node" && this.resolve("node") === realpathSync(process.execPath)) {
      version = process.version.slice(1);
    } else {
      const [command, ...args] =
        tool === "node"
          ? ["node", "--version"]
          : tool === "go"
            ? ["go", "env", "GOVERSION"]
            : ["python3", "--version"];
      const result = spawnSync(command ?? tool, args, { encoding: "utf8", timeout: 10_000 });
      version = result.status === 0 ? /\d+(\.\d+)+/.exec(`${result.stdout}${result.stderr}`)?.[0] : undefined;
    }
    this.versions.set(tool, version);
    return version;
  }

  onPath(command: string): boolean {
    let known = this.found.get(command);
    if (known === undefined) {
      known = this.resolve(command) !== undefined;
      this.found.set(command, known);
    }
    return known;
  }

  private resolve(command: string): string | undefined {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
      const candidate = path.join(dir, command);
      try {
        accessSync(candidate, constants.X_OK);
        return realpathSync(candidate);
      } catch {
        // Not in this directory.
      }
    }
    return undefined;
  }
}
