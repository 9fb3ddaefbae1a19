import type { Selectable } from "kysely";
import { num, optNum } from "./batch.js";
import type { JobsTable, RunsTable, StepAttemptsTable, StepsTable } from "./schema.js";
import type {
  JobRecord,
  JobStatus,
  RunRecord,
  RunStatus,
  StepAttemptRecord,
  StepRecord,
  StepStatus,
} from "./types.js";

/* Rows to records: the one place that knows how each dialect hands values back. */

export function stepKey(jobKey: string, stepIndex: number): string {
  return `${stepIndex}\u0000${jobKey}`;
}

export function toRun(r: Selectable<RunsTable>): RunRecord {
  return {
    id: r.id,
    number: num(r.number),
    pipelineName: r.pipeline_name,
    file: r.file,
    frontEnd: r.front_end,
    projectDir: r.project_dir,
    workspace: r.workspace,
    commit: r.commit_sha ?? undefined,
    dirty: num(r.dirty) !== 0,
    trigger: r.trigger,
    actor: r.actor,
    status: r.status as RunStatus,
    queuedAt: num(r.queued_at),
    startedAt: optNum(r.started_at),
    finishedAt: optNum(r.finished_at),
    project: r.project ?? undefined,
    ref: r.ref ?? undefined,
  };
}

export function toJob(r: Selectable<JobsTable>): JobRecord {
  return {
    runId: r.run_id,
    key: r.key,
    jobId: r.job_id,
    name: r.name,
    needs: JSON.parse(r.needs) as string[],
    matrix: r.matrix === null ? undefined : (JSON.parse(r.matrix) as Record<string, unknown>),
    status: r.status as JobStatus,
    startedAt: optNum(r.started_at),
    finishedAt: optNum(r.finished_at),
    cacheHit: num(r.cache_hit) !== 0,
    cacheKey: r.cache_key ?? undefined,
    outputs: JSON.parse(r.outputs) as Record<string, string>,
    reason: r.reason ?? undefined,
  };
}

export function toStep(
  s: Pick<Selectable<StepsTable>, "run_id" | "job_key" | "step_index" | "name" | "status">,
  attempts: StepAttemptRecord[],
): StepRecord {
  return {
    runId: s.run_id,
    jobKey: s.job_key,
    index: num(s.step_index),
    name: s.name,
    status: s.status as StepStatus,
    attempts,
  };
}

export function toAttempt(a: Selectable<StepAttemptsTable>): StepAttemptRecord {
  return {
    attempt: num(a.attempt),
    status: a.status as StepStatus,
    exitCode: optNum(a.exit_code),
    startedAt: num(a.started_at),
    finishedAt: optNum(a.finished_at),
    cacheHit: num(a.cache_hit) !== 0,
    reason: a.reason ?? undefined,
  };
}
