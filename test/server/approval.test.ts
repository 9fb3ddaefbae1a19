import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, eventually, gitRepo, startAgent, startServe } from "../support/slipway-server.js";
import type { AgentProcess, ServerProcess } from "../support/slipway-server.js";
import { APPROVAL_PIPELINE, APPROVAL_SUBJECT } from "../fixtures/approval-pipeline.js";

/*
 * On a server, a job with `approval` is not queued for agents until an operator approves what it
 * names; the decision is checked against the role, the subject, and audited.
 */

interface RunView {
  run: { id: string; number: number; status: string };
  jobs: { key: string; status: string; attempts: unknown[] }[];
}

describe("approvals on a server", () => {
  let server: ServerProcess;
  let agent: AgentProcess;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    server = await startServe({ runners: 0 });
    const repo = gitRepo({ "slipway.yaml": APPROVAL_PIPELINE });
    expect(
      (await api(server.url, server.adminToken, "POST", "/api/projects", { name: "infra", repo })).status,
    ).toBe(201);
    for (const role of ["developer", "operator"]) {
      const made = await api<{ token: string }>(server.url, server.adminToken, "POST", "/api/tokens", {
        name: `${role} token`,
        kind: "user",
        role,
      });
      tokens[role] = made.body.token;
    }
    const agentToken = await api<{ token: string }>(server.url, server.adminToken, "POST", "/api/tokens", {
      name: "agent",
      kind: "agent",
    });
    agent = startAgent(server.url, agentToken.body.token, { name: "approver-test" });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
  });

  it("waits unqueued until an operator approves the named subject, and audits the decision", async () => {
    const started = await api<{ runs: { id: string }[] }>(
      server.url,
      tokens.developer,
      "POST",
      "/api/projects/infra/runs",
      {},
    );
    const id = started.body.runs[0]?.id ?? "";
    const view = () => api<RunView>(server.url, tokens.developer, "GET", `/api/runs/${id}`);
    const waiting = await eventually(
      async () => {
        const got = (await view()).body;
        return got.jobs.find((j) => j.key === "apply")?.status === "waiting" ? got : undefined;
      },
      30_000,
      "apply to wait for approval",
    );
    // Not handed to an agent while it waits.
    expect(waiting.jobs.find((j) => j.key === "apply")?.attempts).toEqual([]);
    const listed = await api<{ jobKey: string; subject: string; status: string }[]>(
      server.url,
      tokens.developer,
      "GET",
      `/api/runs/${id}/approvals`,
    );
    expect(listed.body).toEqual([
      expect.objectContaining({ jobKey: "apply", subject: APPROVAL_SUBJECT, status: "pending" }),
    ]);

    const decide = (token: string | undefined, subject: string) =>
      api<{ error?: string }>(server.url, token, "POST", `/api/runs/${id}/approvals`, {
        job: "apply",
        decision: "approve",
        subject,
        comment: "reviewed the plan",
      });
    expect((await decide(tokens.developer, APPROVAL_SUBJECT)).status).toBe(403);
    const wrong = await decide(tokens.operator, "0000");
    expect(wrong.status).toBe(409);
    expect(wrong.body.error).toContain(`waits for approval of ${APPROVAL_SUBJECT}`);
    expect((await decide(tokens.operator, APPROVAL_SUBJECT)).status).toBe(200);
    expect((await decide(tokens.operator, APPROVAL_SUBJECT)).status).toBe(409);

    const done = await eventually(
      async () => {
        const got = (await view()).body;
        return got.run.status === "success" || got.run.status === "failure" ? got : undefined;
      },
      60_000,
      "the run to end",
    );
    expect(done.run.status).toBe("success");
    const logs = await api<{ text: string }[]>(server.url, tokens.developer, "GET", `/api/runs/${id}/logs`);
    const texts = logs.body.map((l) => l.text);
    expect(texts).toContain("APPLIED");
    expect(texts).toContain("approved by operator token: reviewed the plan");
    const audit = await api<
      { actor: string; action: string; target: string; details: { subject?: string } }[]
    >(server.url, server.adminToken, "GET", "/api/audit");
    const approval = audit.body.find((e) => e.action === "job.approve");
    expect(approval).toMatchObject({
      actor: "user:operator token",
      target: `${id}/apply`,
      details: { subject: APPROVAL_SUBJECT },
    });
  }, 120_000);
});
