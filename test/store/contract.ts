import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type {
  EngineEvent,
  LogLine,
  PlannedJobInfo,
  RunInfo,
  TestCaseResult,
} from "../../src/pipeline/events.js";
import { toChunks } from "../../src/pipeline/log-chunks.js";
import type { Store } from "../../src/store/index.js";

/**
 * The behaviour every Store must have, run against each implementation (SQLite, PostgreSQL).
 * `open` gives an empty store at a new location; `reopen` opens the location `open` last used
 * again, after the test closed it.
 */
export function describeStoreContract(
  name: string,
  open: () => Promise<Store>,
  reopen: () => Promise<Store>,
): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let closed = false;

    beforeEach(async () => {
      store = await open();
      closed = false;
    });

    afterEach(async () => {
      if (!closed) await store.close();
    });

    describe("control plane: the audit log", () => {
      it("lists entries newest first, in the order they were written within a millisecond", async () => {
        for (let i = 0; i < 60; i++) {
          await store.control.appendAudit({
            actor: "t",
            action: "test.write",
            target: `t-${i}`,
            project: undefined,
            source: undefined,
            details: { i },
          });
        }
        const listed = await store.control.listAudit({ limit: 100 });
        expect(listed.map((e) => e.target)).toEqual(Array.from({ length: 60 }, (_, i) => `t-${59 - i}`));
      });
    });

    describe("control plane: the job queue", () => {
      const enqueue = (
        jobKey: string,
        extra: { group?: string; cancelInProgress?: boolean; runId?: string } = {},
      ) =>
        store.control.enqueue({
          runId: extra.runId ?? "run-q",
          jobKey,
          attempt: 1,
          project: "p",
          labels: [],
          payload: {},
          now: T0,
          concurrencyGroup: extra.group,
          cancelInProgress: extra.cancelInProgress,
        });
      const lease = (leaseId: string, now = T0) =>
        store.control.lease({ agent: `agent-${leaseId}`, labels: [], leaseId, now, until: now + 60_000 });

      it("leases each queued job once, however many agents ask at the same time", async () => {
        for (let i = 0; i < 20; i++) await enqueue(`job-${String(i).padStart(2, "0")}`);
        const leases = await Promise.all(Array.from({ length: 40 }, (_, i) => lease(`lease-${i}`)));
        const taken = leases.filter((l) => l !== undefined);
        expect(taken).toHaveLength(20);
        expect(new Set(taken.map((l) => l?.jobKey)).size).toBe(20);
        expect(await store.control.queueCounts()).toEqual({ leased: 20 });
      });

      it("puts back a lease its agent never received, but not one whose job has begun", async () => {
        await store.recordEvents([queued("run-q", T0)]);
        await enqueue("build", { group: "p/g" });
        await enqueue("test");
        const first = await lease("unheard");
        expect(first?.jobKey).toBeDefined();
        expect(await store.control.releaseLease("unheard")).toBe(true);
        expect(await store.control.releaseLease("unheard")).toBe(false);
        // Queued again, group released: both jobs can be leased by others now.
        const again = [await lease("a"), await lease("b")].map((l) => l?.jobKey).sort();
        expect(again).toEqual(["build", "test"]);
        expect(await store.control.ingest("a", { batch: 1, events: [], logs: [] })).toBe("applied");
        expect(await store.control.releaseLease("a")).toBe(false);
        expect(await store.control.heartbeat("a", T0 + 1)).toEqual({ cancel: false });
      });

      it("leases only jobs whose labels the agent has", async () => {
        await store.control.enqueue({
          runId: "run-q",
          jobKey: "gpu",
          attempt: 1,
          project: "p",
          labels: ["gpu"],
          payload: {},
          now: T0,
        });
        expect(await lease("plain")).toBeUndefined();
        const taken = await store.control.lease({
          agent: "a",
          labels: ["gpu", "linux"],
          leaseId: "l",
          now: T0,
          until: T0 + 1,
        });
        expect(taken?.jobKey).toBe("gpu");
      });

      it("runs one job of a concurrency group at a time, keeps one waiting, and asks the running one to stop on cancel-in-progress", async () => {
        await enqueue("deploy", { runId: "run-1", group: "p/prod" });
        expect((await lease("l1"))?.runId).toBe("run-1");
        await enqueue("deploy", { runId: "run-2", group: "p/prod" });
        expect(await lease("l2")).toBeUndefined();
        // A third run supersedes the second, which is still waiting.
        const touched = await enqueue("deploy", { runId: "run-3", group: "p/prod" });
        expect(touched).toEqual([{ runId: "run-2", jobKey: "deploy" }]);
        expect((await store.control.jobAttempts("run-2"))[0]?.status).toBe("cancelled");
        expect(await store.control.heartbeat("l1", T0 + 1)).toEqual({ cancel: false });
        // Finishing frees the group for the waiting job.
        expect(await store.control.finish("l1", { ok: true }, T0 + 2)).toMatchObject({
          finished: true,
          job: { runId: "run-1", jobKey: "deploy", status: "finished", result: { ok: true } },
        });
        expect((await lease("l3"))?.runId).toBe("run-3");
        const stopping = await enqueue("deploy", { runId: "run-4", group: "p/prod", cancelInProgress: true });
        expect(stopping).toEqual([{ runId: "run-3", jobKey: "deploy" }]);
        expect(await store.control.heartbeat("l3", T0 + 3)).toEqual({ cancel: true });
        // Other groups are not held up.
        await enqueue("deploy", { runId: "run-5", group: "p/staging" });
        expect((await lease("l5"))?.runId).toBe("run-5");
      });

      it("loses an expired lease, queues the next attempt, and refuses the old holder", async () => {
        await store.recordEvents([queued("run-q", T0)]);
        await enqueue("build");
        const first = await lease("old", T0);
        expect(first?.attempt).toBe(1);
        expect(await store.control.expireLeases(T0 + 30_000)).toEqual([]);
        const lost = await store.control.expireLeases(T0 + 61_000);
        expect(lost.map((j) => [j.jobKey, j.attempt, j.status])).toEqual([["build", 1, "lost"]]);
        expect(await store.control.heartbeat("old", T0 + 62_000)).toBeUndefined();
        expect(await store.control.finish("old", {}, T0 + 62_000)).toEqual({ finished: false });
        const late = { batch: 1, events: [], logs: toChunks([log("run-q", "build", 0, 1, 1, "late")]) };
        expect(await store.control.ingest("old", late)).toBe("lease-lost");
        expect(await store.control.finish("old", {}, T0 + 62_000, late)).toEqual({
          finished: false,
          batch: "lease-lost",
        });
        expect(await store.readLogs({ runId: "run-q" })).toEqual([]);
        const second = await lease("new", T0 + 62_000);
        expect([second?.jobKey, second?.attempt]).toEqual(["build", 2]);
        expect((await store.control.jobAttempts("run-q", "build")).map((a) => a.status)).toEqual([
          "lost",
          "leased",
        ]);
      });

      it("applies a numbered batch once and keeps the lines in arrival order", async () => {
        await store.recordEvents([queued("run-q", T0)]);
        await enqueue("build");
        await lease("l");
        const lines = toChunks([
          log("run-q", "build", 0, 1, 1, "one"),
          log("run-q", "build", 0, 1, 2, "two"),
        ]);
        expect(await store.control.ingest("l", { batch: 1, events: [], logs: lines })).toBe("applied");
        expect(await store.control.ingest("l", { batch: 1, events: [], logs: lines })).toBe("duplicate");
        const three = toChunks([log("run-q", "build", 0, 1, 3, "three")]);
        expect(await store.control.ingest("l", { batch: 2, events: [], logs: three })).toBe("applied");
        // The last batch goes with the result, in one transaction; sent again, it is not applied twice.
        const four = { batch: 3, events: [], logs: toChunks([log("run-q", "build", 0, 1, 4, "four")]) };
        expect(await store.control.finish("l", { ok: true }, T0 + 5, four)).toMatchObject({
          finished: true,
          batch: "applied",
          job: { jobKey: "build", status: "finished", finishedAt: T0 + 5 },
        });
        expect(await store.control.finish("l", { ok: true }, T0 + 6, four)).toEqual({
          finished: false,
          batch: "lease-lost",
        });
        const tail = await store.readLogsAfter("run-q", 1, 10);
        expect(tail.map((l) => [l.runSeq, l.text])).toEqual([
          [2, "two"],
          [3, "three"],
          [4, "four"],
        ]);
        expect((await store.control.jobAttempts("run-q", "build"))[0]).toMatchObject({
          status: "finished",
          result: { ok: true },
          finishedAt: T0 + 5,
        });
      });
    });

    it("queues a run with a number, its planned jobs in plan order and its steps, all queued", async () => {
      await store.recordEvents([queued("run-a", T0)]);

      const run = await store.getRun("run-a");
      expect(run).toStrictEqual({
        id: "run-a",
        number: 1,
        pipelineName: "ci",
        file: "slipway.yaml",
        frontEnd: "slipway",
        projectDir: "/src/app",
        workspace: "/src/app",
        commit: "0123456789abcdef0123456789abcdef01234567",
        dirty: true,
        trigger: "manual",
        actor: "ada",
        status: "queued",
        queuedAt: T0,
        startedAt: undefined,
        finishedAt: undefined,
        project: undefined,
        ref: undefined,
      });

      const jobs = await store.listJobs("run-a");
      // Plan order, which is not the alphabetical order of the keys.
      expect(jobs.map((j) => j.key)).toEqual(["build", "test (linux, 20)", "deploy"]);
      expect(jobs[1]).toStrictEqual({
        runId: "run-a",
        key: "test (linux, 20)",
        jobId: "test",
        name: "test (linux, 20)",
        needs: ["build"],
        matrix: { os: "linux", node: 20 },
        status: "queued",
        startedAt: undefined,
        finishedAt: undefined,
        cacheHit: false,
        cacheKey: undefined,
        outputs: {},
        reason: undefined,
      });
      expect(jobs[0]?.matrix).toBeUndefined();

      const steps = await store.listSteps("run-a");
      expect(steps.map((s) => [s.jobKey, s.index, s.name, s.status, s.attempts.length])).toEqual([
        ["build", 0, "checkout", "queued", 0],
        ["build", 1, "compile", "queued", 0],
        ["test (linux, 20)", 0, "install", "queued", 0],
        ["test (linux, 20)", 1, "unit tests", "queued", 0],
        ["deploy", 0, "ship", "queued", 0],
      ]);
    });

    it("keeps commit undefined and dirty false when the run has no git state", async () => {
      await store.recordEvents([queued("run-a", T0, { commit: undefined, dirty: false })]);
      const run = await store.getRun("run-a");
      expect(run?.commit).toBeUndefined();
      expect(run?.dirty).toBe(false);
    });

    it("projects a whole run into jobs, steps and every attempt of a retried step", async () => {
      const events = wholeRun("run-a", T0);
      // Batches of different sizes, as the engine flushes them; the second attempt of compile
      // starts in one batch and finishes in the next.
      await store.recordEvents(events.slice(0, 1));
      await store.recordEvents(events.slice(1, 8));
      await store.recordEvents(events.slice(8));

      const run = await store.getRun("run-a");
      expect(run).toMatchObject({ status: "failure", startedAt: T0 + 10, finishedAt: T0 + 90 });

      const [build, test, deploy] = await store.listJobs("run-a");
      expect(build).toMatchObject({
        key: "build",
        status: "success",
        startedAt: T0 + 20,
        finishedAt: T0 + 51,
        cacheHit: false,
        cacheKey: "sha256:build",
        outputs: { version: "1.2.3", digest: "sha256:abc" },
        reason: undefined,
      });
      expect(test).toMatchObject({
        key: "test (linux, 20)",
        status: "failure",
        startedAt: T0 + 60,
        finishedAt: T0 + 71,
        reason: "step unit tests failed",
      });
      expect(deploy).toMatchObject({
        key: "deploy",
        status: "skipped",
        startedAt: undefined,
        finishedAt: T0 + 72,
        reason: "a needed job failed",
      });

      const buildSteps = await store.listSteps("run-a", "build");
      expect(buildSteps).toHaveLength(2);
      expect(buildSteps[0]).toStrictEqual({
        runId: "run-a",
        jobKey: "build",
        index: 0,
        name: "checkout",
        status: "success",
        attempts: [
          {
            attempt: 1,
            status: "success",
            exitCode: 0,
            startedAt: T0 + 21,
            finishedAt: T0 + 30,
            cacheHit: false,
            reason: undefined,
          },
        ],
      });
      expect(buildSteps[1]?.status).toBe("success");
      expect(buildSteps[1]?.attempts).toStrictEqual([
        {
          attempt: 1,
          status: "failure",
          exitCode: 1,
          startedAt: T0 + 31,
          finishedAt: T0 + 40,
          cacheHit: false,
          reason: "exit code 1",
        },
        {
          attempt: 2,
          status: "success",
          exitCode: 0,
          startedAt: T0 + 41,
          finishedAt: T0 + 50,
          cacheHit: false,
          reason: undefined,
        },
      ]);

      const testSteps = await store.listSteps("run-a", "test (linux, 20)");
      // Finished without a step.started (restored from cache): still one attempt with its outcome.
      expect(testSteps[0]?.attempts).toStrictEqual([
        {
          attempt: 1,
          status: "success",
          exitCode: undefined,
          startedAt: T0 + 61,
          finishedAt: T0 + 61,
          cacheHit: true,
          reason: "cache hit",
        },
      ]);
      expect(testSteps[1]).toMatchObject({
        status: "failure",
        attempts: [{ exitCode: 2, status: "failure" }],
      });

      const deploySteps = await store.listSteps("run-a", "deploy");
      expect(deploySteps).toMatchObject([{ status: "queued", attempts: [] }]);
    });

    it("keeps the event log exactly as recorded, in order, per run", async () => {
      const a = wholeRun("run-a", T0);
      const b = wholeRun("run-b", T0 + 5);
      // Interleave two runs and split into batches.
      await store.recordEvents([a[0]!, b[0]!]);
      await store.recordEvents(a.slice(1, 4));
      await store.recordEvents(b.slice(1));
      await store.recordEvents(a.slice(4));

      expect(await store.listEvents("run-a")).toEqual(a);
      expect(await store.listEvents("run-b")).toEqual(b);
      expect(await store.listEvents("no-such-run")).toEqual([]);
    });

    it("refuses events and lines of a run it does not have", async () => {
      await expect(store.recordEvents([{ type: "run.started", at: T0, runId: "nowhere" }])).rejects.toThrow(
        "no run nowhere to append to",
      );
      await expect(store.appendLogs([log("nowhere", "build", 0, 1, 1, "lost")])).rejects.toThrow(
        "no run nowhere to append to",
      );
    });

    it("records a batch of events in one transaction: a failing event undoes the whole batch", async () => {
      await store.recordEvents([queued("run-a", T0)]);
      await expect(
        store.recordEvents([
          { type: "run.started", at: T0 + 1, runId: "run-a" },
          { type: "job.started", at: T0 + 2, runId: "run-a", jobKey: "build" },
          // Queuing the same run twice violates its primary key.
          queued("run-a", T0 + 3),
        ]),
      ).rejects.toThrow();

      expect((await store.getRun("run-a"))?.status).toBe("queued");
      expect((await store.listJobs("run-a"))[0]?.status).toBe("queued");
      expect(await store.listEvents("run-a")).toHaveLength(1);

      // The store is still usable, and the failed batch did not use up a run number.
      await store.recordEvents([queued("run-b", T0 + 4)]);
      expect((await store.getRun("run-b"))?.number).toBe(2);
    });

    it("numbers runs from 1, finds them by number or id, and lists newest first", async () => {
      await store.recordEvents([queued("01HZ-first", T0)]);
      await store.recordEvents([queued("01HZ-second", T0 + 1000)]);
      await store.recordEvents([queued("01HZ-third", T0 + 2000)]);

      expect((await store.getRun("2"))?.id).toBe("01HZ-second");
      expect((await store.getRun("01HZ-third"))?.number).toBe(3);
      expect(await store.getRun("4")).toBeUndefined();
      expect(await store.getRun("0")).toBeUndefined();
      expect(await store.getRun("no-such-run")).toBeUndefined();

      const runs = await store.listRuns();
      expect(runs.map((r) => [r.number, r.id])).toEqual([
        [3, "01HZ-third"],
        [2, "01HZ-second"],
        [1, "01HZ-first"],
      ]);
      expect((await store.listRuns({ limit: 2 })).map((r) => r.number)).toEqual([3, 2]);
    });

    it("filters runs by project, branch, status, trigger and who started them", async () => {
      const runs = [
        { id: "r1", project: "p", ref: "refs/heads/main", trigger: "push", actor: "alice", done: true },
        { id: "r2", project: "p", ref: "refs/heads/feature", trigger: "api", actor: "bob", done: false },
        { id: "r3", project: "q", ref: "main", trigger: "push", actor: "bob", done: true },
        { id: "r4", project: "q", ref: "refs/tags/v1", trigger: "schedule", actor: "alice", done: false },
      ];
      for (const [i, run] of runs.entries()) {
        await store.recordEvents([queued(run.id, T0 + i, { trigger: run.trigger, actor: run.actor })]);
        await store.control.setRunControl(run.id, {
          project: run.project,
          ref: run.ref,
          spec: {},
          owner: "server-1",
          ownerUntil: T0 + 60_000,
        });
        if (run.done) {
          await store.recordEvents([
            { type: "run.started", at: T0 + i, runId: run.id },
            { type: "run.finished", at: T0 + i + 1, runId: run.id, status: "success", durationMs: 1 },
          ]);
        }
      }
      const ids = async (filter: Parameters<Store["listRuns"]>[0]) =>
        (await store.listRuns(filter)).map((r) => r.id);
      expect(await ids({ branch: "main" })).toEqual(["r3", "r1"]);
      expect(await ids({ branch: "feature", project: "p" })).toEqual(["r2"]);
      expect(await ids({ branch: "v1" })).toEqual([]);
      expect(await ids({ status: "success" })).toEqual(["r3", "r1"]);
      expect(await ids({ status: "queued", projects: ["q"] })).toEqual(["r4"]);
      expect(await ids({ trigger: "push", actor: "bob" })).toEqual(["r3"]);
      expect(await ids({ actor: "alice", limit: 1 })).toEqual(["r4"]);
    });

    it("gives runs queued at the same time distinct consecutive numbers", async () => {
      const ids = Array.from({ length: 8 }, (_, i) => `run-${i}`);
      await Promise.all(ids.map((id, i) => store.recordEvents([queued(id, T0 + i)])));
      const numbers = (await store.listRuns()).map((r) => r.number).sort((x, y) => x - y);
      expect(numbers).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it("reads logs by job plan order, step, attempt and seq, and filters by job and step", async () => {
      await store.recordEvents([queued("run-a", T0), queued("run-b", T0)]);
      const lines = [
        log("run-a", "deploy", 0, 1, 1, "deploying"),
        log("run-a", "build", 1, 2, 2, "compiled on retry", "stdout"),
        log("run-a", "build", 1, 1, 1, "error: flaky network", "stderr"),
        log("run-a", "test (linux, 20)", 0, 1, 1, "installed ✓ — ünïcode"),
        log("run-a", "build", 1, 2, 1, "compiling again"),
        log("run-a", "build", 0, 1, 2, ""),
        log("run-a", "build", 0, 1, 1, "cloning", "system"),
        log("run-b", "build", 0, 1, 1, "another run"),
      ];
      // Two batches, out of order: the store orders, not the writer.
      await store.appendLogs(lines.slice(0, 4));
      await store.appendLogs(lines.slice(4));

      const all = await store.readLogs({ runId: "run-a" });
      expect(all.map((l) => [l.jobKey, l.stepIndex, l.attempt, l.seq, l.text])).toEqual([
        ["build", 0, 1, 1, "cloning"],
        ["build", 0, 1, 2, ""],
        ["build", 1, 1, 1, "error: flaky network"],
        ["build", 1, 2, 1, "compiling again"],
        ["build", 1, 2, 2, "compiled on retry"],
        ["test (linux, 20)", 0, 1, 1, "installed ✓ — ünïcode"],
        ["deploy", 0, 1, 1, "deploying"],
      ]);
      expect(all[0]).toStrictEqual(lines[6]);
      expect(all[2]?.stream).toBe("stderr");

      const build = await store.readLogs({ runId: "run-a", jobKey: "build" });
      expect(build.map((l) => l.text)).toEqual([
        "cloning",
        "",
        "error: flaky network",
        "compiling again",
        "compiled on retry",
      ]);
      const compile = await store.readLogs({ runId: "run-a", jobKey: "build", stepIndex: 1 });
      expect(compile.map((l) => [l.attempt, l.seq])).toEqual([
        [1, 1],
        [2, 1],
        [2, 2],
      ]);
      expect(await store.readLogs({ runId: "run-a", jobKey: "nope" })).toEqual([]);
      expect((await store.readLogs({ runId: "run-b" })).map((l) => l.text)).toEqual(["another run"]);
    });

    it("accepts a log batch sent twice without failing or duplicating lines", async () => {
      await store.recordEvents([queued("run-a", T0)]);
      const lines = [log("run-a", "build", 0, 1, 1, "one"), log("run-a", "build", 0, 1, 2, "two")];
      await store.appendLogs(lines);
      await store.appendLogs(lines);
      expect((await store.readLogs({ runId: "run-a" })).map((l) => l.text)).toEqual(["one", "two"]);
    });

    it("tails a run's lines from any cursor, whatever chunks they were stored in", async () => {
      await store.recordEvents([queued("run-a", T0)]);
      // 3,000 lines of one step (several chunks), then lines of two streams interleaved.
      const first = Array.from({ length: 3000 }, (_, i) => log("run-a", "build", 0, 1, i + 1, `b${i + 1}`));
      const mixed = Array.from({ length: 10 }, (_, i) =>
        log("run-a", "deploy", 0, 1, i + 1, `d${i + 1}`, i % 2 === 0 ? "stdout" : "stderr"),
      );
      await store.appendLogs(first);
      await store.appendLogs(mixed);
      const texts = [...first, ...mixed].map((l) => l.text);
      for (const [cursor, limit] of [
        [0, 5],
        [1023, 3],
        [1024, 1],
        [1500, 2000],
        [2998, 4],
        [3005, 100],
        [3010, 10],
      ] as const) {
        const tail = await store.readLogsAfter("run-a", cursor, limit);
        const expected = texts.slice(cursor, cursor + limit);
        expect(tail.map((l) => l.text)).toEqual(expected);
        expect(tail.map((l) => l.runSeq)).toEqual(expected.map((_, i) => cursor + i + 1));
      }
      const deploy = await store.readLogsAfter("run-a", 3000, 10);
      expect(deploy.map((l) => l.stream)).toEqual(mixed.map((l) => l.stream));
      expect(deploy[3]).toMatchObject({
        jobKey: "deploy",
        stepIndex: 0,
        attempt: 1,
        seq: 4,
        at: mixed[3]!.at,
      });
    });

    it("stores batches larger than one statement can bind, for hundreds of jobs", async () => {
      const jobs: PlannedJobInfo[] = Array.from({ length: 400 }, (_, i) => ({
        key: `job-${String(399 - i).padStart(3, "0")}`,
        jobId: `job-${i}`,
        name: `job ${i}`,
        needs: i === 0 ? [] : [`job-${String(400 - i).padStart(3, "0")}`],
        matrix: undefined,
        steps: [0, 1, 2].map((index) => ({ index, name: `step ${index}` })),
      }));
      const events: EngineEvent[] = [
        { type: "run.queued", at: T0, run: runInfo("big"), jobs },
        { type: "run.started", at: T0 + 1, runId: "big" },
      ];
      for (const job of jobs) {
        events.push({ type: "job.started", at: T0 + 2, runId: "big", jobKey: job.key });
        for (const step of job.steps) {
          events.push(stepStarted("big", job.key, step.index, 1, T0 + 3));
          events.push(stepFinished("big", job.key, step.index, 1, T0 + 4, "success", 0));
        }
        events.push(jobFinished("big", job.key, T0 + 5, "success"));
      }
      events.push({ type: "run.finished", at: T0 + 6, runId: "big", status: "success", durationMs: 5 });
      await store.recordEvents(events.slice(0, 1));
      await store.recordEvents(events.slice(1));

      // 8 columns a line: 20 000 lines need 160 000 parameters, several statements on both dialects.
      const lines: LogLine[] = [];
      for (const job of jobs.slice(0, 50)) {
        for (let seq = 1; seq <= 400; seq++)
          lines.push(log("big", job.key, seq % 3, 1, seq, `${job.key} line ${seq}`));
      }
      await store.appendLogs(lines);

      const listed = await store.listJobs("big");
      expect(listed).toHaveLength(400);
      expect(listed.map((j) => j.key)).toEqual(jobs.map((j) => j.key));
      expect(listed.every((j) => j.status === "success")).toBe(true);
      const steps = await store.listSteps("big");
      expect(steps).toHaveLength(1200);
      expect(steps.every((s) => s.status === "success" && s.attempts.length === 1)).toBe(true);
      expect(await store.listEvents("big")).toHaveLength(events.length);

      const logs = await store.readLogs({ runId: "big" });
      expect(logs).toHaveLength(20_000);
      // Plan order: the first planned job (key job-399) comes first although its key sorts last.
      expect(logs[0]?.jobKey).toBe("job-399");
      const oneStep = await store.readLogs({ runId: "big", jobKey: "job-399", stepIndex: 1 });
      expect(oneStep.map((l) => l.seq)).toEqual(Array.from({ length: 134 }, (_, i) => 1 + 3 * i));
    });

    it("records test results per job in order, keeping flaky tests and absent fields", async () => {
      await store.recordEvents([queued("run-a", T0)]);
      const unit: TestCaseResult[] = [
        testCase("math", "adds", "passed"),
        {
          suite: "net",
          name: "retries a dropped connection",
          classname: "net.Client",
          file: "test/net.test.ts",
          status: "flaky",
          durationMs: 1534,
          message: "ECONNRESET on first attempt",
          details: "Error: ECONNRESET\n    at connect (net.ts:10:5)",
          attempts: 3,
        },
        {
          ...testCase("math", "divides by zero", "failed"),
          message: "expected Infinity",
          details: "AssertionError",
        },
      ];
      await store.recordTestResults("run-a", "test (linux, 20)", unit);
      await store.recordTestResults("run-a", "build", [testCase("lint", "no warnings", "skipped")]);
      // A second report file for the same job appends after the first.
      await store.recordTestResults("run-a", "test (linux, 20)", [testCase("io", "reads", "error")]);

      const all = await store.listTestResults("run-a");
      expect(all.map((r) => [r.jobKey, r.name])).toEqual([
        ["build", "no warnings"],
        ["test (linux, 20)", "adds"],
        ["test (linux, 20)", "retries a dropped connection"],
        ["test (linux, 20)", "divides by zero"],
        ["test (linux, 20)", "reads"],
      ]);
      const tests = await store.listTestResults("run-a", "test (linux, 20)");
      expect(tests).toHaveLength(4);
      expect(tests[0]).toStrictEqual({ ...unit[0], jobKey: "test (linux, 20)" });
      expect(tests[1]).toStrictEqual({ ...unit[1], jobKey: "test (linux, 20)" });
      expect(tests[2]).toStrictEqual({ ...unit[2], jobKey: "test (linux, 20)" });
      expect(await store.listTestResults("run-a", "deploy")).toEqual([]);
    });

    it("records artifacts per run and replaces a path recorded again", async () => {
      await store.recordEvents([queued("run-a", T0), queued("run-b", T0)]);
      await store.recordArtifacts([
        {
          runId: "run-a",
          jobKey: "test (linux, 20)",
          path: "coverage/lcov.info",
          sizeBytes: 2048,
          storedAt: "artifacts/a/1",
        },
        {
          runId: "run-a",
          jobKey: "build",
          path: "dist/app.tgz",
          sizeBytes: 5_000_000_000,
          storedAt: "artifacts/a/2",
        },
        { runId: "run-b", jobKey: "build", path: "dist/app.tgz", sizeBytes: 10, storedAt: "artifacts/b/1" },
      ]);
      await store.recordArtifacts([
        { runId: "run-a", jobKey: "build", path: "dist/app.tgz", sizeBytes: 7, storedAt: "artifacts/a/3" },
        { runId: "run-a", jobKey: "build", path: "dist/app.tgz", sizeBytes: 8, storedAt: "artifacts/a/4" },
      ]);

      expect(await store.listArtifacts("run-a")).toStrictEqual([
        { runId: "run-a", jobKey: "build", path: "dist/app.tgz", sizeBytes: 8, storedAt: "artifacts/a/4" },
        {
          runId: "run-a",
          jobKey: "test (linux, 20)",
          path: "coverage/lcov.info",
          sizeBytes: 2048,
          storedAt: "artifacts/a/1",
        },
      ]);
      expect(await store.listArtifacts("run-b")).toHaveLength(1);
      expect(await store.listArtifacts("run-c")).toEqual([]);
    });

    it("stores cache entries by key and replaces an entry saved again", async () => {
      expect(await store.getCacheEntry("sha256:missing")).toBeUndefined();
      const entry = {
        key: "sha256:deps",
        jobId: "build",
        path: "cache/sha256-deps",
        outputs: { version: "1.2.3" },
        createdAt: T0,
        // Larger than 2^31: sizes are bigint columns.
        sizeBytes: 3_221_225_472,
      };
      await store.putCacheEntry(entry);
      expect(await store.getCacheEntry("sha256:deps")).toStrictEqual(entry);

      const newer = { ...entry, path: "cache/sha256-deps-2", outputs: {}, createdAt: T0 + 1, sizeBytes: 1 };
      await store.putCacheEntry(newer);
      expect(await store.getCacheEntry("sha256:deps")).toStrictEqual(newer);
    });

    it("marks unfinished runs interrupted, leaving finished work and logs intact", async () => {
      // A finished run, a run killed mid-step, and a run that never started.
      await store.recordEvents(wholeRun("done", T0));
      await store.recordEvents([
        queued("mid", T0 + 100),
        { type: "run.started", at: T0 + 110, runId: "mid" },
        { type: "job.started", at: T0 + 120, runId: "mid", jobKey: "build" },
        stepStarted("mid", "build", 0, 1, T0 + 121),
        stepFinished("mid", "build", 0, 1, T0 + 130, "success", 0),
        stepStarted("mid", "build", 1, 1, T0 + 131),
      ]);
      await store.appendLogs([
        log("mid", "build", 0, 1, 1, "cloned"),
        log("mid", "build", 0, 1, 2, "checked out main"),
        log("mid", "build", 1, 1, 1, "compiling"),
      ]);
      await store.recordEvents([queued("never", T0 + 200)]);

      const now = T0 + 1000;
      expect((await store.markInterrupted(now)).sort()).toEqual(["mid", "never"]);

      expect(await store.getRun("mid")).toMatchObject({
        status: "interrupted",
        startedAt: T0 + 110,
        finishedAt: now,
      });
      expect(await store.getRun("never")).toMatchObject({
        status: "interrupted",
        startedAt: undefined,
        finishedAt: now,
      });
      expect(await store.getRun("done")).toMatchObject({ status: "failure", finishedAt: T0 + 90 });
      expect((await store.listJobs("done")).map((j) => j.status)).toEqual(["success", "failure", "skipped"]);

      const jobs = await store.listJobs("mid");
      expect(jobs.map((j) => [j.key, j.status, j.finishedAt])).toEqual([
        ["build", "interrupted", now],
        ["test (linux, 20)", "interrupted", now],
        ["deploy", "interrupted", now],
      ]);
      const steps = await store.listSteps("mid", "build");
      expect(steps[0]).toMatchObject({
        status: "success",
        attempts: [{ attempt: 1, status: "success", exitCode: 0, finishedAt: T0 + 130 }],
      });
      expect(steps[1]).toMatchObject({
        status: "interrupted",
        attempts: [
          { attempt: 1, status: "interrupted", exitCode: undefined, startedAt: T0 + 131, finishedAt: now },
        ],
      });
      expect(steps[1]?.attempts[0]?.reason).toMatch(/interrupted/);
      expect((await store.listSteps("mid", "deploy"))[0]).toMatchObject({
        status: "interrupted",
        attempts: [],
      });

      expect((await store.readLogs({ runId: "mid" })).map((l) => l.text)).toEqual([
        "cloned",
        "checked out main",
        "compiling",
      ]);

      // The event log tells the same story as the tables.
      const events = await store.listEvents("mid");
      expect(events.slice(0, 6).map((e) => e.type)).toEqual([
        "run.queued",
        "run.started",
        "job.started",
        "step.started",
        "step.finished",
        "step.started",
      ]);
      expect(events.at(-1)).toMatchObject({
        type: "run.finished",
        status: "interrupted",
        at: now,
        durationMs: 890,
      });
      expect(events).toContainEqual(
        expect.objectContaining({
          type: "step.finished",
          jobKey: "build",
          stepIndex: 1,
          status: "interrupted",
        }),
      );

      expect(await store.markInterrupted(now + 1)).toEqual([]);
    });

    it("marks only the runs it is given when given a list, leaving other live runs alone", async () => {
      await store.recordEvents([queued("alive", T0), queued("dead", T0 + 1)]);
      expect(await store.markInterrupted(T0 + 10, ["dead"])).toEqual(["dead"]);
      expect(await store.markInterrupted(T0 + 10, [])).toEqual([]);
      expect((await store.getRun("alive"))?.status).toBe("queued");
      expect((await store.getRun("dead"))?.status).toBe("interrupted");
    });

    it("keeps everything across close and reopen, and keeps numbering runs", async () => {
      await store.recordEvents(wholeRun("run-a", T0));
      await store.appendLogs([log("run-a", "build", 0, 1, 1, "persisted")]);
      await store.putCacheEntry({
        key: "k",
        jobId: "build",
        path: "p",
        outputs: {},
        createdAt: T0,
        sizeBytes: 1,
      });
      await store.close();
      closed = true;

      store = await reopen();
      closed = false;
      expect(await store.getRun("1")).toMatchObject({ id: "run-a", status: "failure" });
      expect((await store.readLogs({ runId: "run-a" })).map((l) => l.text)).toEqual(["persisted"]);
      expect(await store.getCacheEntry("k")).toBeDefined();
      expect((await store.listSteps("run-a", "build"))[1]?.attempts).toHaveLength(2);
      await store.recordEvents([queued("run-b", T0 + 1)]);
      expect((await store.getRun("run-b"))?.number).toBe(2);
    });
  });
}

/** A fixed clock start, well past 2^31 ms: timestamps must survive as bigints. */
const T0 = 1_700_000_000_000;

function runInfo(id: string, overrides: Partial<RunInfo> = {}): RunInfo {
  return {
    id,
    pipelineName: "ci",
    file: "slipway.yaml",
    frontEnd: "slipway",
    projectDir: "/src/app",
    workspace: "/src/app",
    commit: "0123456789abcdef0123456789abcdef01234567",
    dirty: true,
    trigger: "manual",
    actor: "ada",
    ...overrides,
  };
}

/** build, a matrix child of test that needs it, and deploy: plan order is not key order. */
const PLAN: PlannedJobInfo[] = [
  {
    key: "build",
    jobId: "build",
    name: "build",
    needs: [],
    matrix: undefined,
    steps: [
      { index: 0, name: "checkout" },
      { index: 1, name: "compile" },
    ],
  },
  {
    key: "test (linux, 20)",
    jobId: "test",
    name: "test (linux, 20)",
    needs: ["build"],
    matrix: { os: "linux", node: 20 },
    steps: [
      { index: 0, name: "install" },
      { index: 1, name: "unit tests" },
    ],
  },
  {
    key: "deploy",
    jobId: "deploy",
    name: "deploy",
    needs: ["test (linux, 20)"],
    matrix: undefined,
    steps: [{ index: 0, name: "ship" }],
  },
];

function queued(id: string, at: number, overrides: Partial<RunInfo> = {}): EngineEvent {
  return { type: "run.queued", at, run: runInfo(id, overrides), jobs: PLAN };
}

function stepStarted(
  runId: string,
  jobKey: string,
  stepIndex: number,
  attempt: number,
  at: number,
): EngineEvent {
  return { type: "step.started", at, runId, jobKey, stepIndex, attempt };
}

function stepFinished(
  runId: string,
  jobKey: string,
  stepIndex: number,
  attempt: number,
  at: number,
  status: "success" | "failure",
  exitCode: number,
  reason?: string,
): EngineEvent {
  return {
    type: "step.finished",
    at,
    runId,
    jobKey,
    stepIndex,
    attempt,
    status,
    exitCode,
    // Deliberately not at minus the start, so a store that recomputes started_at shows.
    durationMs: 5,
    cacheHit: false,
    reason,
  };
}

function jobFinished(
  runId: string,
  jobKey: string,
  at: number,
  status: "success" | "failure" | "skipped",
  extra: { reason?: string; outputs?: Record<string, string>; cacheKey?: string } = {},
): EngineEvent {
  return {
    type: "job.finished",
    at,
    runId,
    jobKey,
    status,
    durationMs: 0,
    cacheHit: false,
    cacheKey: extra.cacheKey,
    outputs: extra.outputs ?? {},
    reason: extra.reason,
  };
}

/**
 * build succeeds after retrying its compile step; the matrix child restores its install step from
 * cache and fails its tests; deploy is skipped; the run fails.
 */
function wholeRun(runId: string, t: number): EngineEvent[] {
  return [
    queued(runId, t),
    { type: "run.started", at: t + 10, runId },
    { type: "job.started", at: t + 20, runId, jobKey: "build" },
    stepStarted(runId, "build", 0, 1, t + 21),
    stepFinished(runId, "build", 0, 1, t + 30, "success", 0),
    stepStarted(runId, "build", 1, 1, t + 31),
    stepFinished(runId, "build", 1, 1, t + 40, "failure", 1, "exit code 1"),
    stepStarted(runId, "build", 1, 2, t + 41),
    stepFinished(runId, "build", 1, 2, t + 50, "success", 0),
    jobFinished(runId, "build", t + 51, "success", {
      cacheKey: "sha256:build",
      outputs: { version: "1.2.3", digest: "sha256:abc" },
    }),
    { type: "job.started", at: t + 60, runId, jobKey: "test (linux, 20)" },
    {
      type: "step.finished",
      at: t + 61,
      runId,
      jobKey: "test (linux, 20)",
      stepIndex: 0,
      attempt: 1,
      status: "success",
      exitCode: undefined,
      durationMs: 0,
      cacheHit: true,
      reason: "cache hit",
    },
    stepStarted(runId, "test (linux, 20)", 1, 1, t + 62),
    stepFinished(runId, "test (linux, 20)", 1, 1, t + 70, "failure", 2, "exit code 2"),
    jobFinished(runId, "test (linux, 20)", t + 71, "failure", { reason: "step unit tests failed" }),
    jobFinished(runId, "deploy", t + 72, "skipped", { reason: "a needed job failed" }),
    { type: "run.finished", at: t + 90, runId, status: "failure", durationMs: 80 },
  ];
}

function log(
  runId: string,
  jobKey: string,
  stepIndex: number,
  attempt: number,
  seq: number,
  text: string,
  stream: LogLine["stream"] = "stdout",
): LogLine {
  return { runId, jobKey, stepIndex, attempt, seq, at: T0 + seq, stream, text };
}

function testCase(suite: string, name: string, status: TestCaseResult["status"]): TestCaseResult {
  return {
    suite,
    name,
    classname: undefined,
    file: undefined,
    status,
    durationMs: 12,
    message: undefined,
    details: undefined,
    attempts: 1,
  };
}
