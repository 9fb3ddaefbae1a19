import { Migrator, sql } from "kysely";
import type { Kysely, Migration, MigrationProvider } from "kysely";
import { EnvironmentError } from "../errors/index.js";

/*
 * Migrations live in code, not in files, so a bundled or installed Slipway cannot lose them.
 * Every statement must run unchanged on SQLite and PostgreSQL: plain text/integer/bigint
 * columns, composite primary keys instead of dialect-specific auto-increment, JSON as text.
 * Never edit a migration that has shipped; add the next one.
 */

const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("meta")
      .addColumn("key", "text", (c) => c.primaryKey())
      .addColumn("value", "bigint", (c) => c.notNull())
      .execute();
    await db
      .withTables<{ meta: { key: string; value: number } }>()
      .insertInto("meta")
      .values({ key: "run_number", value: 0 })
      .execute();

    await db.schema
      .createTable("runs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("number", "integer", (c) => c.notNull().unique())
      .addColumn("pipeline_name", "text", (c) => c.notNull())
      .addColumn("file", "text", (c) => c.notNull())
      .addColumn("front_end", "text", (c) => c.notNull())
      .addColumn("project_dir", "text", (c) => c.notNull())
      .addColumn("workspace", "text", (c) => c.notNull())
      .addColumn("commit_sha", "text")
      .addColumn("dirty", "integer", (c) => c.notNull())
      .addColumn("trigger", "text", (c) => c.notNull())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("queued_at", "bigint", (c) => c.notNull())
      .addColumn("started_at", "bigint")
      .addColumn("finished_at", "bigint")
      .execute();
    // markInterrupted scans for unfinished runs at every start-up.
    await db.schema.createIndex("runs_status").on("runs").column("status").execute();

    await db.schema
      .createTable("jobs")
      .addColumn("run_id", "text", (c) => c.notNull())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("position", "integer", (c) => c.notNull())
      .addColumn("job_id", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("needs", "text", (c) => c.notNull())
      .addColumn("matrix", "text")
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("started_at", "bigint")
      .addColumn("finished_at", "bigint")
      .addColumn("cache_hit", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("cache_key", "text")
      .addColumn("outputs", "text", (c) => c.notNull().defaultTo("{}"))
      .addColumn("reason", "text")
      .addPrimaryKeyConstraint("jobs_pk", ["run_id", "key"])
      .addForeignKeyConstraint("jobs_run_fk", ["run_id"], "runs", ["id"], (f) => f.onDelete("cascade"))
      .execute();

    await db.schema
      .createTable("steps")
      .addColumn("run_id", "text", (c) => c.notNull())
      .addColumn("job_key", "text", (c) => c.notNull())
      .addColumn("step_index", "integer", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("steps_pk", ["run_id", "job_key", "step_index"])
      .addForeignKeyConstraint("steps_job_fk", ["run_id", "job_key"], "jobs", ["run_id", "key"], (f) =>
        f.onDelete("cascade"),
      )
      .execute();

    await db.schema
      .createTable("step_attempts")
      .addColumn("run_id", "text", (c) => c.notNull())
      .addColumn("job_key", "text", (c) => c.notNull())
      .addColumn("step_index", "integer", (c) => c.notNull())
      .addColumn("attempt", "integer", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("exit_code", "integer")
      .addColumn("started_at", "bigint", (c) => c.notNull())
      .addColumn("finished_at", "bigint")
      .addColumn("cache_hit", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("reason", "text")
      .addPrimaryKeyConstraint("step_attempts_pk", ["run_id", "job_key", "step_index", "attempt"])
      .addForeignKeyConstraint(
        "step_attempts_step_fk",
        ["run_id", "job_key", "step_index"],
        "steps",
        ["run_id", "job_key", "step_index"],
        (f) => f.onDelete("cascade"),
      )
      .execute();

    await db.schema
      .createTable("events")
      .addColumn("run_id", "text", (c) => c.notNull())
      .addColumn("seq", "integer", (c) => c.notNull())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("at", "bigint", (c) => c.notNull())
      .addColumn("body", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("events_pk", ["run_id", "seq"])
      .addForeignKeyConstraint("events_run_fk", ["run_id"], "runs", ["id"], (f) => f.onDelete("cascade"))
      .execute();

    // The primary key doubles as the index readLogs walks: run, job, step, attempt, seq.
    await db.schema
      .createTable("log_lines")
      .addColumn("run_id", "text", (c) => c.notNull())
      .addColumn("job_key", "text", (c) => c.notNull())
      .addColumn("step_index", "integer", (c) => c.notNull())
      .addColumn("attempt", "integer", (c) => c.notNull())
      .addColumn("seq", "integer", (c) => c.notNull())
      .addColumn("at", "bigint", (c) => c.notNull())
      .addColumn("stream", "text", (c) => c.notNull())
      .addColumn("text", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("log_lines_pk", ["run_id", "job_key", "step_index", "attempt", "seq"])
      .addForeignKeyConstraint("log_lines_run_fk", ["run_id"], "runs", ["id"], (f) => f.onDelete("cascade"))
      .execute();

    await db.schema
      .createTable("test_results")
      .addColumn("run_id", "text", (c) => c.notNull())
      .addColumn("job_key", "text", (c) => c.notNull())
      .addColumn("seq", "integer", (c) => c.notNull())
      .addColumn("suite", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("classname", "text")
      .addColumn("file", "text")
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("duration_ms", "bigint", (c) => c.notNull())
      .addColumn("message", "text")
      .addColumn("details", "text")
      .addColumn("attempts", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("test_results_pk", ["run_id", "job_key", "seq"])
      .addForeignKeyConstraint("test_results_run_fk", ["run_id"], "runs", ["id"], (f) =>
        f.onDelete("cascade"),
      )
      .execute();
    // Flaky-test history looks a test up across runs.
    await db.schema.createIndex("test_results_test").on("test_results").columns(["suite", "name"]).execute();

    await db.schema
      .createTable("artifacts")
      .addColumn("run_id", "text", (c) => c.notNull())
      .addColumn("job_key", "text", (c) => c.notNull())
      .addColumn("path", "text", (c) => c.notNull())
      .addColumn("size_bytes", "bigint", (c) => c.notNull())
      .addColumn("stored_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("artifacts_pk", ["run_id", "job_key", "path"])
      .addForeignKeyConstraint("artifacts_run_fk", ["run_id"], "runs", ["id"], (f) => f.onDelete("cascade"))
      .execute();

    await db.schema
      .createTable("cache_entries")
      .addColumn("key", "text", (c) => c.primaryKey())
      .addColumn("job_id", "text", (c) => c.notNull())
      .addColumn("path", "text", (c) => c.notNull())
      .addColumn("outputs", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("size_bytes", "bigint", (c) => c.notNull())
      .execute();
  },
};

/**
 * The control plane: projects, API tokens, the audit log, the job queue leased to agents,
 * encrypted secrets, webhook deliveries; and on runs, who coordinates them and counters that
 * number events and log lines per run under concurrent writers.
 */
const controlPlane: Migration = {
  async up(db: Kysely<unknown>) {
    // SQLite adds one column per ALTER TABLE.
    const runColumns: [string, "text" | "bigint" | "integer", boolean][] = [
      ["project", "text", false],
      ["ref", "text", false],
      ["owner", "text", false],
      ["owner_until", "bigint", false],
      ["cancel_requested", "integer", true],
      ["spec", "text", false],
      ["event_count", "bigint", true],
      ["log_count", "bigint", true],
    ];
    for (const [name, type, zero] of runColumns) {
      await db.schema
        .alterTable("runs")
        .addColumn(name, type, (c) => (zero ? c.notNull().defaultTo(0) : c))
        .execute();
    }
    // Runs recorded before the counters existed continue their numbering after their last event.
    await sql`update runs set event_count = coalesce((select max(seq) from events where events.run_id = runs.id), 0)`.execute(
      db,
    );
    await db.schema.createIndex("runs_project").on("runs").columns(["project", "number"]).execute();

    await db.schema.alterTable("log_lines").addColumn("run_seq", "bigint").execute();
    await db.schema.createIndex("log_lines_run_seq").on("log_lines").columns(["run_id", "run_seq"]).execute();

    await db.schema
      .createTable("projects")
      .addColumn("name", "text", (c) => c.primaryKey())
      .addColumn("repo", "text", (c) => c.notNull())
      .addColumn("default_branch", "text", (c) => c.notNull())
      .addColumn("webhook_secret", "text")
      .addColumn("poll_seconds", "integer")
      .addColumn("polled", "text")
      .addColumn("schedules", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("api_tokens")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull().unique())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("role", "text")
      .addColumn("project", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("last_used_at", "bigint")
      .addColumn("revoked_at", "bigint")
      .execute();

    await db.schema
      .createTable("audit_log")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("at", "bigint", (c) => c.notNull())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("target", "text", (c) => c.notNull())
      .addColumn("project", "text")
      .addColumn("source", "text")
      .addColumn("details", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("audit_log_at").on("audit_log").column("at").execute();

    await db.schema
      .createTable("job_queue")
      .addColumn("run_id", "text", (c) => c.notNull())
      .addColumn("job_key", "text", (c) => c.notNull())
      .addColumn("attempt", "integer", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("project", "text", (c) => c.notNull())
      .addColumn("labels", "text", (c) => c.notNull())
      .addColumn("payload", "text", (c) => c.notNull())
      .addColumn("result", "text")
      .addColumn("agent", "text")
      .addColumn("lease_id", "text")
      .addColumn("lease_until", "bigint")
      .addColumn("enqueued_at", "bigint", (c) => c.notNull())
      .addColumn("leased_at", "bigint")
      .addColumn("finished_at", "bigint")
      .addColumn("cancel_requested", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("batch_seq", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("reason", "text")
      .addColumn("concurrency_group", "text")
      .addPrimaryKeyConstraint("job_queue_pk", ["run_id", "job_key", "attempt"])
      .execute();
    // One row per concurrency group in use: its primary key is the lock that lets one job of the
    // group run at a time across every server.
    await db.schema
      .createTable("group_holders")
      .addColumn("concurrency_group", "text", (c) => c.primaryKey())
      .addColumn("lease_id", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("job_queue_status")
      .on("job_queue")
      .columns(["status", "enqueued_at"])
      .execute();
    await db.schema.createIndex("job_queue_lease").on("job_queue").column("lease_id").execute();

    await db.schema
      .createTable("agents")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("labels", "text", (c) => c.notNull())
      .addColumn("token_id", "text", (c) => c.notNull())
      .addColumn("first_seen_at", "bigint", (c) => c.notNull())
      .addColumn("last_seen_at", "bigint", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("secrets")
      .addColumn("project", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("value", "text", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addColumn("updated_by", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("secrets_pk", ["project", "name"])
      .execute();

    await db.schema
      .createTable("webhook_deliveries")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("received_at", "bigint", (c) => c.notNull())
      .execute();
  },
};

/*
 * Log lines move from one row per line to one row per chunk of consecutive lines of a step
 * attempt (src/store/logs.ts). Lines stored before keep their order; the few written before
 * run-wide numbering existed are numbered now, so every line has a place for live tails.
 */
const logChunks: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("log_chunks")
      .addColumn("run_id", "text", (c) => c.notNull())
      .addColumn("job_key", "text", (c) => c.notNull())
      .addColumn("step_index", "integer", (c) => c.notNull())
      .addColumn("attempt", "integer", (c) => c.notNull())
      .addColumn("seq", "integer", (c) => c.notNull())
      .addColumn("lines", "integer", (c) => c.notNull())
      .addColumn("stream", "text", (c) => c.notNull())
      .addColumn("at", "bigint", (c) => c.notNull())
      .addColumn("run_seq", "bigint", (c) => c.notNull())
      .addColumn("body", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("log_chunks_pk", ["run_id", "job_key", "step_index", "attempt", "seq"])
      .addForeignKeyConstraint("log_chunks_run_fk", ["run_id"], "runs", ["id"], (f) => f.onDelete("cascade"))
      .execute();
    await db.schema
      .createIndex("log_chunks_run_seq")
      .on("log_chunks")
      .columns(["run_id", "run_seq"])
      .execute();

    const old = db.withTables<{
      log_lines: {
        run_id: string;
        job_key: string;
        step_index: number;
        attempt: number;
        seq: number;
        at: number | string;
        stream: string;
        text: string;
        run_seq: number | string | null;
      };
      log_chunks: Record<string, string | number>;
      runs: { id: string; log_count: number };
    }>();
    const runs = await old.selectFrom("log_lines").select("run_id").distinct().execute();
    for (const { run_id: runId } of runs) {
      const lines = await old
        .selectFrom("log_lines")
        .selectAll()
        .where("run_id", "=", runId)
        .orderBy(sql`coalesce(run_seq, 0)`)
        .orderBy("job_key")
        .orderBy("step_index")
        .orderBy("attempt")
        .orderBy("seq")
        .execute();
      type Chunk = { row: Record<string, string | number>; seq: number; offsets: number[]; text: string[] };
      const chunks: Chunk[] = [];
      lines.forEach((l, i) => {
        const at = Number(l.at);
        let c = chunks.at(-1);
        const continues =
          c !== undefined &&
          c.text.length < 1024 &&
          c.row.job_key === l.job_key &&
          c.row.step_index === l.step_index &&
          c.row.attempt === l.attempt &&
          c.row.stream === l.stream &&
          c.seq + c.text.length === l.seq;
        if (c === undefined || !continues) {
          const key = { run_id: runId, job_key: l.job_key, step_index: l.step_index, attempt: l.attempt };
          c = {
            row: { ...key, seq: l.seq, stream: l.stream, at, run_seq: i + 1 },
            seq: l.seq,
            offsets: [],
            text: [],
          };
          chunks.push(c);
        }
        c.offsets.push(at - Number(c.row.at));
        c.text.push(l.text);
      });
      const rows = chunks.map((c) => ({
        ...c.row,
        lines: c.text.length,
        body: JSON.stringify({ offsets: c.offsets, text: c.text }),
      }));
      for (let i = 0; i < rows.length; i += 1000) {
        await old
          .insertInto("log_chunks")
          .values(rows.slice(i, i + 1000))
          .execute();
      }
      await old.updateTable("runs").set({ log_count: lines.length }).where("id", "=", runId).execute();
    }
    await db.schema.dropTable("log_lines").execute();
  },
};

/*
 * Terraform's http backend (src/server/terraform-state.ts). Locking and writing are conditional
 * UPDATEs of the state's one row, so exactly one of many concurrent callers wins on both
 * dialects; every write is a new row of terraform_state_versions, never an update.
 */
const terraformState: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("terraform_states")
      .addColumn("project", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("last_version", "integer", (c) => c.notNull())
      .addColumn("current_version", "integer")
      .addColumn("serial", "bigint")
      .addColumn("lineage", "text")
      .addColumn("sha256", "text")
      .addColumn("updated_at", "bigint")
      .addColumn("updated_by", "text")
      .addColumn("lock_id", "text")
      .addColumn("lock_info", "text")
      .addColumn("locked_at", "bigint")
      .addColumn("locked_by", "text")
      .addPrimaryKeyConstraint("terraform_states_pk", ["project", "name"])
      .execute();
    await db.schema
      .createTable("terraform_state_versions")
      .addColumn("project", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("version", "integer", (c) => c.notNull())
      .addColumn("serial", "bigint", (c) => c.notNull())
      .addColumn("lineage", "text", (c) => c.notNull())
      .addColumn("size_bytes", "bigint", (c) => c.notNull())
      .addColumn("sha256", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("rolled_back_from", "integer")
      .addColumn("forced", "integer", (c) => c.notNull())
      .addColumn("content", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("terraform_state_versions_pk", ["project", "name", "version"])
      .execute();
  },
};

/** Approvals: a job waits for a person to approve what it is about to do (a plan's checksum). */
const approvals: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("approvals")
      .addColumn("run_id", "text", (c) => c.notNull())
      .addColumn("job_key", "text", (c) => c.notNull())
      .addColumn("subject", "text", (c) => c.notNull())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("requested_at", "bigint", (c) => c.notNull())
      .addColumn("decided_by", "text")
      .addColumn("decided_at", "bigint")
      .addColumn("comment", "text")
      .addPrimaryKeyConstraint("approvals_pk", ["run_id", "job_key"])
      .addForeignKeyConstraint("approvals_run_fk", ["run_id"], "runs", ["id"], (f) => f.onDelete("cascade"))
      .execute();
  },
};

/*
 * Drift status of Terraform configurations per project (src/store/terraform-drift.ts): one row
 * per directory and workspace a drift check or plan step reported from a server run.
 */
const terraformDrift: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("terraform_drift")
      .addColumn("project", "text", (c) => c.notNull())
      .addColumn("dir", "text", (c) => c.notNull())
      .addColumn("workspace", "text", (c) => c.notNull())
      .addColumn("drifted", "integer", (c) => c.notNull())
      .addColumn("since", "bigint", (c) => c.notNull())
      .addColumn("checked_at", "bigint", (c) => c.notNull())
      .addColumn("checked_by", "text", (c) => c.notNull())
      .addColumn("run_id", "text", (c) => c.notNull())
      .addColumn("run_number", "integer")
      .addColumn("job_key", "text", (c) => c.notNull())
      .addColumn("report", "text")
      .addPrimaryKeyConstraint("terraform_drift_pk", ["project", "dir", "workspace"])
      .execute();
  },
};

/*
 * Progressive delivery (src/store/deliveries.ts): environments as an operator set them, releases
 * (immutable: a version is written once), deployments and each deployment's history of events.
 */
const deliveries: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("environments")
      .addColumn("project", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("config", "text", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addColumn("updated_by", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("environments_pk", ["project", "name"])
      .execute();
    await db.schema
      .createTable("releases")
      .addColumn("project", "text", (c) => c.notNull())
      .addColumn("service", "text", (c) => c.notNull())
      .addColumn("version", "text", (c) => c.notNull())
      .addColumn("checksum", "text", (c) => c.notNull())
      .addColumn("commit_sha", "text")
      .addColumn("committed_at", "bigint")
      .addColumn("branch", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("body", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("releases_pk", ["project", "service", "version"])
      .execute();
    await db.schema
      .createTable("deployments")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("project", "text", (c) => c.notNull())
      .addColumn("environment", "text", (c) => c.notNull())
      .addColumn("service", "text", (c) => c.notNull())
      .addColumn("from_version", "text")
      .addColumn("to_version", "text", (c) => c.notNull())
      .addColumn("mode", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("reason", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("finished_at", "bigint")
      .addColumn("run_id", "text")
      .addColumn("override_reason", "text")
      .execute();
    await db.schema
      .createIndex("deployments_env_idx")
      .on("deployments")
      .columns(["project", "environment", "service", "created_at"])
      .execute();
    await db.schema
      .createTable("deployment_events")
      .addColumn("deployment_id", "text", (c) => c.notNull())
      .addColumn("seq", "integer", (c) => c.notNull())
      .addColumn("at", "bigint", (c) => c.notNull())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("body", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("deployment_events_pk", ["deployment_id", "seq"])
      .addForeignKeyConstraint("deployment_events_fk", ["deployment_id"], "deployments", ["id"], (f) =>
        f.onDelete("cascade"),
      )
      .execute();
  },
};

/** Every migration, in order. Keys sort lexically, which is the order Kysely applies them. */
export const migrations: Readonly<Record<string, Migration>> = {
  "0001_initial": initial,
  "0002_control_plane": controlPlane,
  "0003_log_chunks": logChunks,
  "0004_terraform_state": terraformState,
  "0005_approvals": approvals,
  "0006_terraform_drift": terraformDrift,
  "0007_deliveries": deliveries,
};

const provider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...migrations }),
};

/**
 * Brings the schema to the latest version. Kysely's migrator takes a lock (an advisory lock on
 * PostgreSQL), so several servers starting at once apply each migration exactly once.
 */
export async function migrateToLatest(db: Kysely<unknown>, where: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: "slipway_migration",
    migrationLockTableName: "slipway_migration_lock",
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new EnvironmentError(
      `cannot migrate the store at ${where}${failed === undefined ? "" : ` (migration ${failed})`}: ${describe(error)}`,
      {
        cause: error,
        hint: "check that the database is reachable and writable, and not used by a newer Slipway",
      },
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
