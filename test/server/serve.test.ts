import { createHmac } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from "vitest";
import { signGeneric } from "../../src/server/webhooks/index.js";
import { cli } from "../support/cli.js";
import { api, eventually, exampleRepo, gitRepo, startAgent, startServe } from "../support/slipway-server.js";
import type { AgentProcess, ServerProcess } from "../support/slipway-server.js";

interface RunView {
  run: { id: string; status: string; trigger: string; actor: string; commit: string; project: string };
  jobs: {
    key: string;
    status: string;
    attempts: { attempt: number; status: string; agent: string | null }[];
  }[];
}

/** Reads an SSE stream to its `end` event, keeping each message and when it arrived. */
async function readStream(url: string, token: string, lastEventId?: string) {
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${token}`, ...(lastEventId ? { "last-event-id": lastEventId } : {}) },
  });
  expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
  const messages: { id: string; event: string; data: unknown; at: number }[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(
        block
          .split("\n")
          .filter((l) => !l.startsWith(":"))
          .map((l) => [l.slice(0, l.indexOf(": ")), l.slice(l.indexOf(": ") + 2)]),
      );
      if (fields.event === "end") return messages;
      messages.push({
        id: fields.id ?? "",
        event: fields.event ?? "",
        data: JSON.parse(fields.data ?? "null"),
        at: Date.now(),
      });
    }
  }
  return messages;
}

/** `slipway serve` with two `slipway agent` processes runs the example project from a signed webhook. */
describe("slipway serve with agents", () => {
  let server: ServerProcess;
  const agents: AgentProcess[] = [];
  let repo: string;
  let secret: string;

  beforeAll(async () => {
    server = await startServe({ runners: 0 });
    repo = exampleRepo();
    const added = cli(repo, [
      "project",
      "add",
      "demo",
      "--repo",
      repo,
      "--server",
      server.url,
      "--token",
      server.adminToken,
      "--json",
    ]);
    expect(added.status, added.stderr).toBe(0);
    secret = (JSON.parse(added.stdout) as { webhookSecret: string }).webhookSecret;
    const agentToken = cli(repo, [
      "token",
      "create",
      "--agent",
      "--name",
      "ci",
      "--server",
      server.url,
      "--token",
      server.adminToken,
    ]);
    expect(agentToken.status, agentToken.stderr).toBe(0);
    agents.push(startAgent(server.url, agentToken.stdout.trim(), { name: "agent-one" }));
    agents.push(startAgent(server.url, agentToken.stdout.trim(), { name: "agent-two" }));
  }, 60_000);

  beforeEach(() => {
    // A failure under load is only understood with what the processes said.
    onTestFailed(() => {
      console.error(`server stderr:\n${server.stderr()}`);
      for (const [i, agent] of agents.entries()) console.error(`agent ${i + 1} stderr:\n${agent.stderr()}`);
    });
  });

  afterAll(async () => {
    for (const agent of agents) await agent.stop();
    await server?.stop();
  });

  it(
    "runs the example on a signed webhook, streams it live, and audits who triggered it",
    { timeout: 240_000 },
    async () => {
      const body = JSON.stringify({ ref: "refs/heads/main", actor: "release-bot" });
      const unsigned = await fetch(`${server.url}/api/webhooks/generic/demo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect(unsigned.status).toBe(401);

      const { timestamp, signature } = signGeneric(secret, body, Math.floor(Date.now() / 1000));
      const deliver = () =>
        fetch(`${server.url}/api/webhooks/generic/demo`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-slipway-timestamp": timestamp,
            "x-slipway-signature": signature,
            "x-slipway-delivery": "delivery-1",
          },
          body,
        });
      const delivered = await deliver();
      expect(delivered.status).toBe(201);
      const trigger = (await delivered.json()) as { runs: { id: string; file: string }[] };
      expect(trigger.runs.map((r) => r.file)).toEqual(["slipway.yaml"]);
      const runId = trigger.runs[0]?.id ?? "";

      const [events, logs] = await Promise.all([
        readStream(`${server.url}/api/runs/${runId}/events`, server.adminToken),
        readStream(`${server.url}/api/runs/${runId}/logs/stream`, server.adminToken),
      ]);
      const finished = events.find((m) => (m.data as { type: string }).type === "run.finished");
      expect((finished?.data as { status: string }).status).toBe("success");
      // Live: log lines arrived while the run was still going, not all at its end.
      expect(logs.length).toBeGreaterThan(10);
      expect(logs[0]?.at).toBeLessThan(finished?.at ?? 0);
      expect(logs.map((m) => (m.data as { text: string }).text).join("\n")).toMatch(/pass \d+/);
      // Event ids count up from 1 with no gap, so a client can resume from any of them.
      expect(events.map((m) => Number(m.id))).toEqual(events.map((_, i) => i + 1));

      const resumed = await readStream(`${server.url}/api/runs/${runId}/events`, server.adminToken, "3");
      expect(resumed[0]?.id).toBe("4");
      expect(resumed.length).toBe(events.length - 3);

      const view = (await api<RunView>(server.url, server.adminToken, "GET", `/api/runs/${runId}`)).body;
      expect(view.run).toMatchObject({
        status: "success",
        trigger: "push",
        actor: "release-bot",
        project: "demo",
      });
      expect(view.jobs.map((j) => [j.key, j.status])).toEqual([
        ["build", "success"],
        ["test (1)", "success"],
        ["test (2)", "success"],
        ["package", "success"],
        ["smoke", "success"],
      ]);
      // Both agents took jobs (the two test shards run at once), each job once.
      const ran = view.jobs.flatMap((j) => j.attempts);
      expect(ran.every((a) => a.status === "finished" && a.attempt === 1)).toBe(true);
      expect(new Set(ran.map((a) => a.agent))).toEqual(new Set(["agent-one", "agent-two"]));

      const tests = (
        await api<{ jobKey: string; status: string }[]>(
          server.url,
          server.adminToken,
          "GET",
          `/api/runs/${runId}/tests`,
        )
      ).body;
      expect(new Set(tests.map((t) => t.jobKey))).toEqual(new Set(["test (1)", "test (2)"]));
      const artifacts = (
        await api<{ path: string }[]>(server.url, server.adminToken, "GET", `/api/runs/${runId}/artifacts`)
      ).body;
      expect(artifacts.map((a) => a.path)).toContain("out/node-service-1.4.0.tgz");
      const tarball = await fetch(
        `${server.url}/api/runs/${runId}/artifacts/file?job=package&path=${encodeURIComponent("out/node-service-1.4.0.tgz")}`,
        { headers: { authorization: `Bearer ${server.adminToken}` } },
      );
      expect(tarball.status).toBe(200);
      const bytes = Buffer.from(await tarball.arrayBuffer());
      expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
      expect(bytes.length).toBe(
        (artifacts as { path: string; sizeBytes?: number }[]).find((a) => a.path.endsWith(".tgz"))?.sizeBytes,
      );
      const escape = await fetch(
        `${server.url}/api/runs/${runId}/artifacts/file?job=package&path=../../secret.key`,
        {
          headers: { authorization: `Bearer ${server.adminToken}` },
        },
      );
      expect(escape.status).toBe(400);

      // A redelivery of the same webhook starts nothing.
      const again = await deliver();
      expect(((await again.json()) as { ignored?: string }).ignored).toMatch(/already received/);

      const audit = cli(repo, ["audit", "--server", server.url, "--token", server.adminToken, "--json"]);
      expect(audit.status, audit.stderr).toBe(0);
      const entries = JSON.parse(audit.stdout) as {
        actor: string;
        action: string;
        source: string;
        details: { runs?: string[] };
      }[];
      const triggered = entries.find((e) => e.action === "run.trigger");
      expect(triggered?.actor).toBe("user:generic-webhook:release-bot");
      expect(triggered?.details.runs).toEqual([runId]);
      expect(triggered?.source).toBe("127.0.0.1");
      expect(entries.some((e) => e.action === "project.create")).toBe(true);
      expect(entries.some((e) => e.action === "token.create")).toBe(true);
    },
  );

  it(
    "cancels a running job on its agent within a heartbeat, and the run ends cancelled",
    { timeout: 120_000 },
    async () => {
      const slow = gitRepo({
        "slipway.yaml": "name: slow\njobs:\n  wait:\n    steps:\n      - run: echo waiting; sleep 120\n",
      });
      expect(
        (await api(server.url, server.adminToken, "POST", "/api/projects", { name: "slow", repo: slow }))
          .status,
      ).toBe(201);
      const started = await api<{ runs: { id: string }[] }>(
        server.url,
        server.adminToken,
        "POST",
        "/api/projects/slow/runs",
        {},
      );
      const runId = started.body.runs[0]?.id ?? "";
      await eventually(
        async () => {
          const logs = await api<{ text: string }[]>(
            server.url,
            server.adminToken,
            "GET",
            `/api/runs/${runId}/logs`,
          );
          return logs.body.some((l) => l.text === "waiting") ? true : undefined;
        },
        60_000,
        "the job to start",
      );
      const asked = Date.now();
      expect((await api(server.url, server.adminToken, "POST", `/api/runs/${runId}/cancel`)).status).toBe(
        200,
      );
      const view = await eventually(
        async () => {
          const r = await api<RunView>(server.url, server.adminToken, "GET", `/api/runs/${runId}`);
          return r.body.run.status === "cancelled" ? r.body : undefined;
        },
        60_000,
        "the run to be cancelled",
      );
      // Heartbeats come every quarter of the 60 s lease: the agent stops the job well before the sleep ends.
      expect(Date.now() - asked).toBeLessThan(30_000);
      expect(view.jobs[0]?.status).toBe("cancelled");
      expect(view.jobs[0]?.attempts.map((a) => a.status)).toEqual(["finished"]);
    },
  );

  it(
    "verifies GitHub signatures and follows a run from the CLI with the run's exit code",
    { timeout: 240_000 },
    async () => {
      const payload = JSON.stringify({
        ref: "refs/heads/main",
        before: "0".repeat(40),
        after: "1".repeat(40),
        repository: { full_name: "acme/demo", clone_url: repo },
        sender: { login: "octocat" },
        pusher: { name: "octocat" },
        head_commit: null,
      });
      const forged = await fetch(`${server.url}/api/webhooks/github?project=demo`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "push",
          "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
        },
        body: payload,
      });
      expect(forged.status).toBe(401);

      const viewer = cli(repo, [
        "token",
        "create",
        "--role",
        "viewer",
        "--server",
        server.url,
        "--token",
        server.adminToken,
      ]);
      const denied = cli(repo, [
        "run",
        "--server",
        server.url,
        "--token",
        viewer.stdout.trim(),
        "--project",
        "demo",
      ]);
      expect(denied.status).not.toBe(0);
      expect(denied.stderr).toMatch(/403.*needs developer/);

      const followed = cli(repo, [
        "run",
        "--server",
        server.url,
        "--token",
        server.adminToken,
        "--project",
        "demo",
        "build",
      ]);
      expect(followed.status, followed.stderr).toBe(0);
      expect(followed.stdout).toMatch(/build \| .*added \d+ packages|✓ build success/);
      expect(followed.stdout).toMatch(/run success/);

      const signature = createHmac("sha256", secret).update(payload).digest("hex");
      const signed = await fetch(`${server.url}/api/webhooks/github?project=demo`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "push",
          "x-github-delivery": "gh-1",
          "x-hub-signature-256": `sha256=${signature}`,
        },
        body: payload,
      });
      // The payload names a commit the repository does not have: refused with the reason.
      expect(signed.status).toBeGreaterThanOrEqual(400);
      expect(((await signed.json()) as { error: string }).error).toMatch(/1111111/);
    },
  );
});
