import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, eventually, gitRepo, startServe } from "../support/slipway-server.js";
import type { ServerProcess } from "../support/slipway-server.js";

/*
 * The agent protocol spoken by hand: a finish that asks for the next job gets it in the same
 * answer, leased to the agent; one that does not ask, or finds nothing queued, gets none.
 */
describe("the agent protocol", () => {
  let server: ServerProcess;
  let agentToken: string;

  beforeAll(async () => {
    server = await startServe({ runners: 0 });
    const repo = gitRepo({
      "slipway.yaml":
        'name: two\njobs:\n  a:\n    steps:\n      - run: "true"\n  b:\n    steps:\n      - run: "true"\n',
    });
    expect(
      (await api(server.url, server.adminToken, "POST", "/api/projects", { name: "two", repo })).status,
    ).toBe(201);
    const made = await api<{ token: string }>(server.url, server.adminToken, "POST", "/api/tokens", {
      name: "by hand",
      kind: "agent",
    });
    agentToken = made.body.token;
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("hands over the next job with a finished one's answer", async () => {
    const started = await api<{ runs: { id: string }[] }>(
      server.url,
      server.adminToken,
      "POST",
      "/api/projects/two/runs",
      {},
    );
    const runId = started.body.runs[0]?.id ?? "";
    const me = { agent: "hand", name: "hand", labels: [] };
    const first = await api<{ leaseId: string; jobKey: string }>(
      server.url,
      agentToken,
      "POST",
      "/api/agent/lease",
      {
        ...me,
        waitMs: 5_000,
      },
    );
    expect(first.status).toBe(200);
    const result = (key: string) => ({
      key,
      status: "success",
      outputs: {},
      resultHash: key,
      cacheHit: false,
      artifacts: [],
    });
    const finished = await api<{
      accepted: boolean;
      next?: { leaseId: string; jobKey: string; run: { id: string } };
    }>(server.url, agentToken, "POST", `/api/agent/leases/${first.body.leaseId}/finish`, {
      result: result(first.body.jobKey),
      next: me,
    });
    expect(finished.status).toBe(200);
    expect(finished.body.accepted).toBe(true);
    const next = finished.body.next;
    expect(next?.run.id).toBe(runId);
    expect(next?.jobKey).toBe(first.body.jobKey === "a" ? "b" : "a");
    // The handed-over lease is a real one: it can be finished, and nothing is left to hand over.
    const last = await api<{ accepted: boolean; next?: unknown }>(
      server.url,
      agentToken,
      "POST",
      `/api/agent/leases/${next?.leaseId}/finish`,
      { result: result(next?.jobKey ?? ""), next: me },
    );
    expect(last.body).toEqual({ accepted: true });
    const run = await eventually(
      async () => {
        const got = await api<{ run: { status: string }; jobs: { attempts: { agent: string }[] }[] }>(
          server.url,
          server.adminToken,
          "GET",
          `/api/runs/${runId}`,
        );
        return got.body.run.status === "success" ? got.body : undefined;
      },
      30_000,
      "the run to succeed",
    );
    expect(run.jobs.map((j) => j.attempts.map((a) => a.agent))).toEqual([["hand"], ["hand"]]);
  }, 60_000);
});
