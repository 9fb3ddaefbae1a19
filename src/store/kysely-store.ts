import type { Insertable, Kysely } from "kysely";
import type { EngineEvent, LogLine, TestCaseResult } from "../pipeline/events.js";
import { linesOf, toChunks } from "../pipeline/log-chunks.js";
import { chunk, chunkRows, num } from "./batch.js";
import { ControlStore } from "./control.js";
import { insertLogChunks, readChunksAfter, toChunk } from "./logs.js";
import { appendEvents, projectEvents } from "./projection.js";
import { DeliveryStore } from "./deliveries.js";
import { TerraformStateStore } from "./terraform-state.js";
import { stepKey, toAttempt, toJob, toRun, toStep } from "./rows.js";
import type { ArtifactsTable, Database, TestResultsTable } from "./schema.js";
import type {
  ArtifactRecord,
  CacheEntry,
  JobRecord,
  LogQuery,
  RunFilter,
  RunRecord,
  StepAttemptRecord,
  StepRecord,
  Store,
} from "./types.js";

const UNFINISHED = ["queued", "running"] as const;
const INTERRUPTED_REASON = "interrupted: the process running this run stopped before it finished";

/**
 * The Store written once against Kysely. The dialect (SQLite or PostgreSQL) is chosen by whoever
 * builds the Kysely instance; nothing here may depend on it.
 */
export class KyselyStore implements Store {
  readonly #db: Kysely<Database>;
  readonly #release: () => Promise<void>;
  #closed = false;

  readonly control: ControlStore;
  readonly terraform: TerraformStateStore;
  readonly deliveries: DeliveryStore;

  /** `release` runs on the first close(); by default it destroys the Kysely instance. */
  constructor(db: Kysely<Database>, release?: () => Promise<void>) {
    this.#db = db;
    this.control = new ControlStore(db);
    this.terraform = new TerraformStateStore(db);
    this.deliveries = new DeliveryStore(db);
    this.#release = release ?? (() => db.destroy());
  }

  async markInterrupted(now: number, only?: readonly string[]): Promise<string[]> {
    if (only !== undefined && only.length === 0) return [];
    return this.#db.transaction().execute(async (trx) => {
      let query = trx.selectFrom("runs").select(["id", "started_at"]).where("status", "in", UNFINISHED);
      if (only !== undefined) query = query.where("id", "in", [...only]);
      const runs = await query.orderBy("number").execute();
      if (runs.length === 0) return [];
      const ids = runs.map((r) => r.id);
      const appended: EngineEvent[] = [];

      for (const part of chunk(ids, 1000)) {
        const attempts = await trx
          .selectFrom("step_attempts")
          .select(["run_id", "job_key", "step_index", "attempt", "started_at"])
          .where("run_id", "in", part)
          .where("status", "in", UNFINISHED)
          .execute();
        const jobs = await trx
          .selectFrom("jobs")
          .select(["run_id", "key", "started_at"])
          .where("run_id", "in", part)
          .where("status", "in", UNFINISHED)
          .orderBy("run_id")
          .orderBy("position")
          .execute();

        await trx
          .updateTable("step_attempts")
          .set({ status: "interrupted", finished_at: now, reason: INTERRUPTED_REASON })
          .where("run_id", "in", part)
          .where("status", "in", UNFINISHED)
          .execute();
        await trx
          .updateTable("steps")
          .set({ status: "interrupted" })
          .where("run_id", "in", part)
          .where("status", "in", UNFINISHED)
          .execute();
        await trx
          .updateTable("jobs")
          .set({ status: "interrupted", finished_at: now, reason: INTERRUPTED_REASON })
          .where("run_id", "in", part)
          .where("status", "in", UNFINISHED)
          .execute();
        await trx
          .updateTable("runs")
          .set({ status: "interrupted", finished_at: now })
          .where("id", "in", part)
          .execute();

        // The event log must tell the same story as the tables, so a replay of an interrupted
        // run ends instead of leaving steps and jobs running forever.
        for (const a of attempts) {
          appended.push({
            type: "step.finished",
            at: now,
            runId: a.run_id,
            jobKey: a.job_key,
            stepIndex: a.step_index,
            attempt: a.attempt,
            status: "interrupted",
            exitCode: undefined,
            durationMs: Math.max(0, now - num(a.started_at)),
            cacheHit: false,
            reason: INTERRUPTED_REASON,
          });
        }
        for (const j of jobs) {
          appended.push({
            type: "job.finished",
            at: now,
            runId: j.run_id,
            jobKey: j.key,
            status: "interrupted",
            durationMs: j.started_at === null ? 0 : Math.max(0, now - num(j.started_at)),
            cacheHit: false,
            cacheKey: undefined,
            outputs: {},
            reason: INTERRUPTED_REASON,
          });
        }
      }
      for (const r of runs) {
        appended.push({
          type: "run.finished",
          at: now,
          runId: r.id,
          status: "interrupted",
          durationMs: r.started_at === null ? 0 : Math.max(0, now - num(r.started_at)),
        });
      }
      await appendEvents(trx, appended);
      return ids;
    });
  }

  async recordEvents(events: readonly EngineEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      await projectEvents(trx, events);
      await appendEvents(trx, events);
    });
  }

  async appendLogs(lines: readonly LogLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.#db.transaction().execute((trx) => insertLogChunks(trx, toChunks(lines)));
  }

  async recordTestResults(runId: string, jobKey: string, results: readonly TestCaseResult[]): Promise<void> {
    if (results.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      const last = await trx
        .selectFrom("test_results")
        .select((eb) => eb.fn.max("seq").as("max"))
        .where("run_id", "=", runId)
        .where("job_key", "=", jobKey)
        .executeTakeFirst();
      const start = last?.max === null || last?.max === undefined ? 0 : num(last.max);
      const rows: Insertable<TestResultsTable>[] = results.map((r, i) => ({
        run_id: runId,
        job_key: jobKey,
        seq: start + i + 1,
        suite: r.suite,
        name: r.name,
        classname: r.classname ?? null,
        file: r.file ?? null,
        status: r.status,
        duration_ms: r.durationMs,
        message: r.message ?? null,
        details: r.details ?? null,
        attempts: r.attempts,
      }));
      for (const part of chunkRows(rows)) await trx.insertInto("test_results").values(part).execute();
    });
  }

  async recordArtifacts(artifacts: readonly ArtifactRecord[]): Promise<void> {
    if (artifacts.length === 0) return;
    // One upsert statement may not touch the same row twice (PostgreSQL refuses), so the last
    // record of a path in the batch wins before anything is sent.
    const latest = new Map<string, Insertable<ArtifactsTable>>();
    for (const a of artifacts) {
      latest.set(JSON.stringify([a.runId, a.jobKey, a.path]), {
        run_id: a.runId,
        job_key: a.jobKey,
        path: a.path,
        size_bytes: a.sizeBytes,
        stored_at: a.storedAt,
      });
    }
    await this.#db.transaction().execute(async (trx) => {
      for (const part of chunkRows([...latest.values()])) {
        await trx
          .insertInto("artifacts")
          .values(part)
          .onConflict((oc) =>
            oc.columns(["run_id", "job_key", "path"]).doUpdateSet((eb) => ({
              size_bytes: eb.ref("excluded.size_bytes"),
              stored_at: eb.ref("excluded.stored_at"),
            })),
          )
          .execute();
      }
    });
  }

  async getCacheEntry(key: string): Promise<CacheEntry | undefined> {
    const row = await this.#db
      .selectFrom("cache_entries")
      .selectAll()
      .where("key", "=", key)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      key: row.key,
      jobId: row.job_id,
      path: row.path,
      outputs: JSON.parse(row.outputs) as Record<string, string>,
      createdAt: num(row.created_at),
      sizeBytes: num(row.size_bytes),
    };
  }

  async putCacheEntry(entry: CacheEntry): Promise<void> {
    const row = {
      key: entry.key,
      job_id: entry.jobId,
      path: entry.path,
      outputs: JSON.stringify(entry.outputs),
      created_at: entry.createdAt,
      size_bytes: entry.sizeBytes,
    };
    const { key: _key, ...update } = row;
    await this.#db
      .insertInto("cache_entries")
      .values(row)
      .onConflict((oc) => oc.column("key").doUpdateSet(update))
      .execute();
  }

  async listRuns(options: RunFilter = {}): Promise<RunRecord[]> {
    let query = this.#db.selectFrom("runs").selectAll().orderBy("number", "desc");
    if (options.project !== undefined) query = query.where("project", "=", options.project);
    if (options.branch !== undefined)
      query = query.where("ref", "in", [`refs/heads/${options.branch}`, options.branch]);
    if (options.status !== undefined) query = query.where("status", "=", options.status);
    if (options.trigger !== undefined) query = query.where("trigger", "=", options.trigger);
    if (options.actor !== undefined) query = query.where("actor", "=", options.actor);
    if (options.projects !== undefined) {
      if (options.projects.length === 0) return [];
      query = query.where("project", "in", [...options.projects]);
    }
    if (options.limit !== undefined) query = query.limit(Math.max(0, Math.floor(options.limit)));
    return (await query.execute()).map(toRun);
  }

  async getRun(idOrNumber: string): Promise<RunRecord | undefined> {
    if (/^[1-9][0-9]{0,14}$/.test(idOrNumber)) {
      const byNumber = await this.#db
        .selectFrom("runs")
        .selectAll()
        .where("number", "=", Number(idOrNumber))
        .executeTakeFirst();
      if (byNumber !== undefined) return toRun(byNumber);
    }
    const byId = await this.#db
      .selectFrom("runs")
      .selectAll()
      .where("id", "=", idOrNumber)
      .executeTakeFirst();
    return byId === undefined ? undefined : toRun(byId);
  }

  async listJobs(runId: string): Promise<JobRecord[]> {
    const rows = await this.#db
      .selectFrom("jobs")
      .selectAll()
      .where("run_id", "=", runId)
      .orderBy("position")
      .execute();
    return rows.map(toJob);
  }

  async listSteps(runId: string, jobKey?: string): Promise<StepRecord[]> {
    let steps = this.#db
      .selectFrom("steps")
      .select(["run_id", "job_key", "step_index", "name", "status"])
      .where("run_id", "=", runId);
    let attempts = this.#db.selectFrom("step_attempts").selectAll().where("run_id", "=", runId);
    if (jobKey !== undefined) {
      steps = steps.where("job_key", "=", jobKey);
      attempts = attempts.where("job_key", "=", jobKey);
    }
    const [stepRows, attemptRows, positions] = await Promise.all([
      steps.orderBy("job_key").orderBy("step_index").execute(),
      attempts.orderBy("attempt").execute(),
      this.#jobPositions(runId, jobKey),
    ]);
    const byStep = new Map<string, StepAttemptRecord[]>();
    for (const a of attemptRows) {
      const key = stepKey(a.job_key, a.step_index);
      const list = byStep.get(key);
      if (list === undefined) byStep.set(key, [toAttempt(a)]);
      else list.push(toAttempt(a));
    }
    return inPlanOrder(stepRows, positions).map((s) =>
      toStep(s, byStep.get(stepKey(s.job_key, s.step_index)) ?? []),
    );
  }

  async readLogs(query: LogQuery): Promise<LogLine[]> {
    let q = this.#db.selectFrom("log_chunks").selectAll().where("run_id", "=", query.runId);
    if (query.jobKey !== undefined) q = q.where("job_key", "=", query.jobKey);
    if (query.stepIndex !== undefined) q = q.where("step_index", "=", query.stepIndex);
    // The primary key's order, so the database walks the index instead of sorting.
    const [rows, positions] = await Promise.all([
      q.orderBy("job_key").orderBy("step_index").orderBy("attempt").orderBy("seq").execute(),
      this.#jobPositions(query.runId, query.jobKey),
    ]);
    return inPlanOrder(rows, positions).flatMap((row) => linesOf(toChunk(row)));
  }

  async readLogsAfter(
    runId: string,
    runSeq: number,
    limit: number,
  ): Promise<(LogLine & { runSeq: number })[]> {
    const lines: (LogLine & { runSeq: number })[] = [];
    for (const chunk of await readChunksAfter(this.#db, runId, runSeq, limit)) {
      linesOf(chunk).forEach((line, i) => {
        const number = chunk.runSeq + i;
        if (number > runSeq && lines.length < limit) lines.push({ ...line, runSeq: number });
      });
    }
    return lines;
  }

  async listTestResults(runId: string, jobKey?: string): Promise<(TestCaseResult & { jobKey: string })[]> {
    let q = this.#db.selectFrom("test_results").selectAll().where("run_id", "=", runId);
    if (jobKey !== undefined) q = q.where("job_key", "=", jobKey);
    const [rows, positions] = await Promise.all([
      q.orderBy("job_key").orderBy("seq").execute(),
      this.#jobPositions(runId, jobKey),
    ]);
    return inPlanOrder(rows, positions).map((r) => ({
      jobKey: r.job_key,
      suite: r.suite,
      name: r.name,
      classname: r.classname ?? undefined,
      file: r.file ?? undefined,
      status: r.status as TestCaseResult["status"],
      durationMs: num(r.duration_ms),
      message: r.message ?? undefined,
      details: r.details ?? undefined,
      attempts: num(r.attempts),
    }));
  }

  async listArtifacts(runId: string): Promise<ArtifactRecord[]> {
    const [rows, positions] = await Promise.all([
      this.#db.selectFrom("artifacts").selectAll().where("run_id", "=", runId).execute(),
      this.#jobPositions(runId),
    ]);
    // Paths sort here, by code unit, so both dialects agree whatever the database's collation.
    rows.sort((a, b) => compareCodeUnits(a.path, b.path));
    return inPlanOrder(rows, positions).map((r) => ({
      runId: r.run_id,
      jobKey: r.job_key,
      path: r.path,
      sizeBytes: num(r.size_bytes),
      storedAt: r.stored_at,
    }));
  }

  /** Each job's place in the plan, to list a run's rows in pipeline order. */
  async #jobPositions(runId: string, jobKey?: string): Promise<Map<string, number>> {
    let q = this.#db.selectFrom("jobs").select(["key", "position"]).where("run_id", "=", runId);
    if (jobKey !== undefined) q = q.where("key", "=", jobKey);
    const rows = await q.execute();
    return new Map(rows.map((r) => [r.key, num(r.position)]));
  }

  async listEvents(runId: string, after = 0): Promise<EngineEvent[]> {
    const rows = await this.#db
      .selectFrom("events")
      .select("body")
      .where("run_id", "=", runId)
      .where("seq", ">", after)
      .orderBy("seq")
      .execute();
    return rows.map((r) => JSON.parse(r.body) as EngineEvent);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#release();
  }
}

/**
 * Puts rows in the plan order of their jobs, keeping each job's rows in the order given. Done
 * here rather than with ORDER BY over a join: ordering by job key would follow each database's
 * collation (SQLite and PostgreSQL disagree), and a join on a freshly written run can get a
 * nested-loop plan from PostgreSQL's stale statistics. Rows of jobs not in the plan come first.
 */
function inPlanOrder<T extends { job_key: string }>(
  rows: readonly T[],
  positions: ReadonlyMap<string, number>,
): T[] {
  const byJob = new Map<string, T[]>();
  for (const row of rows) {
    const group = byJob.get(row.job_key);
    if (group === undefined) byJob.set(row.job_key, [row]);
    else group.push(row);
  }
  const keys = [...byJob.keys()].sort(
    (a, b) => (positions.get(a) ?? -1) - (positions.get(b) ?? -1) || compareCodeUnits(a, b),
  );
  return keys.flatMap((key) => byJob.get(key) ?? []);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
