import { createHash } from "node:crypto";
import type { Diagnostic, SourcePosition } from "../../errors/index.js";
import type { Job, Retry, Step } from "../ir.js";
import { diagnostic } from "./diagnostics.js";
import { formatDuration, parseDuration } from "./duration.js";
import { irMatrix, NODE_INDEX } from "./matrix.js";
import type { Draft } from "./draft.js";
import type { JobConfig } from "./schema.js";
import { dotenvCollect, dotenvImport, mainScript, removeSecretFiles, secretFiles } from "./script.js";
import { positionIn } from "./tree.js";
import {
  dynamic,
  environmentSlug,
  escapeTemplate,
  expandText,
  expandVariables,
  expressionString,
  raw,
  slugify,
} from "./variables.js";
import type { VariableDef } from "./variables.js";

/** GitLab's default job timeout (a project setting, one hour unless changed). */
export const GITLAB_DEFAULT_TIMEOUT_SECONDS = 3600;
/** after_script has its own timeout, five minutes by default (RUNNER_AFTER_SCRIPT_TIMEOUT). */
const AFTER_SCRIPT_TIMEOUT_MINUTES = 5;
const DOTENV_OUTPUT = "GITLAB_DOTENV";

export interface BuildContext {
  predefined: ReadonlyMap<string, VariableDef>;
  overrides: Readonly<Record<string, string>>;
  /** Jobs of the run this job waits for. */
  needs: string[];
  /** Jobs it takes artifacts (and so dotenv variables) from. */
  artifactSources: string[];
  hasDotenv(job: string): boolean;
  diagnostics: Diagnostic[];
  warn(message: string, position: SourcePosition | undefined, hint?: string): void;
  note(keyword: string, job: string, reason: string, position: SourcePosition): void;
  secrets: Set<string>;
  /** The job's number in the pipeline, for CI_JOB_ID. */
  number: number;
  /** Told the image the job would run in, with its variables expanded. */
  image(name: string, position: SourcePosition): void;
}

/** Turns a drafted job into the IR job the engine runs. */
export function buildJob(draft: Draft, ctx: BuildContext): Job {
  const { config, node, name } = draft;
  const path = (...keys: (string | number)[]) => positionIn(node, keys);
  const timeoutSeconds = jobTimeout(draft, ctx);
  const env = jobEnvironment(draft, ctx, timeoutSeconds);
  const lookup = (ref: string) => env.get(ref) ?? "";
  const expand = (text: string) => expandText(text, lookup);

  if (config.image !== undefined) {
    const written = typeof config.image === "string" ? config.image : config.image.name;
    const image = expand(written);
    // An image named by a matrix value is known only when the run starts: show it as written.
    ctx.image(image.includes("${{") ? written : image, path("image"));
  }
  const dotenvSources = ctx.artifactSources.filter((source) => ctx.hasDotenv(source));
  const dotenvEnv = dotenvSources.map((_, i) => `SLIPWAY_GITLAB_DOTENV_${i}`);
  dotenvSources.forEach((source, i) => {
    env.set(
      `SLIPWAY_GITLAB_DOTENV_${i}`,
      `\${{ needs[${expressionString(source)}].outputs.${DOTENV_OUTPUT} }}`,
    );
  });
  const secretList = secretsOf(draft, ctx, env);
  const prologue = [dotenvImport(dotenvEnv), secretFiles(secretList.files)]
    .filter((p) => p !== "")
    .join("\n");

  const steps: Step[] = [];
  const addStep = (
    step: Omit<Step, "index" | "retry" | "continueOnError" | "env" | "shell"> & Partial<Step>,
  ) => {
    steps.push({
      index: steps.length,
      shell: "bash",
      env: {},
      retry: { count: 0, delaySeconds: 0, factor: 1 },
      continueOnError: false,
      ...step,
    });
  };

  if (draft.when === "delayed" && draft.startIn !== undefined) {
    addStep({
      name: `start_in ${formatDuration(draft.startIn)}`,
      run: `echo "when: delayed: starting in ${formatDuration(draft.startIn)}"\nsleep ${draft.startIn}`,
      if: "success()",
      position:
        draft.rule?.start_in !== undefined && draft.rulePosition ? draft.rulePosition : path("start_in"),
    });
  }
  const preGet = scriptOf(config.hooks?.pre_get_sources_script);
  if (preGet.length > 0) {
    addStep({
      name: "hooks:pre_get_sources_script",
      run: mainScript("", preGet.map(escapeTemplate), {
        allowedExitCodes: undefined,
        retryExitCodes: undefined,
      }),
      if: "success()",
      position: path("hooks", "pre_get_sources_script"),
    });
  }

  const before = scriptOf(config.before_script);
  const commands = [...before, ...scriptOf(config.script)].map(escapeTemplate);
  const retry = retryOf(draft, ctx);
  addStep({
    name: before.length > 0 ? "before_script + script" : "script",
    run: mainScript(prologue, commands, {
      allowedExitCodes: draft.exitCodes,
      retryExitCodes: retry.exitCodes,
    }),
    if: "success()",
    retry: retry.engine,
    position: path("script"),
  });

  const after = scriptOf(config.after_script);
  if (after.length > 0) {
    addStep({
      name: "after_script",
      run: mainScript(prologue, after.map(escapeTemplate), {
        allowedExitCodes: undefined,
        retryExitCodes: undefined,
      }),
      // after_script runs in its own shell after a failure too, and its own failure does not
      // change the job's result; CI_JOB_STATUS tells it how the script ended.
      if: "always()",
      continueOnError: true,
      timeoutMinutes: AFTER_SCRIPT_TIMEOUT_MINUTES,
      env: {
        CI_JOB_STATUS:
          "${{ job.status == 'failure' && 'failed' || (job.status == 'cancelled' && 'canceled' || 'success') }}",
      },
      position: path("after_script"),
    });
  }

  const artifacts = artifactPaths(draft, ctx, expand);
  const reports = config.artifacts?.reports;
  const junit = toList(reports?.junit as string | string[] | undefined).map(expand);
  const dotenvFiles = toList(reports?.dotenv as string | string[] | undefined).map(expand);
  const outputs: Record<string, string> = {};
  if (dotenvFiles.length > 0) {
    const delimiter = `SLIPWAY_DOTENV_${createHash("sha256").update(name).digest("hex").slice(0, 12)}`;
    addStep({
      id: "gitlab_dotenv",
      name: "artifacts:reports:dotenv",
      run: dotenvCollect(dotenvFiles, "dotenv", delimiter),
      if: "success()",
      position: path("artifacts", "reports", "dotenv"),
    });
    outputs[DOTENV_OUTPUT] = "${{ steps.gitlab_dotenv.outputs.dotenv }}";
  }
  if (secretList.files.length > 0) {
    addStep({
      name: "remove secret files",
      run: removeSecretFiles(),
      if: "always()",
      continueOnError: true,
      position: path("secrets"),
    });
  }

  const job: Job = {
    id: name,
    // The engine evaluates `${{ }}` in names; a GitLab name is plain text.
    name: escapeTemplate(name),
    needs: ctx.needs,
    if: condition(draft),
    env: Object.fromEntries(env),
    timeoutMinutes: (timeoutSeconds + (draft.when === "delayed" ? (draft.startIn ?? 0) : 0)) / 60,
    continueOnError: draft.allowFailure,
    outputs,
    steps,
    artifacts,
    reports: { junit },
    position: draft.keyPos,
    meta: recorded(draft),
  };
  if (draft.children) job.matrix = irMatrix(draft.children.kind, draft.children.combinations);
  if (config.resource_group !== undefined) {
    job.concurrency = { group: expand(config.resource_group), cancelInProgress: false };
  }
  return job;
}

/**
 * When GitLab starts a job, as an IR condition over the results of the jobs it waits for.
 * https://docs.gitlab.com/ci/yaml/#when: a stage-ordered job counts skipped jobs of earlier
 * stages as passed; a job with `needs` is skipped when a job it needs was skipped
 * (Gitlab::Ci::Status::Composite with dag: true). A job allowed to fail counts as passed.
 */
export function condition(draft: Draft): string {
  const dag = draft.needs !== undefined;
  switch (draft.when) {
    case "on_failure":
      return dag
        ? "always() && contains(needs.*.result, 'failure') && !contains(needs.*.result, 'skipped')"
        : "always() && contains(needs.*.result, 'failure')";
    case "always":
      return "always()";
    default:
      return dag
        ? "success()"
        : "always() && !contains(needs.*.result, 'failure') && !contains(needs.*.result, 'cancelled')";
  }
}

function jobTimeout(draft: Draft, ctx: BuildContext): number {
  const written = draft.config.timeout;
  if (written === undefined) return GITLAB_DEFAULT_TIMEOUT_SECONDS;
  const seconds = parseDuration(written);
  if (seconds === undefined || seconds <= 0) {
    ctx.diagnostics.push(
      diagnostic(
        positionIn(draft.node, ["timeout"]),
        `${draft.name}:timeout: "${written}" is not a duration`,
        'write a duration such as "1h 30m" or "90 minutes"',
      ),
    );
    return GITLAB_DEFAULT_TIMEOUT_SECONDS;
  }
  return seconds;
}

/**
 * The job's variables, lowest precedence first: predefined, top-level and workflow ones, the
 * job's, its matching rule's, the matrix child's, then the run's own (`--env`).
 * https://docs.gitlab.com/ci/variables/#cicd-variable-precedence
 */
function jobEnvironment(draft: Draft, ctx: BuildContext, timeoutSeconds: number): Map<string, string> {
  const defs = new Map<string, VariableDef>(ctx.predefined);
  const { name, children } = draft;
  if (children) {
    const values =
      children.kind === "parallel" ? "${{ matrix.CI_NODE_INDEX }}" : "${{ join(matrix.*, ', ') }}";
    defs.set(
      "CI_JOB_NAME",
      dynamic(
        children.kind === "parallel"
          ? `${escapeTemplate(name)} ${values}/${children.total}`
          : `${escapeTemplate(name)}: [${values}]`,
      ),
    );
    defs.set("CI_NODE_TOTAL", raw(String(children.total), false));
    defs.set(NODE_INDEX, dynamic(nodeIndexTemplate(children)));
  } else {
    defs.set("CI_JOB_NAME", raw(name, false));
    defs.set("CI_JOB_NAME_SLUG", raw(slugify(name), false));
    defs.set("CI_NODE_TOTAL", raw("1", false));
  }
  defs.set("CI_JOB_STAGE", raw(draft.stage, false));
  defs.set("CI_JOB_ID", dynamic(`\${{ slipway.run_id }}-${ctx.number}`));
  defs.set("CI_JOB_TIMEOUT", raw(String(Math.round(timeoutSeconds)), false));
  if (draft.when === "manual") defs.set("CI_JOB_MANUAL", raw("true", false));
  const environment = environmentOf(draft.config.environment);
  if (environment?.name !== undefined) {
    defs.set("CI_ENVIRONMENT_NAME", raw(environment.name));
    defs.set("CI_ENVIRONMENT_ACTION", raw(environment.action ?? "start", false));
    defs.set("CI_ENVIRONMENT_TIER", raw(environment.tier ?? tierOf(environment.name), false));
    if (environment.url !== undefined) defs.set("CI_ENVIRONMENT_URL", raw(environment.url));
  }
  for (const [key, def] of draft.inheritedVariables) defs.set(key, def);
  for (const [key, def] of draft.jobVariables) defs.set(key, def);
  for (const [key, value] of Object.entries(draft.rule?.variables ?? {})) defs.set(key, raw(value));
  if (children?.kind === "matrix") {
    for (const key of new Set(children.combinations.flatMap((c) => Object.keys(c)))) {
      defs.set(key, dynamic(`\${{ matrix[${expressionString(key)}] }}`));
    }
  }
  for (const [key, value] of Object.entries(ctx.overrides)) defs.set(key, raw(value, false));

  let env = expandVariables(defs);
  const expandedName = env.get("CI_ENVIRONMENT_NAME");
  // The slug is known only for a name that does not depend on the run (a matrix value).
  if (expandedName !== undefined && !expandedName.includes("${{")) {
    defs.set("CI_ENVIRONMENT_SLUG", raw(environmentSlug(expandedName), false));
    env = expandVariables(defs);
  }
  return env;
}

/** CI_NODE_INDEX of a matrix child: its position among the children, looked up by its values. */
function nodeIndexTemplate(children: NonNullable<Draft["children"]>): string {
  if (children.kind === "parallel") return "${{ matrix.CI_NODE_INDEX }}";
  const separator = "\u001f";
  const table = Object.fromEntries(
    children.all.map((c, i) => [Object.values(c).join(separator), String(i + 1)]),
  );
  return `\${{ fromJSON(${expressionString(JSON.stringify(table))})[join(matrix.*, ${expressionString(separator)})] }}`;
}

function environmentOf(environment: JobConfig["environment"]):
  | {
      name: string | undefined;
      url: string | undefined;
      action: string | undefined;
      tier: string | undefined;
    }
  | undefined {
  if (environment === undefined) return undefined;
  if (typeof environment === "string")
    return { name: environment, url: undefined, action: undefined, tier: undefined };
  return {
    name: environment.name,
    url: environment.url,
    action: environment.action,
    tier: environment.deployment_tier,
  };
}

/** GitLab guesses an environment's tier from its name. */
function tierOf(name: string): string {
  const n = name.toLowerCase();
  if (/(prod|live)/.test(n)) return "production";
  if (/(stag|model|pre|demo)/.test(n)) return "staging";
  if (/(test|qa)/.test(n)) return "testing";
  if (/(dev|review|trunk)/.test(n)) return "development";
  return "other";
}

function retryOf(
  draft: Draft,
  ctx: BuildContext,
): { engine: Retry; exitCodes: { codes: number[]; max: number } | undefined } {
  const none: Retry = { count: 0, delaySeconds: 0, factor: 1 };
  const retry = draft.config.retry;
  if (retry === undefined) return { engine: none, exitCodes: undefined };
  if (typeof retry === "number") return { engine: { ...none, count: retry }, exitCodes: undefined };
  const max = retry.max ?? 0;
  const when = retry.when === undefined ? undefined : toList(retry.when);
  const codes = retry.exit_codes === undefined ? undefined : toList(retry.exit_codes);
  // Locally every failure is the script's (or its timeout's): the runner, API and scheduler
  // failures GitLab distinguishes cannot happen.
  const local = [
    "always",
    "script_failure",
    "unknown_failure",
    "stuck_or_timeout_failure",
    "job_execution_timeout",
  ];
  if ((when === undefined && codes === undefined) || when?.some((w) => local.includes(w))) {
    return { engine: { ...none, count: max }, exitCodes: undefined };
  }
  if (codes !== undefined) return { engine: none, exitCodes: { codes, max } };
  ctx.note(
    "retry:when",
    draft.name,
    `${when?.join(", ")} failures do not happen in a local run, so the job is not retried`,
    positionIn(draft.node, ["retry", "when"]),
  );
  return { engine: none, exitCodes: undefined };
}

function artifactPaths(draft: Draft, ctx: BuildContext, expand: (text: string) => string): string[] {
  const { config, node, name } = draft;
  const artifacts = config.artifacts;
  const paths = (artifacts?.paths ?? []).map(expand);
  const pages = config.pages ?? (name === "pages" ? true : undefined);
  if (pages !== undefined && pages !== false) {
    const publish = typeof pages === "object" ? (pages.publish ?? "public") : "public";
    paths.push(expand(publish));
    ctx.warn(
      `${name}: the GitLab Pages site (${publish}/) is kept as an artifact of the run, not published`,
      config.pages !== undefined ? positionIn(node, ["pages"], { key: true }) : draft.keyPos,
    );
  }
  if (paths.length === 0) return [];
  if (artifacts?.when === "on_failure") {
    ctx.warn(
      `${name}: artifacts:when on_failure: Slipway publishes artifacts when a job succeeds, so these are not published; the failed run's workspace is kept with the files`,
      positionIn(node, ["artifacts", "when"]),
    );
    return [];
  }
  if (artifacts?.when === "always") {
    ctx.warn(
      `${name}: artifacts:when always: the artifacts are published when the job succeeds; after a failure the run's workspace is kept with the files`,
      positionIn(node, ["artifacts", "when"]),
    );
  }
  return [...new Set(paths), ...(artifacts?.exclude ?? []).map((p) => `!${expand(p)}`)];
}

function secretsOf(
  draft: Draft,
  ctx: BuildContext,
  env: Map<string, string>,
): { files: { name: string; envName: string }[] } {
  const files: { name: string; envName: string }[] = [];
  for (const [secret, spec] of Object.entries(draft.config.secrets ?? {})) {
    ctx.secrets.add(secret);
    const value = `\${{ secrets[${expressionString(secret)}] }}`;
    if (spec.file === false) env.set(secret, value);
    else {
      const envName = `SLIPWAY_GITLAB_SECRET_${secret}`;
      env.set(envName, value);
      files.push({ name: secret, envName });
    }
  }
  if (files.length > 0 || Object.keys(draft.config.secrets ?? {}).length > 0) {
    ctx.warn(
      `${draft.name}: secrets (${Object.keys(draft.config.secrets ?? {}).join(", ")}) are read from the environment or --secret-file, not from the secrets provider`,
      positionIn(draft.node, ["secrets"], { key: true }),
    );
  }
  return { files };
}

/**
 * What GitLab would do with the job beyond running it (its image, runner tags, environment,
 * cache...), kept with the job for the plan and the history though a local run does not act on it.
 */
function recorded(draft: Draft): Record<string, unknown> {
  const { config } = draft;
  const image =
    config.image === undefined
      ? undefined
      : typeof config.image === "string"
        ? config.image
        : config.image.name;
  const artifacts = config.artifacts;
  const meta = {
    stage: draft.stage,
    when: draft.when,
    allowFailure: draft.exitCodes ? { exitCodes: draft.exitCodes } : draft.allowFailure,
    image,
    tags: config.tags,
    environment: config.environment,
    interruptible: config.interruptible,
    coverage: config.coverage,
    cache: config.cache,
    artifacts: artifacts && {
      expire_in: artifacts.expire_in,
      name: artifacts.name,
      expose_as: artifacts.expose_as,
      when: artifacts.when,
    },
  };
  // JSON only: the IR keeps no undefined values.
  return JSON.parse(JSON.stringify(meta)) as Record<string, unknown>;
}

/** A script keyword's commands (nested lists, from !reference, already flattened). */
export function scriptOf(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap((v) => scriptOf(v));
  return [String(value)];
}

function toList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
