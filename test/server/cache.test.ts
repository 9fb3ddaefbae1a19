import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, eventually, gitRepo, startAgent, startServe } from "../support/slipway-server.js";
import type { AgentProcess, ServerProcess } from "../support/slipway-server.js";

/*
 * A job cached by one agent is a hit on another agent that never ran it: the entry went to the
 * server's cache of the project. Another project with the same pipeline does not see it.
 */
const PIPELINE = `name: cached
jobs:
  build:
    cache:
      inputs: [input.txt]
      outputs: [out]
    artifacts: [out/**]
    steps:
      - run: mkdir -p out/deep && echo "built $(date +%s%N) $RANDOM" > out/stamp && ln -s stamp out/link && echo BUILT
`;

interface RunView {
  run: { status: string };
  jobs: { key: string; status: string; cacheHit: boolean }[];
}

describe("the server's shared cache", () => {
  let server: ServerProcess;
  let agentToken: string;
  const agents: AgentProcess[] = [];

  beforeAll(async () => {
    server = await startServe({ runners: 0 });
    const repo = gitRepo({ "slipway.yaml": PIPELINE, "input.txt": "v1\n" });
    for (const name of ["first", "second"]) {
      const added = await api(server.url, server.adminToken, "POST", "/api/projects", { name, repo });
      expect(added.status).toBe(201);
    }
    const token = await api<{ token: string }>(server.url, server.adminToken, "POST", "/api/tokens", {
      name: "agents",
      kind: "agent",
    });
    agentToken = token.body.token;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await server?.stop();
  });

  /** Runs the project on a new agent (its own empty data directory), then stops the agent. */
  async function runOnNewAgent(project: string, name: string) {
    const agent = startAgent(server.url, agentToken, { name });
    agents.push(agent);
    try {
      const started = await api<{ runs: { id: string }[] }>(
        server.url,
        server.adminToken,
        "POST",
        `/api/projects/${project}/runs`,
        {},
      );
      const id = started.body.runs[0]?.id ?? "";
      const view = await eventually(
        async () => {
          const got = await api<RunView>(server.url, server.adminToken, "GET", `/api/runs/${id}`);
          (await import("node:fs")).appendFileSync(
            "/tmp/dbg.txt",
            JSON.stringify(got.body).slice(0, 900) + "\n" + agent.stderr().slice(-800) + "\n",
          );
          return got.body.run.status === "success" || got.body.run.status === "failure"
            ? got.body
            : undefined;
        },
        60_000,
        `run of ${project} to end`,
      );
      const logs = await api<{ text: string }[]>(
        server.url,
        server.adminToken,
        "GET",
        `/api/runs/${id}/logs`,
      );
      const stamp = await fetch(`${server.url}/api/runs/${id}/artifacts/file?job=build&path=out/stamp`, {
        headers: { authorization: `Bearer ${server.adminToken}` },
      });
      expect(stamp.status, agent.stderr()).toBe(200);
      return { view, logs: logs.body.map((l) => l.text), stamp: await stamp.text() };
    } finally {
      await agent.stop();
    }
  }

  it("restores on one agent what another agent built, within the same project only", async () => {
    const built = await runOnNewAgent("first", "builder");
    expect(built.view.run.status).toBe("success");
    expect(built.view.jobs[0]).toMatchObject({ key: "build", cacheHit: false });
    expect(built.logs).toContain("BUILT");
    const entries = path.join(server.dataDir, "shared-cache", "first");
    expect(existsSync(entries) ? readdirSync(entries) : []).toHaveLength(1);

    const reused = await runOnNewAgent("first", "reuser");
    expect(reused.view.run.status).toBe("success");
    expect(reused.view.jobs[0]).toMatchObject({ key: "build", cacheHit: true });
    expect(reused.logs).not.toContain("BUILT");
    expect(reused.logs.some((l) => l.startsWith("cache hit"))).toBe(true);
    // The artifact of the second run is the file the first run built, restored from the archive.
    expect(reused.stamp).toBe(built.stamp);

    const other = await runOnNewAgent("second", "other");
    expect(other.view.jobs[0]).toMatchObject({ key: "build", cacheHit: false });
    expect(other.logs).toContain("BUILT");
    expect(other.stamp).not.toBe(built.stamp);
  }, 180_000);
});
