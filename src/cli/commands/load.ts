import { access } from "node:fs/promises";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { formatPosition, UsageError } from "../../errors/index.js";
import {
  loadGithubWorkflow,
  loadGitlabPipeline,
  loadNativePipeline,
  locatePipeline,
} from "../../pipeline/index.js";
import type { LoadedPipeline, PlanOptions, RunnerDialect } from "../../pipeline/index.js";
import { manualRunDialect } from "../../pipeline/native/dialect.js";

export interface ProjectPipeline extends LoadedPipeline {
  projectDir: string;
  file: string;
}

/** What run, validate and graph load: the pipeline, and for a workflow how it is run. */
export interface CommandPipeline extends ProjectPipeline {
  dialect?: RunnerDialect;
  plan?: PlanOptions;
  /** Recorded as the run's trigger (a workflow's event). */
  trigger?: string;
  /** Said before the run starts (a run forced past a workflow's filters). */
  warnings: string[];
}

/** Which pipeline file a command reads: slipway.yaml, a GitHub workflow or a GitLab CI file. */
export interface SourceFlags {
  file?: string;
  workflow?: string;
  /** `--gitlab` alone is true: the default .gitlab-ci.yml. */
  gitlab?: string | boolean;
}

/** How a GitHub workflow is played (see pipeline/github). */
export interface WorkflowFlags {
  event?: string;
  input?: string[];
  var?: string[];
  varsFile?: string;
  matrix?: string[];
  forceTrigger?: boolean;
  debug?: boolean;
  actionsBaseUrl?: string;
}

declare const __SLIPWAY_BUILD__: string | undefined;
/** Set by the bundler to the build time; without it (running from sources) nothing is cached. */
const build = typeof __SLIPWAY_BUILD__ === "string" ? __SLIPWAY_BUILD__ : undefined;

/** Finds and compiles the pipeline for a command; errors carry positions. */
export async function loadProjectPipeline(
  file: string | undefined,
  dataDir?: string,
): Promise<ProjectPipeline> {
  const located = await locatePipeline(process.cwd(), file);
  const cacheDir = path.join(dataDir ?? path.join(located.projectDir, ".slipway"), "compiled");
  const loaded = await loadNativePipeline(
    located.file,
    located.displayPath,
    build ? { dir: cacheDir, build } : undefined,
  );
  return { ...loaded, projectDir: located.projectDir, file: located.file };
}

/**
 * Loads whichever pipeline the flags name. `mode: "run"` also checks what only matters for a
 * run (a workflow's event filters, required inputs, this machine's tools).
 */
export async function loadCommandPipeline(
  flags: SourceFlags & WorkflowFlags,
  options: {
    mode: "run" | "inspect";
    jobs?: readonly string[];
    dataDir?: string | undefined;
    /** Variables of the run (`--env`), which a GitLab pipeline's rules see. */
    variables?: Record<string, string> | undefined;
  },
): Promise<CommandPipeline> {
  const sources = [flags.file, flags.workflow, flags.gitlab].filter((f) => f !== undefined && f !== false);
  if (sources.length > 1) {
    throw new UsageError("--file, --workflow and --gitlab name a pipeline each: pass one of them");
  }
  const matrix = parsePairs("--matrix", flags.matrix);
  const plan: PlanOptions | undefined = Object.keys(matrix).length > 0 ? { matrix } : undefined;
  if (flags.workflow !== undefined) return loadWorkflow(flags.workflow, flags, options, plan);
  if (flags.gitlab !== undefined && flags.gitlab !== false) {
    return loadGitlab(flags.gitlab === true ? ".gitlab-ci.yml" : flags.gitlab, options, plan);
  }
  for (const flag of ["event", "var", "varsFile", "forceTrigger", "actionsBaseUrl"] as const) {
    if (flags[flag] !== undefined && flags[flag] !== false) {
      throw new UsageError(`--${kebab(flag)} is for GitHub workflows`, { hint: "add --workflow FILE" });
    }
  }
  const loaded = await loadProjectPipeline(flags.file, options.dataDir);
  const dialect = manualRunDialect(loaded.pipeline, parsePairs("--input", flags.input), {
    required: options.mode === "run",
  });
  return {
    ...loaded,
    dialect,
    warnings: [],
    ...(plan ? { plan } : {}),
  };
}

async function loadWorkflow(
  given: string,
  flags: WorkflowFlags,
  options: { mode: "run" | "inspect"; jobs?: readonly string[]; dataDir?: string | undefined },
  plan: PlanOptions | undefined,
): Promise<CommandPipeline> {
  const file = await existing(given, "--workflow", "e.g. --workflow .github/workflows/ci.yml");
  const projectDir = workflowProject(file);
  const loaded = await loadGithubWorkflow(file, displayPath(file), {
    projectDir,
    mode: options.mode,
    event: flags.event,
    forceTrigger: flags.forceTrigger,
    inputs: parsePairs("--input", flags.input),
    vars: parsePairs("--var", flags.var),
    varsFile: flags.varsFile,
    debug: flags.debug,
    actionsBaseUrl: flags.actionsBaseUrl,
    jobs: options.jobs,
    plan,
    cache: build
      ? { dir: path.join(options.dataDir ?? path.join(projectDir, ".slipway"), "compiled"), build }
      : undefined,
  });
  const warnings = loaded.trigger.forcedPast.map((reason) => `--force-trigger: running although ${reason}`);
  return {
    pipeline: loaded.pipeline,
    sources: loaded.sources,
    projectDir,
    file,
    dialect: loaded.dialect,
    trigger: loaded.trigger.event,
    warnings,
    ...(plan ? { plan } : {}),
  };
}

async function loadGitlab(
  given: string,
  options: { jobs?: readonly string[]; variables?: Record<string, string> | undefined },
  plan: PlanOptions | undefined,
): Promise<CommandPipeline> {
  const file = await existing(given, "--gitlab", "e.g. --gitlab .gitlab-ci.yml");
  // GitLab resolves `include: local`, `rules:exists` and `changes` from the repository root,
  // wherever the CI file is (a project may set a custom CI file path such as ci/pipeline.yml).
  const projectDir = (await repositoryRoot(path.dirname(file))) ?? process.cwd();
  const loaded = await loadGitlabPipeline(file, displayPath(file), {
    projectDir,
    ...(options.jobs && options.jobs.length > 0 ? { jobs: [...options.jobs] } : {}),
    ...(options.variables ? { variables: options.variables } : {}),
  });
  const warnings = loaded.warnings.map(
    (w) =>
      `${w.position ? `${formatPosition(w.position)}: ` : ""}${w.message}${w.hint ? ` (${w.hint})` : ""}`,
  );
  return {
    pipeline: loaded.pipeline,
    sources: loaded.sources,
    projectDir,
    file,
    warnings,
    ...(plan ? { plan } : {}),
  };
}

const run = promisify(execFile);

async function repositoryRoot(dir: string): Promise<string | undefined> {
  try {
    const { stdout } = await run("git", ["-C", dir, "rev-parse", "--show-toplevel"]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

async function existing(given: string, flag: string, hint: string): Promise<string> {
  const file = path.resolve(process.cwd(), given);
  try {
    await access(file);
  } catch {
    throw new UsageError(`${flag} ${given}: no such file`, { hint });
  }
  return file;
}

/** A workflow at <root>/.github/workflows/x.yml belongs to <root>; elsewhere, to the current directory. */
function workflowProject(file: string): string {
  const dir = path.dirname(file);
  if (path.basename(dir) === "workflows" && path.basename(path.dirname(dir)) === ".github") {
    return path.dirname(path.dirname(dir));
  }
  return process.cwd();
}

function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith("..") ? file : relative;
}

/** NAME=VALUE pairs of a repeated option. */
export function parsePairs(flag: string, pairs: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const equals = pair.indexOf("=");
    if (equals <= 0) throw new UsageError(`${flag} ${pair}: expected NAME=VALUE`);
    out[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return out;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The data directory for history commands: given, or `.slipway` of the project around cwd. */
export function dataDirFor(given: string | undefined): string {
  return given ? path.resolve(given) : path.join(process.cwd(), ".slipway");
}
