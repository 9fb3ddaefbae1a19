import type { RunInfo } from "./events.js";
import type { Step } from "./ir.js";
import type { PlannedJob } from "./plan.js";

/**
 * What a pipeline dialect adds to the engine's run: the names steps know their runner files and
 * variables by, the expression contexts of the dialect, and whether a step's output carries
 * workflow commands. The engine implements the mechanics once (outputs, env and path files,
 * summaries, masking, annotations); a dialect only names them, so slipway.yaml steps see
 * `$SLIPWAY_OUTPUT` and GitHub workflow steps see `$GITHUB_OUTPUT` with the same behaviour.
 */
export interface RunnerDialect {
  /** The variables that name each runner file in a step's environment. */
  readonly fileVariables: Readonly<Record<RunnerFile, string>>;
  /** Steps also get Slipway's own variables (SLIPWAY_RUN_ID, SLIPWAY_JOB...); a dialect with its own set may leave them out. */
  readonly slipwayVariables: boolean;
  /** `::add-mask::`, `::group::`, `::error ...::` lines of a step's output are commands (GitHub's protocol). */
  readonly workflowCommands: boolean;
  /** `::debug::` lines are kept in the log (only with workflow commands). */
  readonly debug: boolean;
  /** Secrets that exist even when nobody set them, such as GitHub's empty `GITHUB_TOKEN`. */
  readonly defaultSecrets: Readonly<Record<string, string>>;
  /** Writes what steps read before the first job starts (an event payload file). */
  prepare?(setup: DialectSetup): Promise<void>;
  /** Contexts beyond env, secrets, matrix, needs, steps and job: named as the dialect's users know them. */
  contexts(scope: DialectScope): Record<string, unknown>;
  /**
   * Sets a step's standard variables of the dialect in `env` (after the step's own env: a
   * workflow cannot override them). Written in place: a step's environment is built once.
   */
  addStepVariables(scope: StepScope, env: Record<string, string>): void;
}

export type RunnerFile = "output" | "env" | "path" | "summary" | "state";

export interface DialectSetup {
  run: RunInfo;
  /** The run's own directory under the data directory (files, artifacts). */
  runDir: string;
  dataDir: string;
  /** The number the run will get in this project's history. */
  runNumber: number;
  /** Every job instance of the run. */
  jobs: readonly PlannedJob[];
}

export interface DialectScope {
  run: RunInfo;
  planned: PlannedJob;
  /** Set for expressions of a step (not for a job's `if`, name or concurrency). */
  step?: Step | undefined;
}

export interface StepScope extends DialectScope {
  step: Step;
  attempt: number;
  /** Absolute paths of this attempt's runner files. */
  files: Readonly<Record<RunnerFile, string>>;
}

/** slipway.yaml: `$SLIPWAY_OUTPUT` and friends, and the `slipway` context. */
export const nativeDialect: RunnerDialect = {
  fileVariables: {
    output: "SLIPWAY_OUTPUT",
    env: "SLIPWAY_ENV",
    path: "SLIPWAY_PATH",
    summary: "SLIPWAY_STEP_SUMMARY",
    state: "SLIPWAY_STATE",
  },
  slipwayVariables: true,
  workflowCommands: false,
  debug: false,
  defaultSecrets: {},
  contexts: ({ run, planned }) => ({
    slipway: {
      run_id: run.id,
      workspace: run.workspace,
      job: planned.job.id,
      job_key: planned.key,
      commit: run.commit ?? "",
    },
  }),
  addStepVariables: () => {},
};
