import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failedJobIds } from "../../src/server/api.js";
import { startServer } from "../../src/server/index.js";
import type { RunningServer } from "../../src/server/index.js";
import type { JobRecord } from "../../src/store/index.js";
import { createLogger } from "../../src/telemetry/index.js";
import { api, eventually, gitRepo } from "../support/slipway-server.js";

/*
 * POST /api/runs/:id/rerun: a new run of the same commit, pipeline file and inputs, with every
 * job or only the failed ones and the jobs around them.
 */

interface RunView {
  run: { id: string; status: string; commit: string; actor: string };
  jobs: { key: string; status: string }[];
}

let server: RunningServer;
let admin: string;
let developer: string;
let repo: string;
/** The test job passes once this file exists: a fix that needs no new commit (a flaky test). */
let fixed: string;

function pipeline(marker: string): string {
  return `name: flaky
on:
  manual:
    inputs:
      target: { type: string, required: true }
jobs:
  build:
    steps:
      - run: echo "building for \${{ inputs.target }}"
  lint:
    steps:
      - run: echo lint
  test:
    needs: build
    matrix:
      shard: [1, 2]
    steps:
      - run: test "\${{ matrix.shard }}" = 1 || test -f '${marker}' || { echo "shard \${{ matrix.shard }} failed" >&2; exit 1; }
  deploy:
    needs: test
    steps:
      - run: echo "deploying to \${{ inputs.target }}"
`;
}

function git(dir: string, ...args: string[]): void {
  execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@localhost", ...args], { cwd: dir });
}

async function finished(id: string): Promise<RunView> {
  return eventually(
    async () => {
      const view = await api<RunView>(server.url, admin, "GET", `/api/runs/${id}`);
      const status = view.body.run.status;
      return status !== "queued" && status !== "running" ? view.body : undefined;
    },
    60_000,
    `run ${id} to finish`,
  );
}

async function rerun(id: string, failedOnly: boolean, token = developer) {
  return api<{ runs: { id: string }[]; error?: string; details?: { hint?: string } }>(
    server.url,
    token,
    "POST",
    `/api/runs/${id}/rerun`,
    { failedOnly },
  );
}

beforeAll(async () => {
  server = await startServer({
    dataDir: mkdtempSync(path.join(os.tmpdir(), "slipway-rerun-")),
    port: 0,
    runners: 2,
    version: "test",
    logger: createLogger({ level: "silent" }),
  });
  admin = server.adminToken ?? "";
  fixed = path.join(mkdtempSync(path.join(os.tmpdir(), "slipway-rerun-marker-")), "fixed");
  repo = gitRepo({ "slipway.yaml": pipeline(fixed) });
  expect((await api(server.url, admin, "POST", "/api/projects", { name: "flaky", repo })).status).toBe(201);
  const created = await api<{ token: string }>(server.url, admin, "POST", "/api/tokens", {
    name: "dev",
    role: "developer",
  });
  developer = created.body.token;
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe("re-running a run", () => {
  it("re-runs the failed jobs and those around them, on the run's commit, with its inputs", async () => {
    const started = await api<{ sha: string; runs: { id: string }[] }>(
      server.url,
      admin,
      "POST",
      "/api/projects/flaky/runs",
      { inputs: { target: "staging" } },
    );
    expect(started.status).toBe(201);
    const first = await finished(started.body.runs[0]?.id ?? "");
    expect(first.run.status).toBe("failure");
    expect(Object.fromEntries(first.jobs.map((j) => [j.key, j.status]))).toEqual({
      build: "success",
      lint: "success",
      "test (1)": "success",
      "test (2)": "failure",
      deploy: "skipped",
    });

    // The branch moves on; the re-run stays on the commit it re-runs.
    writeFileSync(path.join(repo, "NEWS"), "later\n");
    git(repo, "add", "NEWS");
    git(repo, "commit", "-qm", "later");
    writeFileSync(fixed, "");

    const again = await rerun(first.run.id, true);
    expect(again.status).toBe(201);
    const second = await finished(again.body.runs[0]?.id ?? "");
    expect(second.run.status).toBe("success");
    expect(second.run.commit).toBe(first.run.commit);
    expect(second.run.actor).toBe("dev");
    // test is one job (both shards run again), build comes with it, deploy needs it; lint stays out.
    expect(second.jobs.map((j) => j.key).sort()).toEqual(["build", "deploy", "test (1)", "test (2)"]);
    const logs = await api<{ text: string }[]>(
      server.url,
      admin,
      "GET",
      `/api/runs/${second.run.id}/logs?job=deploy`,
    );
    expect(logs.body.map((l) => l.text)).toContain("deploying to staging");

    const audit = await api<
      { action: string; actor: string; target: string; details: Record<string, unknown> }[]
    >(server.url, admin, "GET", "/api/audit");
    const entry = audit.body.find((e) => e.action === "run.rerun");
    expect(entry).toMatchObject({
      actor: "user:dev",
      target: first.run.id,
      details: { failedOnly: true, jobs: ["test", "deploy"], runs: [second.run.id] },
    });

    const all = await rerun(first.run.id, false);
    expect(all.status).toBe(201);
    const third = await finished(all.body.runs[0]?.id ?? "");
    expect(third.jobs.map((j) => j.key).sort()).toEqual(["build", "deploy", "lint", "test (1)", "test (2)"]);
    expect(third.run.commit).toBe(first.run.commit);

    // Nothing failed in a green run.
    const none = await rerun(third.run.id, true);
    expect(none.status).toBe(409);
    expect(none.body.error).toMatch(/has no failed jobs/);
  }, 120_000);

  it("refuses a run that has not finished, and a viewer", async () => {
    const release = path.join(mkdtempSync(path.join(os.tmpdir(), "slipway-rerun-hold-")), "release");
    const hold = gitRepo({
      "slipway.yaml": `name: hold\njobs:\n  wait:\n    steps:\n      - run: while [ ! -f '${release}' ]; do sleep 0.1; done\n`,
    });
    expect((await api(server.url, admin, "POST", "/api/projects", { name: "hold", repo: hold })).status).toBe(
      201,
    );
    const started = await api<{ runs: { id: string }[] }>(
      server.url,
      admin,
      "POST",
      "/api/projects/hold/runs",
      {},
    );
    const id = started.body.runs[0]?.id ?? "";
    const early = await rerun(id, false);
    expect(early.status).toBe(409);
    expect(early.body.error).toMatch(/is still (queued|running)/);
    expect(early.body.details?.hint).toBe("wait for it to finish, or cancel it first");
    writeFileSync(release, "");
    expect((await finished(id)).run.status).toBe("success");
    const viewer = await api<{ token: string }>(server.url, admin, "POST", "/api/tokens", {
      name: "viewer",
      role: "viewer",
    });
    const refused = await rerun(id, false, viewer.body.token);
    expect(refused.status).toBe(403);
    expect((await rerun(id, false)).status).toBe(201);
  }, 60_000);
});

describe("failedJobIds", () => {
  const job = (key: string, jobId: string, status: JobRecord["status"], needs: string[] = []): JobRecord => ({
    runId: "r",
    key,
    jobId,
    name: jobId,
    needs,
    matrix: undefined,
    status,
    startedAt: undefined,
    finishedAt: undefined,
    cacheHit: false,
    cacheKey: undefined,
    outputs: {},
    reason: undefined,
  });

  it("takes failed, timed-out, cancelled and interrupted jobs and everything downstream of them", () => {
    const jobs = [
      job("a", "a", "success"),
      job("b (1)", "b", "success", ["a"]),
      job("b (2)", "b", "timed_out", ["a"]),
      job("c", "c", "skipped", ["b (1)", "b (2)"]),
      job("d", "d", "skipped", ["c"]),
      job("e", "e", "success"),
      job("f", "f", "cancelled"),
    ];
    expect(failedJobIds(jobs)).toEqual(["b", "c", "d", "f"]);
    expect(failedJobIds(jobs.filter((j) => j.status === "success"))).toEqual([]);
  });
});
