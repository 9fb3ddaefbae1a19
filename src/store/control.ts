import { randomBytes } from "node:crypto";
import { PostgresAdapter, sql } from "kysely";
import type { Insertable, Kysely, Selectable } from "kysely";
import type { EngineEvent } from "../pipeline/events.js";
import type { LogChunk } from "../pipeline/log-chunks.js";
import { num, optNum } from "./batch.js";
import { insertLogChunks } from "./logs.js";
import { appendEvents, projectEvents } from "./projection.js";
import type {
  ApiTokensTable,
  ApprovalsTable,
  AuditLogTable,
  Database,
  JobQueueTable,
  ProjectsTable,
} from "./schema.js";

export interface ProjectRecord {
  name: string;
  repo: string;
  defaultBranch: string;
  /** Encrypted; decrypted by the server when it verifies a webhook. */
  webhookSecret: string | undefined;
  pollSeconds: number | undefined;
  /** Branch to the last commit polling saw. */
  polled: Record<string, string>;
  /** Cron expression (with its file) to the last time it fired, epoch ms. */
  schedules: Record<string, number>;
  createdAt: number;
  createdBy: string;
}

export type TokenKind = "user" | "agent";

export interface TokenRecord {
  id: string;
  name: string;
  kind: TokenKind;
  role: string | undefined;
  /** undefined = every project. */
  project: string | undefined;
  createdAt: number;
  createdBy: string;
  lastUsedAt: number | undefined;
  revokedAt: number | undefined;
}

export interface AuditEntry {
  id: string;
  at: number;
  actor: string;
  action: string;
  target: string;
  project: string | undefined;
  source: string | undefined;
  details: Record<string, unknown>;
}

export type QueueStatus = "queued" | "leased" | "finished" | "lost" | "cancelled";

export interface QueuedJob {
  runId: string;
  jobKey: string;
  attempt: number;
  status: QueueStatus;
  project: string;
  labels: string[];
  payload: unknown;
  result: unknown;
  agent: string | undefined;
  leaseId: string | undefined;
  leaseUntil: number | undefined;
  enqueuedAt: number;
  leasedAt: number | undefined;
  finishedAt: number | undefined;
  cancelRequested: boolean;
  reason: string | undefined;
}

export interface RunControl {
  id: string;
  project: string | undefined;
  ref: string | undefined;
  owner: string | undefined;
  ownerUntil: number | undefined;
  cancelRequested: boolean;
  spec: unknown;
  status: string;
}

export interface AgentRecord {
  id: string;
  name: string;
  labels: string[];
  firstSeenAt: number;
  lastSeenAt: number;
}

/** What happened to a batch an agent sent. */
export type BatchOutcome = "applied" | "duplicate" | "lease-lost";

const LOST_REASON = "the agent running this attempt stopped reporting: its lease expired";

/**
 * The control plane's tables, on the same database as the run history. Every change that two
 * servers could race on is one conditional UPDATE (`... WHERE status = 'queued'`), which both
 * SQLite and PostgreSQL apply atomically: whoever's update matched the row owns it.
 */
export class ControlStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  // Projects

  async addProject(project: ProjectRecord): Promise<boolean> {
    const inserted = await this.#db
      .insertInto("projects")
      .values({
        name: project.name,
        repo: project.repo,
        default_branch: project.defaultBranch,
        webhook_secret: project.webhookSecret ?? null,
        poll_seconds: project.pollSeconds ?? null,
        polled: JSON.stringify(project.polled),
        schedules: JSON.stringify(project.schedules),
        created_at: project.createdAt,
        created_by: project.createdBy,
      })
      .onConflict((oc) => oc.column("name").doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async getProject(name: string): Promise<ProjectRecord | undefined> {
    const row = await this.#db.selectFrom("projects").selectAll().where("name", "=", name).executeTakeFirst();
    return row === undefined ? undefined : toProject(row);
  }

  async listProjects(): Promise<ProjectRecord[]> {
    const rows = await this.#db.selectFrom("projects").selectAll().orderBy("name").execute();
    return rows.map(toProject);
  }

  async setProjectState(
    name: string,
    state: { polled?: Record<string, string>; schedules?: Record<string, number> },
  ): Promise<void> {
    const patch: Partial<Insertable<ProjectsTable>> = {};
    if (state.polled) patch.polled = JSON.stringify(state.polled);
    if (state.schedules) patch.schedules = JSON.stringify(state.schedules);
    await this.#db.updateTable("projects").set(patch).where("name", "=", name).execute();
  }

  // Tokens

  async createToken(token: TokenRecord & { hash: string }): Promise<void> {
    await this.#db
      .insertInto("api_tokens")
      .values({
        id: token.id,
        name: token.name,
        hash: token.hash,
        kind: token.kind,
        role: token.role ?? null,
        project: token.project ?? null,
        created_at: token.createdAt,
        created_by: token.createdBy,
        last_used_at: null,
        revoked_at: null,
      })
      .execute();
  }

  async findToken(hash: string): Promise<TokenRecord | undefined> {
    const row = await this.#db
      .selectFrom("api_tokens")
      .selectAll()
      .where("hash", "=", hash)
      .executeTakeFirst();
    return row === undefined ? undefined : toToken(row);
  }

  async touchToken(id: string, at: number): Promise<void> {
    await this.#db.updateTable("api_tokens").set({ last_used_at: at }).where("id", "=", id).execute();
  }

  async listTokens(): Promise<TokenRecord[]> {
    const rows = await this.#db.selectFrom("api_tokens").selectAll().orderBy("created_at").execute();
    return rows.map(toToken);
  }

  async revokeToken(id: string, at: number): Promise<boolean> {
    const result = await this.#db
      .updateTable("api_tokens")
      .set({ revoked_at: at })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async countTokens(): Promise<number> {
    const row = await this.#db
      .selectFrom("api_tokens")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirst();
    return num(row?.n ?? 0);
  }

  // Audit

  /** Records a change of state; the entry gets its time and a time-sortable id here. */
  async appendAudit(entry: Omit<AuditEntry, "id" | "at">): Promise<void> {
    const at = Date.now();
    await this.#db
      .insertInto("audit_log")
      .values({
        id: auditId(at),
        at,
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        project: entry.project ?? null,
        source: entry.source ?? null,
        details: JSON.stringify(entry.details),
      })
      .execute();
  }

  /** Newest first. `projects` limits the entries to those projects (undefined = all). */
  async listAudit(options: {
    limit: number;
    projects?: readonly string[] | undefined;
  }): Promise<AuditEntry[]> {
    let q = this.#db.selectFrom("audit_log").selectAll().orderBy("at", "desc").orderBy("id", "desc");
    if (options.projects !== undefined) {
      if (options.projects.length === 0) return [];
      q = q.where("project", "in", [...options.projects]);
    }
    const rows = await q.limit(options.limit).execute();
    return rows.map(toAudit);
  }

  // Runs coordinated by a server

  async setRunControl(
    runId: string,
    control: { project: string; ref: string | undefined; spec: unknown; owner: string; ownerUntil: number },
  ): Promise<void> {
    await this.#db
      .updateTable("runs")
      .set({
        project: control.project,
        ref: control.ref ?? null,
        spec: JSON.stringify(control.spec),
        owner: control.owner,
        owner_until: control.ownerUntil,
      })
      .where("id", "=", runId)
      .execute();
  }

  async getRunControl(runId: string): Promise<RunControl | undefined> {
    const row = await this.#db
      .selectFrom("runs")
      .select(["id", "project", "ref", "owner", "owner_until", "cancel_requested", "spec", "status"])
      .where("id", "=", runId)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      id: row.id,
      project: row.project ?? undefined,
      ref: row.ref ?? undefined,
      owner: row.owner ?? undefined,
      ownerUntil: optNum(row.owner_until),
      cancelRequested: num(row.cancel_requested) !== 0,
      spec: row.spec === null ? undefined : (JSON.parse(row.spec) as unknown),
      status: row.status,
    };
  }

  /**
   * Takes over the unfinished server runs whose coordinator's claim has lapsed (its server died)
   * and renews `owner`'s claim on the ones it holds. Returns the ids `owner` now holds.
   */
  async claimRuns(owner: string, now: number, until: number): Promise<string[]> {
    await this.#db
      .updateTable("runs")
      .set({ owner, owner_until: until })
      .where("project", "is not", null)
      .where("status", "in", ["queued", "running"])
      .where((eb) => eb.or([eb("owner", "=", owner), eb("owner_until", "<", now), eb("owner", "is", null)]))
      .execute();
    const rows = await this.#db
      .selectFrom("runs")
      .select("id")
      .where("owner", "=", owner)
      .where("status", "in", ["queued", "running"])
      .orderBy("number")
      .execute();
    return rows.map((r) => r.id);
  }

  /** Lets go of a run (its coordinator stopped), so another server can take it at once. */
  async releaseRun(runId: string, owner: string): Promise<void> {
    await this.#db
      .updateTable("runs")
      .set({ owner_until: 0 })
      .where("id", "=", runId)
      .where("owner", "=", owner)
      .execute();
  }

  async requestCancel(runId: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("runs")
      .set({ cancel_requested: 1 })
      .where("id", "=", runId)
      .where("status", "in", ["queued", "running"])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  // The job queue

  /**
   * Queues an attempt of a job, unless that attempt is already queued (a coordinator resuming).
   * A job in a concurrency group supersedes the group's older waiting jobs (they are cancelled,
   * as GitHub keeps one pending job per group) and, with cancel-in-progress, asks the running
   * one to stop. Returns the jobs it cancelled or asked to stop.
   */
  async enqueue(job: {
    runId: string;
    jobKey: string;
    attempt: number;
    project: string;
    labels: readonly string[];
    payload: unknown;
    now: number;
    concurrencyGroup?: string | undefined;
    cancelInProgress?: boolean | undefined;
  }): Promise<{ runId: string; jobKey: string }[]> {
    const insert = (db: Kysely<Database>) =>
      db
        .insertInto("job_queue")
        .values({
          run_id: job.runId,
          job_key: job.jobKey,
          attempt: job.attempt,
          status: "queued",
          project: job.project,
          labels: JSON.stringify(job.labels),
          payload: JSON.stringify(job.payload),
          result: null,
          agent: null,
          lease_id: null,
          lease_until: null,
          enqueued_at: job.now,
          leased_at: null,
          finished_at: null,
          cancel_requested: 0,
          batch_seq: 0,
          reason: null,
          concurrency_group: group ?? null,
        })
        .onConflict((oc) => oc.columns(["run_id", "job_key", "attempt"]).doNothing())
        .execute();
    const group = job.concurrencyGroup;
    if (group === undefined) {
      await insert(this.#db);
      return [];
    }
    return this.#db.transaction().execute(async (trx) => {
      const touched: { runId: string; jobKey: string }[] = [];
      const superseded = await trx
        .updateTable("job_queue")
        .set({
          status: "cancelled",
          finished_at: job.now,
          reason: `superseded by a newer job in concurrency group ${group}`,
        })
        .where("concurrency_group", "=", group)
        .where("status", "=", "queued")
        .where((eb) => eb.or([eb("run_id", "!=", job.runId), eb("job_key", "!=", job.jobKey)]))
        .returning(["run_id", "job_key"])
        .execute();
      touched.push(...superseded.map((r) => ({ runId: r.run_id, jobKey: r.job_key })));
      if (job.cancelInProgress) {
        const stopping = await trx
          .updateTable("job_queue")
          .set({ cancel_requested: 1 })
          .where("concurrency_group", "=", group)
          .where("status", "=", "leased")
          .returning(["run_id", "job_key"])
          .execute();
        touched.push(...stopping.map((r) => ({ runId: r.run_id, jobKey: r.job_key })));
      }
      await insert(trx);
      return touched;
    });
  }

  /** Every attempt of a job, oldest first. */
  async jobAttempts(runId: string, jobKey?: string): Promise<QueuedJob[]> {
    let q = this.#db.selectFrom("job_queue").selectAll().where("run_id", "=", runId);
    if (jobKey !== undefined) q = q.where("job_key", "=", jobKey);
    const rows = await q.orderBy("job_key").orderBy("attempt").execute();
    return rows.map(toQueued);
  }

  /** The state of every attempt of a run's jobs, without their payloads and results: cheap to poll. */
  async attemptStates(runId: string): Promise<{ jobKey: string; attempt: number; status: QueueStatus }[]> {
    const rows = await this.#db
      .selectFrom("job_queue")
      .select(["job_key", "attempt", "status"])
      .where("run_id", "=", runId)
      .execute();
    return rows.map((r) => ({ jobKey: r.job_key, attempt: num(r.attempt), status: r.status as QueueStatus }));
  }

  async getLease(leaseId: string): Promise<QueuedJob | undefined> {
    const row = await this.#db
      .selectFrom("job_queue")
      .selectAll()
      .where("lease_id", "=", leaseId)
      .executeTakeFirst();
    return row === undefined ? undefined : toQueued(row);
  }

  /**
   * Leases one of the oldest queued jobs whose labels the agent has (see `spread`). Candidates
   * are read without locks; the conditional UPDATE decides, so two servers leasing at once never
   * hand out one job twice.
   */
  async lease(options: {
    agent: string;
    labels: readonly string[];
    leaseId: string;
    now: number;
    until: number;
  }): Promise<QueuedJob | undefined> {
    const oldest = await this.#leaseOldest(options);
    if (oldest !== undefined) return oldest;
    const have = new Set(options.labels);
    // Candidates skipped (labels, a held group) stay queued: the next read starts after them.
    // Candidates lost to another agent leave the queue, so the offset does not count them.
    for (let offset = 0; ;) {
      const candidates = await this.#db
        .selectFrom("job_queue")
        .select(["run_id", "job_key", "attempt", "labels", "concurrency_group"])
        .where("status", "=", "queued")
        .orderBy("enqueued_at")
        .orderBy("run_id")
        .orderBy("job_key")
        .limit(CANDIDATES)
        .offset(offset)
        .execute();
      for (const c of spread(candidates)) {
        const wanted = JSON.parse(c.labels) as string[];
        if (!wanted.every((label) => have.has(label))) {
          offset++;
          continue;
        }
        const take = (db: Kysely<Database>) =>
          db
            .updateTable("job_queue")
            .set({
              status: "leased",
              agent: options.agent,
              lease_id: options.leaseId,
              lease_until: options.until,
              leased_at: options.now,
            })
            .where("run_id", "=", c.run_id)
            .where("job_key", "=", c.job_key)
            .where("attempt", "=", c.attempt)
            .where("status", "=", "queued")
            .returningAll()
            .executeTakeFirst();
        if (c.concurrency_group === null) {
          // One statement: the conditional update is the whole decision.
          const row = await take(this.#db);
          if (row !== undefined) return toQueued(row);
          continue;
        }
        const group = c.concurrency_group;
        const taken = await this.#db
          .transaction()
          .execute(async (trx) => {
            // The group's holder row is the lock: taken here or not at all.
            const held = await trx
              .insertInto("group_holders")
              .values({ concurrency_group: group, lease_id: options.leaseId })
              .onConflict((oc) => oc.column("concurrency_group").doNothing())
              .executeTakeFirst();
            if (Number(held.numInsertedOrUpdatedRows ?? 0) === 0) return "held" as const;
            const row = await take(trx);
            if (row === undefined) throw new LostRace();
            return row;
          })
          .catch((error: unknown) => {
            if (error instanceof LostRace) return "lost" as const;
            throw error;
          });
        if (taken === "held") offset++;
        else if (taken !== "lost") return toQueued(taken);
      }
      if (candidates.length < CANDIDATES) return undefined;
    }
  }

  /**
   * Puts a leased job back in the queue, as if it had never been leased, when its agent never
   * received the lease: only while nothing of the job has arrived. True when it was put back.
   */
  async releaseLease(leaseId: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const released = await trx
        .updateTable("job_queue")
        .set({ status: "queued", agent: null, lease_id: null, lease_until: null, leased_at: null })
        .where("lease_id", "=", leaseId)
        .where("status", "=", "leased")
        .where("batch_seq", "=", 0)
        .executeTakeFirst();
      if (Number(released.numUpdatedRows) === 0) return false;
      await trx.deleteFrom("group_holders").where("lease_id", "=", leaseId).execute();
      return true;
    });
  }

  /**
   * The common case in one statement: the oldest queued job, when it needs no label and no
   * concurrency group, leased by a conditional UPDATE of the row a subquery picks. On PostgreSQL
   * the subquery skips rows other servers are leasing at that moment, so concurrent agents take
   * different jobs instead of racing for one. undefined sends the caller to the general path.
   */
  async #leaseOldest(options: { agent: string; leaseId: string; now: number; until: number }) {
    const postgres = this.#db.getExecutor().adapter instanceof PostgresAdapter;
    const { rows } = await sql<Selectable<JobQueueTable>>`
      update job_queue
      set status = 'leased', agent = ${options.agent}, lease_id = ${options.leaseId},
          lease_until = ${options.until}, leased_at = ${options.now}
      where (run_id, job_key, attempt) = (
        select run_id, job_key, attempt from job_queue
        where status = 'queued'
        order by enqueued_at, run_id, job_key
        limit 1 ${postgres ? sql`for update skip locked` : sql``}
      )
      and status = 'queued' and labels = '[]' and concurrency_group is null
      returning *`.execute(this.#db);
    const row = rows[0];
    return row === undefined ? undefined : toQueued(row);
  }

  /** Extends a lease. undefined when the lease is no longer the job's (expired and re-queued, or finished). */
  async heartbeat(leaseId: string, until: number): Promise<{ cancel: boolean } | undefined> {
    const row = await this.#db
      .updateTable("job_queue")
      .set({ lease_until: until })
      .where("lease_id", "=", leaseId)
      .where("status", "=", "leased")
      .returning("cancel_requested")
      .executeTakeFirst();
    return row === undefined ? undefined : { cancel: num(row.cancel_requested) !== 0 };
  }

  /**
   * Applies one batch of events and log lines from a lease holder, exactly once: the batch
   * number must be the next one, and the lease must still be held. All in one transaction, so a
   * batch is either wholly stored or not at all.
   */
  async ingest(leaseId: string, batch: LeaseBatch): Promise<BatchOutcome> {
    return this.#db.transaction().execute((trx) => applyBatch(trx, leaseId, batch));
  }

  /**
   * Records a job's result, once: only the current lease holder can finish it. The job's last
   * batch, when given, is applied in the same transaction. `finished` only when this call
   * recorded the result (`job` is then the finished attempt); `batch` says what became of the
   * batch.
   */
  async finish(
    leaseId: string,
    result: unknown,
    now: number,
    batch?: LeaseBatch,
  ): Promise<{ finished: boolean; batch?: BatchOutcome | undefined; job?: QueuedJob }> {
    return this.#db.transaction().execute(async (trx) => {
      const finishing = (nextBatch: number | undefined) => {
        let q = trx
          .updateTable("job_queue")
          .set({ status: "finished", result: JSON.stringify(result), finished_at: now })
          .where("lease_id", "=", leaseId)
          .where("status", "=", "leased");
        if (nextBatch !== undefined) q = q.set({ batch_seq: nextBatch }).where("batch_seq", "<", nextBatch);
        return q.returningAll().executeTakeFirst();
      };
      let applied: BatchOutcome | undefined;
      // The usual case, a last batch that is the next one, is one statement for both.
      let finished = batch === undefined ? undefined : await finishing(batch.batch);
      if (batch !== undefined && finished !== undefined) {
        await storeBatch(trx, batch);
        applied = "applied";
      } else {
        applied = batch === undefined ? undefined : await applyBatch(trx, leaseId, batch);
        if (applied === "lease-lost") return { finished: false, batch: applied };
        finished = await finishing(undefined);
      }
      if (finished === undefined) return { finished: false, batch: applied };
      if (finished.concurrency_group !== null)
        await trx.deleteFrom("group_holders").where("lease_id", "=", leaseId).execute();
      return { finished: true, batch: applied, job: toQueued(finished) };
    });
  }

  /**
   * Cancels a job's latest attempt: a queued one at once (returns "cancelled"), a leased one by
   * telling its agent at the next heartbeat (returns "requested").
   */
  async cancelJob(runId: string, jobKey: string, now: number): Promise<"cancelled" | "requested" | "none"> {
    const cancelled = await this.#db
      .updateTable("job_queue")
      .set({ status: "cancelled", finished_at: now, reason: "cancelled before an agent took it" })
      .where("run_id", "=", runId)
      .where("job_key", "=", jobKey)
      .where("status", "=", "queued")
      .executeTakeFirst();
    if (Number(cancelled.numUpdatedRows) > 0) return "cancelled";
    const requested = await this.#db
      .updateTable("job_queue")
      .set({ cancel_requested: 1 })
      .where("run_id", "=", runId)
      .where("job_key", "=", jobKey)
      .where("status", "=", "leased")
      .executeTakeFirst();
    return Number(requested.numUpdatedRows) > 0 ? "requested" : "none";
  }

  /**
   * Finds leases that ran out, marks each attempt lost (closing its open steps in the history)
   * and queues the next attempt. Safe to run on every server at once: the conditional update lets
   * one of them act on each lease.
   */
  async expireLeases(now: number): Promise<QueuedJob[]> {
    const expired = await this.#db
      .selectFrom("job_queue")
      .selectAll()
      .where("status", "=", "leased")
      .where("lease_until", "<", now)
      .execute();
    const lost: QueuedJob[] = [];
    for (const row of expired) {
      const done = await this.#db.transaction().execute(async (trx) => {
        const marked = await trx
          .updateTable("job_queue")
          .set({ status: "lost", finished_at: now, reason: LOST_REASON })
          .where("lease_id", "=", row.lease_id)
          .where("status", "=", "leased")
          .executeTakeFirst();
        if (Number(marked.numUpdatedRows) === 0) return false;
        if (row.lease_id !== null)
          await trx.deleteFrom("group_holders").where("lease_id", "=", row.lease_id).execute();
        await trx
          .insertInto("job_queue")
          .values({
            ...row,
            attempt: num(row.attempt) + 1,
            status: "queued",
            result: null,
            agent: null,
            lease_id: null,
            lease_until: null,
            enqueued_at: now,
            leased_at: null,
            finished_at: null,
            batch_seq: 0,
            reason: null,
          })
          .onConflict((oc) => oc.columns(["run_id", "job_key", "attempt"]).doNothing())
          .execute();
        await closeLostAttempt(trx, row.run_id, row.job_key, now);
        return true;
      });
      if (done) lost.push({ ...toQueued(row), status: "lost", reason: LOST_REASON });
    }
    return lost;
  }

  async queueCounts(): Promise<Record<string, number>> {
    const rows = await this.#db
      .selectFrom("job_queue")
      .select((eb) => ["status", eb.fn.countAll().as("n")])
      .groupBy("status")
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, num(r.n)]));
  }

  /** The highest step attempt number recorded for a job: a new job attempt numbers its steps after it. */
  async lastStepAttempt(runId: string, jobKey: string): Promise<number> {
    const row = await this.#db
      .selectFrom("step_attempts")
      .select((eb) => eb.fn.max("attempt").as("max"))
      .where("run_id", "=", runId)
      .where("job_key", "=", jobKey)
      .executeTakeFirst();
    return row?.max === null || row?.max === undefined ? 0 : num(row.max);
  }

  // Agents

  async seeAgent(agent: {
    id: string;
    name: string;
    labels: readonly string[];
    tokenId: string;
    now: number;
  }) {
    await this.#db
      .insertInto("agents")
      .values({
        id: agent.id,
        name: agent.name,
        labels: JSON.stringify(agent.labels),
        token_id: agent.tokenId,
        first_seen_at: agent.now,
        last_seen_at: agent.now,
      })
      .onConflict((oc) =>
        oc.column("id").doUpdateSet({ last_seen_at: agent.now, labels: JSON.stringify(agent.labels) }),
      )
      .execute();
  }

  async listAgents(): Promise<AgentRecord[]> {
    const rows = await this.#db.selectFrom("agents").selectAll().orderBy("name").execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      labels: JSON.parse(r.labels) as string[],
      firstSeenAt: num(r.first_seen_at),
      lastSeenAt: num(r.last_seen_at),
    }));
  }

  // Secrets

  async putSecret(project: string, name: string, value: string, by: string, now: number): Promise<void> {
    await this.#db
      .insertInto("secrets")
      .values({ project, name, value, updated_at: now, updated_by: by })
      .onConflict((oc) =>
        oc.columns(["project", "name"]).doUpdateSet({ value, updated_at: now, updated_by: by }),
      )
      .execute();
  }

  /** Encrypted values of the named secrets of a project. */
  async getSecrets(project: string, names: readonly string[]): Promise<Record<string, string>> {
    if (names.length === 0) return {};
    const rows = await this.#db
      .selectFrom("secrets")
      .select(["name", "value"])
      .where("project", "=", project)
      .where("name", "in", [...names])
      .execute();
    return Object.fromEntries(rows.map((r) => [r.name, r.value]));
  }

  async listSecretNames(project: string): Promise<{ name: string; updatedAt: number; updatedBy: string }[]> {
    const rows = await this.#db
      .selectFrom("secrets")
      .select(["name", "updated_at", "updated_by"])
      .where("project", "=", project)
      .orderBy("name")
      .execute();
    return rows.map((r) => ({ name: r.name, updatedAt: num(r.updated_at), updatedBy: r.updated_by }));
  }

  // Approvals

  /** Records that a job waits for approval; a job that already waits (or was decided) keeps its row. */
  async requestApproval(request: {
    runId: string;
    jobKey: string;
    subject: string;
    role: string;
    at: number;
  }): Promise<void> {
    await this.#db
      .insertInto("approvals")
      .values({
        run_id: request.runId,
        job_key: request.jobKey,
        subject: request.subject,
        role: request.role,
        status: "pending",
        requested_at: request.at,
        decided_by: null,
        decided_at: null,
        comment: null,
      })
      .onConflict((oc) => oc.columns(["run_id", "job_key"]).doNothing())
      .execute();
  }

  async getApproval(runId: string, jobKey: string): Promise<ApprovalRecord | undefined> {
    const row = await this.#db
      .selectFrom("approvals")
      .selectAll()
      .where("run_id", "=", runId)
      .where("job_key", "=", jobKey)
      .executeTakeFirst();
    return row === undefined ? undefined : toApproval(row);
  }

  async listApprovals(runId: string): Promise<ApprovalRecord[]> {
    const rows = await this.#db.selectFrom("approvals").selectAll().where("run_id", "=", runId).execute();
    return rows.map(toApproval);
  }

  /**
   * Approves or rejects a waiting job, once, and only when the decision names what the job
   * waits for: a plan reviewed is the plan approved.
   */
  async decideApproval(decision: {
    runId: string;
    jobKey: string;
    subject: string;
    approve: boolean;
    by: string;
    at: number;
    comment: string | undefined;
  }): Promise<"decided" | "not-waiting" | "wrong-subject"> {
    const updated = await this.#db
      .updateTable("approvals")
      .set({
        status: decision.approve ? "approved" : "rejected",
        decided_by: decision.by,
        decided_at: decision.at,
        comment: decision.comment ?? null,
      })
      .where("run_id", "=", decision.runId)
      .where("job_key", "=", decision.jobKey)
      .where("status", "=", "pending")
      .where("subject", "=", decision.subject)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return "decided";
    const current = await this.getApproval(decision.runId, decision.jobKey);
    return current?.status === "pending" ? "wrong-subject" : "not-waiting";
  }

  // Webhooks

  /** True the first time a delivery id is seen; a redelivery of the same id returns false. */
  async firstDelivery(id: string, now: number): Promise<boolean> {
    const inserted = await this.#db
      .insertInto("webhook_deliveries")
      .values({ id, received_at: now })
      .onConflict((oc) => oc.column("id").doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
  }
}

export interface ApprovalRecord {
  runId: string;
  jobKey: string;
  subject: string;
  role: string;
  status: "pending" | "approved" | "rejected";
  requestedAt: number;
  decidedBy: string | undefined;
  decidedAt: number | undefined;
  comment: string | undefined;
}

function toApproval(r: Selectable<ApprovalsTable>): ApprovalRecord {
  return {
    runId: r.run_id,
    jobKey: r.job_key,
    subject: r.subject,
    role: r.role,
    status: r.status,
    requestedAt: num(r.requested_at),
    decidedBy: r.decided_by ?? undefined,
    decidedAt: optNum(r.decided_at),
    comment: r.comment ?? undefined,
  };
}

/** One numbered batch of a lease holder's events and log chunks. */
export interface LeaseBatch {
  batch: number;
  events: readonly EngineEvent[];
  logs: readonly LogChunk[];
}

async function applyBatch(trx: Kysely<Database>, leaseId: string, batch: LeaseBatch): Promise<BatchOutcome> {
  const advanced = await trx
    .updateTable("job_queue")
    .set({ batch_seq: batch.batch })
    .where("lease_id", "=", leaseId)
    .where("status", "=", "leased")
    .where("batch_seq", "<", batch.batch)
    .executeTakeFirst();
  if (Number(advanced.numUpdatedRows) === 0) {
    const row = await trx
      .selectFrom("job_queue")
      .select("status")
      .where("lease_id", "=", leaseId)
      .executeTakeFirst();
    return row?.status === "leased" ? "duplicate" : "lease-lost";
  }
  await storeBatch(trx, batch);
  return "applied";
}

async function storeBatch(trx: Kysely<Database>, batch: LeaseBatch): Promise<void> {
  if (batch.events.length > 0) {
    await projectEvents(trx, batch.events);
    await appendEvents(trx, batch.events);
  }
  await insertLogChunks(trx, batch.logs);
}

/** Another server leased the candidate between reading and updating it. */
class LostRace extends Error {}

/**
 * The candidates starting at a random one: agents asking at the same moment read the same
 * candidates, and trying them in one order makes all but one lose the race for the first.
 * Candidates are jobs queued at about the same time, so the queue stays about first-in first-out.
 */
function spread<T>(candidates: readonly T[]): T[] {
  const start = Math.floor(Math.random() * Math.min(candidates.length, SPREAD));
  return [...candidates.slice(start), ...candidates.slice(0, start)];
}

/** How many of the oldest candidates a lease may start at. */
const SPREAD = 4;

/** Candidate rows read per round when leasing. */
const CANDIDATES = 16;

/** Closes the steps a lost attempt left running, in the tables and the event log, and says why. */
async function closeLostAttempt(
  trx: Kysely<Database>,
  runId: string,
  jobKey: string,
  now: number,
): Promise<void> {
  const open = await trx
    .selectFrom("step_attempts")
    .select(["step_index", "attempt", "started_at"])
    .where("run_id", "=", runId)
    .where("job_key", "=", jobKey)
    .where("status", "in", ["queued", "running"])
    .execute();
  const events: EngineEvent[] = open.map((a) => ({
    type: "step.finished",
    at: now,
    runId,
    jobKey,
    stepIndex: num(a.step_index),
    attempt: num(a.attempt),
    status: "interrupted",
    exitCode: undefined,
    durationMs: Math.max(0, now - num(a.started_at)),
    cacheHit: false,
    reason: LOST_REASON,
  }));
  if (events.length === 0) return;
  await projectEvents(trx, events);
  await appendEvents(trx, events);
  const first = open[0];
  if (first !== undefined) {
    await insertLogChunks(trx, [
      {
        runId,
        jobKey,
        stepIndex: num(first.step_index),
        attempt: num(first.attempt),
        seq: 1_000_000_000,
        stream: "system",
        at: now,
        offsets: [0],
        text: [`${LOST_REASON}; the job is queued again as a new attempt`],
      },
    ]);
  }
}

function toProject(r: Selectable<ProjectsTable>): ProjectRecord {
  return {
    name: r.name,
    repo: r.repo,
    defaultBranch: r.default_branch,
    webhookSecret: r.webhook_secret ?? undefined,
    pollSeconds: optNum(r.poll_seconds),
    polled: r.polled ? (JSON.parse(r.polled) as Record<string, string>) : {},
    schedules: r.schedules ? (JSON.parse(r.schedules) as Record<string, number>) : {},
    createdAt: num(r.created_at),
    createdBy: r.created_by,
  };
}

function toToken(r: Selectable<ApiTokensTable>): TokenRecord {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as TokenKind,
    role: r.role ?? undefined,
    project: r.project ?? undefined,
    createdAt: num(r.created_at),
    createdBy: r.created_by,
    lastUsedAt: optNum(r.last_used_at),
    revokedAt: optNum(r.revoked_at),
  };
}

function toAudit(r: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: r.id,
    at: num(r.at),
    actor: r.actor,
    action: r.action,
    target: r.target,
    project: r.project ?? undefined,
    source: r.source ?? undefined,
    details: JSON.parse(r.details) as Record<string, unknown>,
  };
}

function toQueued(r: Selectable<JobQueueTable>): QueuedJob {
  return {
    runId: r.run_id,
    jobKey: r.job_key,
    attempt: num(r.attempt),
    status: r.status as QueueStatus,
    project: r.project,
    labels: JSON.parse(r.labels) as string[],
    payload: JSON.parse(r.payload) as unknown,
    result: r.result === null ? undefined : (JSON.parse(r.result) as unknown),
    agent: r.agent ?? undefined,
    leaseId: r.lease_id ?? undefined,
    leaseUntil: optNum(r.lease_until),
    enqueuedAt: num(r.enqueued_at),
    leasedAt: optNum(r.leased_at),
    finishedAt: optNum(r.finished_at),
    cancelRequested: num(r.cancel_requested) !== 0,
    reason: r.reason ?? undefined,
  };
}

let auditSequence = 0;

/**
 * An audit entry's id: its time, then a counter of this process, then random. Entries written in
 * the same millisecond by one server list in the order they were written; the random part keeps
 * two servers' ids apart.
 */
function auditId(at: number): string {
  auditSequence = (auditSequence + 1) % 36 ** 4;
  return `${at.toString(36)}${auditSequence.toString(36).padStart(4, "0")}${randomBytes(4).toString("hex")}`;
}
