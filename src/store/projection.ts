import { CompiledQuery, PostgresAdapter, sql } from "kysely";
import type { Compilable, Insertable, Kysely, Updateable } from "kysely";
import type { EngineEvent } from "../pipeline/events.js";
import { chunk, chunkRows, MAX_BOUND_PARAMETERS, num } from "./batch.js";
import type { Database, EventsTable, JobsTable, RunsTable, StepAttemptsTable, StepsTable } from "./schema.js";

type RunQueued = Extract<EngineEvent, { type: "run.queued" }>;

interface AttemptState {
  row: Insertable<StepAttemptsTable>;
  /** True when this batch holds the attempt's step.started, so every column is known. */
  complete: boolean;
}

/**
 * Applies a batch of events to runs, jobs, steps and attempts, inside the caller's transaction.
 *
 * The engine sends hundreds of events per batch; one statement per event would be hundreds of
 * round trips to PostgreSQL. Instead the batch is folded first (the last event for a row wins,
 * exactly as applying them in order would) and written with a few multi-row statements. Only
 * run.queued is written as it comes, because later statements need its rows.
 */
export async function projectEvents(trx: Kysely<Database>, events: readonly EngineEvent[]): Promise<void> {
  const runs = new Map<string, { id: string; patch: Updateable<RunsTable> }>();
  const jobs = new Map<string, { runId: string; key: string; patch: Updateable<JobsTable> }>();
  const steps = new Map<string, { runId: string; jobKey: string; stepIndex: number; status: string }>();
  const attempts = new Map<string, AttemptState>();

  const patchRun = (id: string, patch: Updateable<RunsTable>) => {
    const entry = runs.get(id) ?? { id, patch: {} };
    entry.patch = { ...entry.patch, ...patch };
    runs.set(id, entry);
  };
  const patchJob = (runId: string, key: string, patch: Updateable<JobsTable>) => {
    const id = JSON.stringify([runId, key]);
    const entry = jobs.get(id) ?? { runId, key, patch: {} };
    entry.patch = { ...entry.patch, ...patch };
    jobs.set(id, entry);
  };
  const setStep = (runId: string, jobKey: string, stepIndex: number, status: string) => {
    steps.set(JSON.stringify([runId, jobKey, stepIndex]), { runId, jobKey, stepIndex, status });
  };

  for (const event of events) {
    switch (event.type) {
      case "run.queued":
        await queueRun(trx, event);
        break;
      case "run.started":
        patchRun(event.runId, { status: "running", started_at: event.at });
        break;
      case "run.finished":
        patchRun(event.runId, { status: event.status, finished_at: event.at });
        break;
      case "job.waiting":
        patchJob(event.runId, event.jobKey, { status: "waiting" });
        break;
      case "job.started":
        patchJob(event.runId, event.jobKey, { status: "running", started_at: event.at });
        break;
      case "job.finished":
        patchJob(event.runId, event.jobKey, {
          status: event.status,
          finished_at: event.at,
          cache_hit: event.cacheHit ? 1 : 0,
          cache_key: event.cacheKey ?? null,
          outputs: JSON.stringify(event.outputs),
          reason: event.reason ?? null,
        });
        break;
      case "step.started": {
        // A second step.started for an attempt (a replay after a crash) starts it over.
        attempts.set(attemptId(event), {
          complete: true,
          row: {
            run_id: event.runId,
            job_key: event.jobKey,
            step_index: event.stepIndex,
            attempt: event.attempt,
            status: "running",
            exit_code: null,
            started_at: event.at,
            finished_at: null,
            cache_hit: 0,
            reason: null,
          },
        });
        setStep(event.runId, event.jobKey, event.stepIndex, "running");
        break;
      }
      case "step.finished": {
        const outcome = {
          status: event.status,
          exit_code: event.exitCode ?? null,
          finished_at: event.at,
          cache_hit: event.cacheHit ? 1 : 0,
          reason: event.reason ?? null,
        };
        const id = attemptId(event);
        const known = attempts.get(id);
        attempts.set(
          id,
          known !== undefined
            ? { complete: known.complete, row: { ...known.row, ...outcome } }
            : {
                complete: false,
                row: {
                  run_id: event.runId,
                  job_key: event.jobKey,
                  step_index: event.stepIndex,
                  attempt: event.attempt,
                  // Used only when no step.started was ever recorded (skipped, restored
                  // from cache): the attempt still gets a row with its outcome.
                  started_at: event.at - event.durationMs,
                  ...outcome,
                },
              },
        );
        setStep(event.runId, event.jobKey, event.stepIndex, event.status);
        break;
      }
      case "step.annotation":
      case "step.summary":
      case "step.report":
        // Only in the event log: they are read back with the run's events, never queried across runs.
        break;
      default: {
        // Compile error when the event union grows; at run time an event from a newer engine
        // is still kept in the event log, just not projected.
        const unknown: never = event;
        void unknown;
      }
    }
  }

  const writes: Compilable[] = [];
  for (const { id, patch } of runs.values())
    writes.push(trx.updateTable("runs").set(patch).where("id", "=", id));
  for (const { runId, key, patch } of jobs.values()) {
    writes.push(trx.updateTable("jobs").set(patch).where("run_id", "=", runId).where("key", "=", key));
  }
  writes.push(...stepStatusWrites(trx, [...steps.values()]));
  writes.push(...attemptWrites(trx, [...attempts.values()]));
  await executeAll(trx, writes);
}

/**
 * Runs independent writes (to different rows) in order; on PostgreSQL, a few small ones go as one
 * statement of data-modifying CTEs, one round trip instead of one each: an agent's batch of a
 * job's events is three writes.
 */
async function executeAll(trx: Kysely<Database>, writes: readonly Compilable[]): Promise<void> {
  const compiled = writes.map((w) => w.compile());
  const parameters = compiled.reduce((n, c) => n + c.parameters.length, 0);
  if (
    compiled.length < 2 ||
    parameters > MAX_BOUND_PARAMETERS ||
    !(trx.getExecutor().adapter instanceof PostgresAdapter)
  ) {
    for (const query of compiled) await trx.executeQuery(query);
    return;
  }
  const values: unknown[] = [];
  const parts = compiled.map((query, i) => {
    const offset = values.length;
    values.push(...query.parameters);
    // Kysely binds every value: `$n` occurs in the text only as a placeholder.
    return `w${i} as (${query.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)})`;
  });
  await trx.executeQuery(CompiledQuery.raw(`with ${parts.join(", ")} select 1`, values));
}

async function queueRun(trx: Kysely<Database>, event: RunQueued): Promise<void> {
  // A counter row rather than max(number)+1: its row lock makes two servers queueing at once
  // on PostgreSQL take turns instead of both picking the same number.
  const counter = await trx
    .updateTable("meta")
    .set((eb) => ({ value: eb("value", "+", 1) }))
    .where("key", "=", "run_number")
    .returning("value")
    .executeTakeFirstOrThrow();
  const run = event.run;
  await trx
    .insertInto("runs")
    .values({
      id: run.id,
      number: num(counter.value),
      pipeline_name: run.pipelineName,
      file: run.file,
      front_end: run.frontEnd,
      project_dir: run.projectDir,
      workspace: run.workspace,
      commit_sha: run.commit ?? null,
      dirty: run.dirty ? 1 : 0,
      trigger: run.trigger,
      actor: run.actor,
      status: "queued",
      queued_at: event.at,
      started_at: null,
      finished_at: null,
    })
    .execute();
  const jobs: Insertable<JobsTable>[] = event.jobs.map((job, position) => ({
    run_id: run.id,
    key: job.key,
    position,
    job_id: job.jobId,
    name: job.name,
    needs: JSON.stringify(job.needs),
    matrix: job.matrix === undefined ? null : JSON.stringify(job.matrix),
    status: "queued",
    started_at: null,
    finished_at: null,
    cache_hit: 0,
    cache_key: null,
    outputs: "{}",
    reason: null,
  }));
  for (const part of chunkRows(jobs)) await trx.insertInto("jobs").values(part).execute();
  const steps: Insertable<StepsTable>[] = event.jobs.flatMap((job) =>
    job.steps.map((step) => ({
      run_id: run.id,
      job_key: job.key,
      step_index: step.index,
      name: step.name,
      status: "queued",
    })),
  );
  for (const part of chunkRows(steps)) await trx.insertInto("steps").values(part).execute();
}

/** One UPDATE per (run, status) pair, naming its steps as (job, index) tuples. */
function stepStatusWrites(
  trx: Kysely<Database>,
  steps: { runId: string; jobKey: string; stepIndex: number; status: string }[],
): Compilable[] {
  const groups = new Map<string, typeof steps>();
  for (const step of steps) {
    const id = JSON.stringify([step.runId, step.status]);
    const group = groups.get(id);
    if (group === undefined) groups.set(id, [step]);
    else group.push(step);
  }
  const writes: Compilable[] = [];
  for (const group of groups.values()) {
    const first = group[0];
    if (first === undefined) continue;
    for (const part of chunk(group, 10_000)) {
      writes.push(
        trx
          .updateTable("steps")
          .set({ status: first.status })
          .where("run_id", "=", first.runId)
          .where(({ eb, refTuple, tuple }) =>
            eb(
              refTuple("job_key", "step_index"),
              "in",
              part.map((s) => tuple(s.jobKey, s.stepIndex)),
            ),
          ),
      );
    }
  }
  return writes;
}

/**
 * Attempts whose start is in this batch are written whole; the others (started in an earlier
 * batch, or never started) must keep their stored started_at, so they update only the outcome.
 */
function attemptWrites(trx: Kysely<Database>, attempts: AttemptState[]): Compilable[] {
  const key = ["run_id", "job_key", "step_index", "attempt"] as const;
  const groups = [
    { rows: attempts.filter((a) => a.complete).map((a) => a.row), keepsStart: false },
    { rows: attempts.filter((a) => !a.complete).map((a) => a.row), keepsStart: true },
  ];
  return groups.flatMap(({ rows, keepsStart }) =>
    chunkRows(rows).map((part) =>
      trx
        .insertInto("step_attempts")
        .values(part)
        .onConflict((oc) =>
          oc.columns(key).doUpdateSet((eb) => ({
            status: eb.ref("excluded.status"),
            exit_code: eb.ref("excluded.exit_code"),
            ...(keepsStart ? {} : { started_at: eb.ref("excluded.started_at") }),
            finished_at: eb.ref("excluded.finished_at"),
            cache_hit: eb.ref("excluded.cache_hit"),
            reason: eb.ref("excluded.reason"),
          })),
        ),
    ),
  );
}

/** Appends events to each run's log, numbering them after the run's last event. */
export async function appendEvents(trx: Kysely<Database>, events: readonly EngineEvent[]): Promise<void> {
  if (events.length === 0) return;
  const counts = new Map<string, number>();
  for (const event of events) counts.set(runIdOf(event), (counts.get(runIdOf(event)) ?? 0) + 1);
  const only = events.length <= ONE_STATEMENT_EVENTS ? [...counts.keys()] : [];
  if (only.length === 1 && trx.getExecutor().adapter instanceof PostgresAdapter) {
    await appendEventsInOneStatement(trx, only[0]!, events);
    return;
  }
  const next = await allocate(trx, "event_count", counts);
  const rows: Insertable<EventsTable>[] = events.map((event) => {
    const runId = runIdOf(event);
    const seq = (next.get(runId) ?? 0) + 1;
    next.set(runId, seq);
    return { run_id: runId, seq, type: event.type, at: event.at, body: JSON.stringify(event) };
  });
  for (const part of chunkRows(rows)) await trx.insertInto("events").values(part).execute();
}

/** Events of one batch of one run (an agent's batch) that PostgreSQL numbers and stores in one statement. */
const ONE_STATEMENT_EVENTS = 1_000;

/**
 * On PostgreSQL, the counter's update and the insert as one statement: a round trip less for
 * every batch an agent sends. The update locks the run's row exactly as `allocate` does.
 */
async function appendEventsInOneStatement(
  trx: Kysely<Database>,
  runId: string,
  events: readonly EngineEvent[],
): Promise<void> {
  const types = events.map((e) => e.type);
  const ats = events.map((e) => e.at);
  const bodies = events.map((e) => JSON.stringify(e));
  const inserted = await sql`
    with counter as (
      update runs set event_count = event_count + ${events.length}
      where id = ${runId}
      returning event_count - ${events.length} as base
    )
    insert into events (run_id, seq, type, at, body)
    select ${runId}, counter.base + e.ord, e.type, e.at, e.body
    from counter, unnest(${types}::text[], ${ats}::bigint[], ${bodies}::text[]) with ordinality as e(type, at, body, ord)
  `.execute(trx);
  // No row to count on: the same failure as allocate's.
  if (Number(inserted.numAffectedRows ?? 0) !== events.length)
    throw new Error(`no run ${runId} to append to`);
}

/**
 * Reserves `count` numbers per run from one of its counters and returns, per run, the number
 * before the first reserved one. The counter lives on the run's row: updating it locks the row,
 * so two writers appending to the same run at once (agents on two servers) take turns instead of
 * both reading the same maximum.
 */
export async function allocate(
  trx: Kysely<Database>,
  counter: "event_count" | "log_count",
  counts: ReadonlyMap<string, number>,
): Promise<Map<string, number>> {
  const start = new Map<string, number>();
  for (const [runId, count] of counts) {
    const row = await trx
      .updateTable("runs")
      .set((eb) => ({ [counter]: eb(counter, "+", count) }))
      .where("id", "=", runId)
      .returning(counter)
      .executeTakeFirst();
    if (row === undefined) throw new Error(`no run ${runId} to append to`);
    start.set(runId, num((row as Record<string, number>)[counter] ?? 0) - count);
  }
  return start;
}

function runIdOf(event: EngineEvent): string {
  return event.type === "run.queued" ? event.run.id : event.runId;
}

function attemptId(event: { runId: string; jobKey: string; stepIndex: number; attempt: number }): string {
  return JSON.stringify([event.runId, event.jobKey, event.stepIndex, event.attempt]);
}
