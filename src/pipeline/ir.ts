import { z } from "zod";

/**
 * The pipeline IR: what every front-end (slipway.yaml, GitHub Actions workflows, GitLab CI)
 * compiles to, and the only thing the engine reads. It holds no YAML dialect: keys are
 * camelCase, defaults are filled in, expressions are kept as source text to evaluate at run time,
 * and every job and step keeps the position it came from so run-time errors can point at it.
 *
 * It is validated with zod when a front-end hands it over, so a front-end bug fails loudly
 * instead of running a half-formed pipeline.
 */

export const sourcePositionSchema = z.object({
  file: z.string(),
  line: z.number().int().positive(),
  column: z.number().int().positive(),
});

/** A string that may contain `${{ expression }}` parts, interpolated at run time. */
const template = z.string();
/** A bare expression (no `${{ }}`), evaluated for its truthiness. */
const condition = z.string();
/** A flag that may be decided at run time: a boolean, or a template whose value is `true` or `false`. */
const flag = z.union([z.boolean(), template]);

const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonValue),
    z.record(z.string(), jsonValue),
  ]),
);

export const cacheSpecSchema = z.object({
  /** Globs, relative to the workspace, whose file contents go into the cache key. */
  inputs: z.array(z.string()),
  /** Paths (files or directories, relative to the workspace) saved on a miss and restored on a hit. */
  outputs: z.array(z.string()),
  /** Extra text mixed into the key (e.g. a tool version), after interpolation. */
  key: template.optional(),
});
export type CacheSpec = z.infer<typeof cacheSpecSchema>;

export const retrySchema = z.object({
  /** Extra attempts after the first. 0 = no retry. */
  count: z.number().int().min(0),
  /** Delay before the first retry, in seconds. */
  delaySeconds: z.number().min(0),
  /** Multiplier applied to the delay after each retry (exponential backoff). */
  factor: z.number().min(1),
});
export type Retry = z.infer<typeof retrySchema>;

export const stepSchema = z.object({
  /** Position in the job, from 0. */
  index: z.number().int().min(0),
  id: z.string().optional(),
  name: z.string(),
  run: template,
  /** The interpreter: `bash` (run with -eo pipefail), `sh` (-e), or a command template with `{0}` for the script file. */
  shell: z.string(),
  env: z.record(z.string(), template),
  workingDirectory: template.optional(),
  if: condition,
  timeoutMinutes: z.number().positive().optional(),
  retry: retrySchema,
  continueOnError: flag,
  cache: cacheSpecSchema.optional(),
  /**
   * This step is the post step of the step with this index: it gets that step's saved state
   * (`$GITHUB_STATE`) as `STATE_<name>` variables.
   */
  stateOf: z.number().int().min(0).optional(),
  position: sourcePositionSchema,
});
export type Step = z.infer<typeof stepSchema>;

export const matrixSchema = z.object({
  /** Axis name to values, in declaration order: the cartesian product follows it. */
  axes: z.record(z.string(), z.array(jsonValue)),
  include: z.array(z.record(z.string(), jsonValue)),
  exclude: z.array(z.record(z.string(), jsonValue)),
  /** How many children of this job may run at once; unset = only the global limit. */
  maxParallel: z.number().int().positive().optional(),
  /** When one child fails, cancel the ones still queued or running. */
  failFast: z.boolean(),
});
export type Matrix = z.infer<typeof matrixSchema>;

export const jobSchema = z.object({
  id: z.string(),
  /** May hold `${{ }}` over the matrix and the run's static contexts; evaluated when the run is queued. */
  name: z.string(),
  needs: z.array(z.string()),
  if: condition,
  env: z.record(z.string(), template),
  timeoutMinutes: z.number().positive(),
  continueOnError: flag,
  /** Job outputs: name to template, usually over `steps.<id>.outputs`. */
  outputs: z.record(z.string(), template),
  matrix: matrixSchema.optional(),
  /** Jobs (of this run) in the same group run one at a time; the group is a template. */
  concurrency: z.object({ group: template, cancelInProgress: z.boolean() }).optional(),
  /** The job waits for a person's approval before it starts; the subject (a template) is what they approve. */
  approval: z.object({ subject: template, role: z.enum(["operator", "admin"]) }).optional(),
  steps: z.array(stepSchema).min(1),
  /** Paths (globs) published when the job succeeds, stored with the run and placed for dependent jobs. */
  artifacts: z.array(z.string()),
  cache: cacheSpecSchema.optional(),
  reports: z.object({ junit: z.array(z.string()) }),
  /**
   * The front-end's own facts about the job, which the engine never reads: what it records
   * without acting on it (environment, permissions) and what it checks before a run (runs-on).
   */
  meta: z.record(z.string(), jsonValue).optional(),
  position: sourcePositionSchema,
});
export type Job = z.infer<typeof jobSchema>;

export const pipelineSchema = z.object({
  name: z.string(),
  source: z.object({
    /** Path of the pipeline file as the user gave it. */
    file: z.string(),
    frontEnd: z.enum(["native", "github", "gitlab"]),
  }),
  env: z.record(z.string(), template),
  /** Names of the secrets the pipeline reads; their values are masked wherever they appear in logs. */
  secrets: z.array(z.string()),
  /** In declaration order. */
  jobs: z.array(jobSchema).min(1),
  /** The front-end's own facts about the pipeline, which the engine never reads (triggers, permissions). */
  meta: z.record(z.string(), jsonValue).optional(),
});
export type Pipeline = z.infer<typeof pipelineSchema>;

export const DEFAULT_JOB_TIMEOUT_MINUTES = 360;
