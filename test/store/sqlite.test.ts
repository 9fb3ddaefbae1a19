import { spawn } from "node:child_process";
import type { ChildProcessByStdio } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvironmentError } from "../../src/errors/index.js";
import type { EngineEvent } from "../../src/pipeline/events.js";
import { openStore } from "../../src/store/index.js";
import { migrations } from "../../src/store/migrations.js";
import { describeStoreContract } from "./contract.js";

let dir: string;
let count = 0;
let last = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "slipway-sqlite-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeStoreContract(
  "sqlite",
  () => {
    // A nested directory that does not exist yet: opening must create it.
    last = join(dir, `store-${++count}`, "nested", "slipway.db");
    return openStore({ kind: "sqlite", file: last });
  },
  () => openStore({ kind: "sqlite", file: last }),
);

describe("SQLite store", () => {
  it("names the file it cannot open", async () => {
    const blocker = join(dir, "a-file");
    await writeFile(blocker, "not a directory");
    const file = join(blocker, "slipway.db");
    const error: unknown = await openStore({ kind: "sqlite", file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).message).toContain(file);
  });

  it("refuses a file that is not a SQLite database", async () => {
    const file = join(dir, "garbage.db");
    await writeFile(
      file,
      "this is not a database, just some text that is long enough to have a header".repeat(20),
    );
    await expect(openStore({ kind: "sqlite", file })).rejects.toBeInstanceOf(EnvironmentError);
  });

  it("lets two stores in one process share a file without blocking each other", async () => {
    const file = join(dir, "shared", "slipway.db");
    const [a, b] = await Promise.all([
      openStore({ kind: "sqlite", file }),
      openStore({ kind: "sqlite", file }),
    ]);
    try {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).recordEvents([queuedRun(`run-${i}`)])),
      );
      const numbers = (await b.listRuns()).map((r) => r.number).sort((x, y) => x - y);
      expect(numbers).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      await a.close();
      // Closing one store leaves the other working.
      expect(await b.listRuns({ limit: 1 })).toHaveLength(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("lets two processes migrate and write one new file at once", async () => {
    const file = join(dir, "two-processes", "slipway.db");
    const results = await Promise.all([
      runFixture("queue-writer.ts", [file, "left", "80"]),
      runFixture("queue-writer.ts", [file, "right", "80"]),
    ]);
    expect(results).toEqual([
      { code: 0, stderr: "" },
      { code: 0, stderr: "" },
    ]);

    const store = await openStore({ kind: "sqlite", file });
    try {
      const runs = await store.listRuns();
      expect(runs).toHaveLength(160);
      expect(runs.map((r) => r.number).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 160 }, (_, i) => i + 1),
      );
      expect(runs.filter((r) => r.actor === "left")).toHaveLength(80);
      expect((await store.readLogs({ runId: "right-79" })).map((l) => l.text)).toEqual(["right"]);
      expect(await store.listTestResults("left-79")).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it("keeps every finished step and acknowledged log line when the writer is killed", async () => {
    const file = join(dir, "crash", "slipway.db");
    const child = spawnFixture("crash-writer.ts", [file]);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once("exit", (_code, signal) => resolve(signal)),
    );

    // The writer prints the highest log seq each time appendLogs has resolved.
    let acknowledged = 0;
    let stepFinished = false;
    const lines = createInterface({ input: child.stdout });
    for await (const line of lines) {
      if (line === "step-finished") stepFinished = true;
      const match = /^logged (\d+)$/.exec(line);
      if (match) acknowledged = Number(match[1]);
      // Kill while it is still writing, well into the stream.
      if (acknowledged >= 2000) {
        child.kill("SIGKILL");
        break;
      }
    }
    expect(await exited, stderr).toBe("SIGKILL");
    expect(stepFinished).toBe(true);

    const store = await openStore({ kind: "sqlite", file });
    try {
      expect((await store.getRun("crash-run"))?.status).toBe("running");
      const [checkout, build] = await store.listSteps("crash-run", "build");
      expect(checkout).toMatchObject({ status: "success", attempts: [{ status: "success", exitCode: 0 }] });
      expect(build?.status).toBe("running");

      const logs = await store.readLogs({ runId: "crash-run", jobKey: "build", stepIndex: 1 });
      const seqs = logs.map((l) => l.seq);
      // Every acknowledged line is there, with no gaps; lines after it may or may not be.
      expect(seqs.length).toBeGreaterThanOrEqual(acknowledged);
      expect(seqs.slice(0, acknowledged)).toEqual(Array.from({ length: acknowledged }, (_, i) => i + 1));
      expect(await store.readLogs({ runId: "crash-run", jobKey: "build", stepIndex: 0 })).toHaveLength(3);

      expect(await store.markInterrupted(Date.now())).toEqual(["crash-run"]);
      expect((await store.getRun("crash-run"))?.status).toBe("interrupted");
      const after = await store.listSteps("crash-run", "build");
      expect(after.map((s) => s.status)).toEqual(["success", "interrupted"]);
      expect(await store.readLogs({ runId: "crash-run", jobKey: "build", stepIndex: 1 })).toHaveLength(
        seqs.length,
      );
    } finally {
      await store.close();
    }
  });
});

function spawnFixture(name: string, args: string[]): ChildProcessByStdio<null, Readable, Readable> {
  const script = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  return spawn(process.execPath, ["--import", "tsx", script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

function runFixture(name: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawnFixture(name, args);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stderr })));
}

function queuedRun(id: string): EngineEvent {
  return {
    type: "run.queued",
    at: 1,
    run: {
      id,
      pipelineName: "ci",
      file: "slipway.yaml",
      frontEnd: "slipway",
      projectDir: "/p",
      workspace: "/p",
      commit: undefined,
      dirty: false,
      trigger: "manual",
      actor: "ada",
    },
    jobs: [],
  };
}

describe("SQLite store upgrade", () => {
  it("moves log lines stored one per row into chunks, numbering lines written before run-wide numbers", async () => {
    const file = join(dir, "upgrade", "slipway.db");
    await mkdir(join(dir, "upgrade"), { recursive: true });
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new BetterSqlite3(file) }) });
    const before = Object.fromEntries(
      Object.entries(migrations).filter(([name]) => name <= "0002_control_plane"),
    );
    const migrator = new Migrator({
      db,
      provider: { getMigrations: () => Promise.resolve(before) },
      migrationTableName: "slipway_migration",
      migrationLockTableName: "slipway_migration_lock",
    });
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    await sql`insert into runs (id, number, pipeline_name, file, front_end, project_dir, workspace, dirty, trigger, actor, status, queued_at)
      values ('old', 1, 'p', 'slipway.yaml', 'slipway', '/p', '/p', 0, 'manual', 'ada', 'success', 1)`.execute(
      db,
    );
    // Two lines from before run_seq existed (null), then three numbered ones over two steps and streams.
    const rows: [string, number, number, number, string, string, number | null][] = [
      ["build", 0, 1, 1, "stdout", "cloning", null],
      ["build", 0, 1, 2, "stdout", "cloned", null],
      ["build", 1, 1, 1, "stdout", "compiling", 1],
      ["build", 1, 1, 2, "stderr", "warning: x", 2],
      ["test", 0, 1, 1, "stdout", "ok", 3],
    ];
    for (const [job, step, attempt, seq, stream, text, runSeq] of rows) {
      await sql`insert into log_lines (run_id, job_key, step_index, attempt, seq, at, stream, text, run_seq)
        values ('old', ${job}, ${step}, ${attempt}, ${seq}, ${1000 + seq}, ${stream}, ${text}, ${runSeq})`.execute(
        db,
      );
    }
    await db.destroy();

    const store = await openStore({ kind: "sqlite", file });
    try {
      const lines = await store.readLogs({ runId: "old" });
      expect(lines.map((l) => [l.jobKey, l.stepIndex, l.seq, l.stream, l.text, l.at])).toEqual(
        rows.map(([job, step, , seq, stream, text]) => [job, step, seq, stream, text, 1000 + seq]),
      );
      const tail = await store.readLogsAfter("old", 0, 10);
      expect(tail.map((l) => [l.runSeq, l.text])).toEqual(rows.map((r, i) => [i + 1, r[5]]));
      // New lines continue the numbering after the moved ones.
      await store.appendLogs([
        {
          runId: "old",
          jobKey: "test",
          stepIndex: 0,
          attempt: 1,
          seq: 2,
          at: 2000,
          stream: "stdout",
          text: "later",
        },
      ]);
      expect((await store.readLogsAfter("old", 5, 10)).map((l) => [l.runSeq, l.text])).toEqual([
        [6, "later"],
      ]);
    } finally {
      await store.close();
    }
  });
});
