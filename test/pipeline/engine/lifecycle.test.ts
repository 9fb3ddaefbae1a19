import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../../src/store/index.js";
import { KEPT_WORKSPACES } from "../../../src/pipeline/local-run.js";
import { exists, runPipeline, tempDir, withStore } from "./harness.js";

describe("runs in the store", () => {
  it("numbers runs and keeps each run's jobs apart", async () => {
    const dataDir = await tempDir("slipway-data-");
    const projectDir = await tempDir("slipway-project-");
    const yaml = `
jobs:
  j:
    steps: [{ run: "echo $SLIPWAY_RUN_ID" }]
`;
    const first = await runPipeline(yaml, { dataDir, projectDir });
    const second = await runPipeline(yaml, { dataDir, projectDir });
    expect(first.result.run.id).not.toBe(second.result.run.id);
    await withStore(dataDir, async (store) => {
      const runs = await store.listRuns();
      expect(runs.map((r) => [r.id, r.number]).sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
        [first.result.run.id, 1],
        [second.result.run.id, 2],
      ]);
      expect((await store.getRun("2"))?.id).toBe(second.result.run.id);
      const logs = await store.readLogs({ runId: second.result.run.id });
      expect(logs.map((l) => l.text)).toEqual([second.result.run.id]);
      const run = await store.getRun(first.result.run.id);
      expect(run).toMatchObject({ status: "success", projectDir, file: "slipway.yaml", trigger: "cli" });
      expect(run?.finishedAt).toBeGreaterThanOrEqual(run?.startedAt ?? Infinity);
    });
  });

  it("marks a dead run interrupted without touching a live one", async () => {
    const dataDir = await tempDir("slipway-data-");
    // A run whose process is gone: queued and started, no pid file.
    await withStore(dataDir, async (store) => {
      await store.recordEvents([
        {
          type: "run.queued",
          at: 1,
          run: {
            id: "dead-run",
            pipelineName: "old",
            file: "slipway.yaml",
            frontEnd: "native",
            projectDir: "/nowhere",
            workspace: "/nowhere",
            commit: undefined,
            dirty: false,
            trigger: "cli",
            actor: "t",
          },
          jobs: [],
        },
        { type: "run.started", at: 2, runId: "dead-run" },
      ]);
    });

    let check: Promise<{ live: RunRecord | undefined; dead: RunRecord | undefined }> | undefined;
    let liveId = "";
    const { result } = await runPipeline(
      `
jobs:
  j:
    steps:
      - run: |
          echo started
          sleep 0.8
`,
      {
        dataDir,
        onLog: (line) => {
          if (line.text !== "started") return;
          liveId = line.runId;
          check = (async () => {
            // Let the recorder write the live run's events first.
            await new Promise((r) => setTimeout(r, 150));
            // Opening the store is what looks for dead runs (a second `slipway` would do it).
            return withStore(dataDir, async (store) => ({
              live: await store.getRun(liveId),
              dead: await store.getRun("dead-run"),
            }));
          })();
        },
      },
    );
    expect(check).toBeDefined();
    const seen = await check;
    expect(seen?.dead?.status).toBe("interrupted");
    expect(seen?.live?.status).toBe("running");
    expect(result.status).toBe("success");
    await withStore(dataDir, async (store) => {
      expect((await store.getRun(liveId))?.status).toBe("success");
      const jobs = await store.listJobs(liveId);
      expect(jobs.map((j) => j.status)).toEqual(["success"]);
    });
  });
});

describe("workspaces", () => {
  it("deletes a successful run's workspace and keeps only the last failed ones", async () => {
    const dataDir = await tempDir("slipway-data-");
    const projectDir = await tempDir("slipway-project-");
    const ok = await runPipeline("jobs:\n  j:\n    steps: [{ run: 'true' }]\n", { dataDir, projectDir });
    expect(await exists(ok.result.run.workspace)).toBe(false);
    const failed: string[] = [];
    for (let i = 0; i < KEPT_WORKSPACES + 2; i++) {
      const run = await runPipeline("jobs:\n  j:\n    steps: [{ run: 'false' }]\n", { dataDir, projectDir });
      expect(run.result.status).toBe("failure");
      failed.push(run.result.run.workspace);
    }
    const kept = await Promise.all(failed.map((w) => exists(w)));
    expect(kept).toEqual([false, false, ...Array.from({ length: KEPT_WORKSPACES }, () => true)]);
  });
});

describe("data directory inside the project", () => {
  it("is never copied into the run's workspace", async () => {
    const projectDir = await tempDir("slipway-project-");
    const dataDir = `${projectDir}/state`;
    const run = await runPipeline("jobs:\n  j:\n    steps: [{ run: 'ls -a > listing' }]\n", {
      projectDir,
      dataDir,
      files: { "app.txt": "x" },
    });
    expect(run.result.status).toBe("success");
    const second = await runPipeline(
      "jobs:\n  j:\n    steps: [{ run: 'test ! -e state && test -e app.txt' }]\n",
      {
        projectDir,
        dataDir,
      },
    );
    expect(second.result.status).toBe("success");
  });
});
