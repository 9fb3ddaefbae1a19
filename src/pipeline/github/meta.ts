import type { SourcePosition } from "../../errors/index.js";
import type { Job, Pipeline } from "../ir.js";

/**
 * What the GitHub front-end keeps in the IR's `meta` besides jobs and steps: the triggers and
 * inputs a run is checked against, and per job what is decided once the run's event, inputs and
 * matrix are known (a matrix written as an expression, runs-on labels, tool versions).
 * Positions are kept so those later checks still point into the workflow file.
 */

export interface FilterList {
  patterns: string[];
  position: SourcePosition;
}

export interface EventTrigger {
  /** The event's key under `on` (or the `on` value naming it). */
  position: SourcePosition;
  branches?: FilterList;
  "branches-ignore"?: FilterList;
  tags?: FilterList;
  "tags-ignore"?: FilterList;
  paths?: FilterList;
  "paths-ignore"?: FilterList;
  types?: FilterList;
  /** schedule: the cron expressions. */
  crons?: string[];
}

export type InputType = "string" | "boolean" | "choice" | "number" | "environment";

export interface DispatchInput {
  type: InputType;
  required: boolean;
  default?: string | number | boolean;
  options?: string[];
  position: SourcePosition;
}

export interface WorkflowMeta {
  /** Every event under `on`, by name. */
  on: Record<string, EventTrigger>;
  onPosition: SourcePosition;
  /** workflow_dispatch inputs, in declaration order. */
  inputs: Record<string, DispatchInput>;
  recorded: Record<string, unknown>;
}

export interface ToolCheck {
  /** The action, e.g. actions/setup-node@v4. */
  action: string;
  tool: "node" | "go" | "python";
  /** The version asked for: a template (often `${{ matrix.node }}`), or undefined with a version file. */
  version?: string;
  /** A file naming the version (`node-version-file: .nvmrc`), relative to the workspace. */
  versionFile?: string;
  position: SourcePosition;
}

/**
 * A `uses:` step whose action lives in files (the repository's `./path`, or a repository fetched
 * from the actions base URL): compiled to a placeholder step at `stepPosition`, and replaced by
 * the action's own steps when the workflow is loaded (actions-expand.ts), since the action's
 * files are not part of the workflow text the compile depends on.
 */
export interface DeferredAction {
  stepPosition: SourcePosition;
  uses: string;
  usesPosition: SourcePosition;
  with: { name: string; value: string; position: SourcePosition }[];
}

/** A job calling a reusable workflow: replaced by the called workflow's jobs when loaded (reusable.ts). */
export interface WorkflowCall {
  uses: string;
  usesPosition: SourcePosition;
  with: { name: string; value: string; position: SourcePosition }[];
  secrets: "inherit" | { name: string; value: string; position: SourcePosition }[];
}

export interface JobMeta {
  /** runs-on with its expressions as `${{ }}` text. */
  runsOn?: unknown;
  runsOnPosition?: SourcePosition;
  /** A strategy holding expressions, evaluated once the run's inputs are known. */
  strategy?: { value: unknown; position: SourcePosition };
  toolChecks: ToolCheck[];
  /** checkout steps naming a repository: it must be the run's own. */
  checkoutRepositories: { repository: string; position: SourcePosition }[];
  /** Action steps expanded when the workflow is loaded. */
  deferredActions?: DeferredAction[];
  call?: WorkflowCall;
  recorded: Record<string, unknown>;
}

export function workflowMeta(pipeline: Pipeline): WorkflowMeta {
  return (pipeline.meta?.github ?? {
    on: {},
    onPosition: { file: pipeline.source.file, line: 1, column: 1 },
    inputs: {},
    recorded: {},
  }) as WorkflowMeta;
}

export function jobMeta(job: Job): JobMeta {
  return (job.meta?.github ?? { toolChecks: [], checkoutRepositories: [], recorded: {} }) as JobMeta;
}
