import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freshDatabase } from "../support/pg-database.js";
import { api, eventually, gitRepo, startAgent, startServe } from "../support/slipway-server.js";
import type { AgentProcess, ServerProcess } from "../support/slipway-server.js";

/*
 * The control plane under real failures: the built CLI's `serve` and `agent` processes, killed
 * with SIGKILL (no shutdown code runs), while a run is in flight.
 */

interface AttemptView {
  attempt: number;
  status: string;
  agent: string | null;
  reason: string | null;
}

interface StepView {
  index: number;
  status: string;
  attempts: { attempt: number; status: string; reason?: string }[];
}

interface RunView {
  run: { id: string; status: string };
  jobs: { key: string; status: string; steps: StepView[]; attempts: AttemptView[] }[];
}

interface LogView {
  jobKey: string;
  stepIndex: number;
  attempt: number;
  seq: number;
  stream: string;
  text: string;
}

/** Every process a test started, stopped after it whatever happened. */
const started: (ServerProcess | AgentProcess)[] = [];
/** Files whose existence lets a job's orphaned first attempt end (its agent was killed). */
const releases: string[] = [];

afterEach(async () => {
  for (const file of releases.splice(0)) writeFileSync(file, "");
  await Promise.all(started.splice(0).map((p) => p.stop()));
});

async function serve(options: Parameters<typeof startServe>[0]): Promise<ServerProcess> {
  const server = await startServe(options);
  started.push(server);
  return server;
}

function agent(url: string, token: string, name: string): AgentProcess {
  const child = startAgent(url, token, { name });
  started.push(child);
  return child;
}

function scratch(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `slipway-failures-${prefix}-`));
}

async function agentToken(server: ServerProcess, adminToken = server.adminToken): Promise<string> {
  const created = await api<{ token: string }>(server.url, adminToken, "POST", "/api/tokens", {
    name: "agents",
    kind: "agent",
  });
  expect(created.status).toBe(201);
  return created.body.token;
}

/** Registers a repository holding `pipeline` and starts a run of it; returns the run id. */
async function startRun(
  server: ServerProcess,
  adminToken: string,
  name: string,
  pipeline: string,
): Promise<string> {
  const repo = gitRepo({ "slipway.yaml": pipeline });
  const project = await api(server.url, adminToken, "POST", "/api/projects", { name, repo });
  expect(project.status).toBe(201);
  const triggered = await api<{ runs: { id: string }[] }>(
    server.url,
    adminToken,
    "POST",
    `/api/projects/${name}/runs`,
    {},
  );
  expect(triggered.status).toBe(201);
  const run = triggered.body.runs[0];
  if (!run) throw new Error(`no run started: ${JSON.stringify(triggered.body)}`);
  return run.id;
}

async function runView(server: ServerProcess, token: string, id: string): Promise<RunView> {
  const response = await api<RunView>(server.url, token, "GET", `/api/runs/${id}`);
  expect(response.status).toBe(200);
  return response.body;
}

async function logs(server: ServerProcess, token: string, id: string): Promise<LogView[]> {
  const response = await api<LogView[]>(server.url, token, "GET", `/api/runs/${id}/logs`);
  expect(response.status).toBe(200);
  return response.body;
}

/** The run once it has ended; the failure message carries the processes' stderr. */
async function ended(
  server: ServerProcess,
  token: string,
  id: string,
  timeoutMs: number,
  processes: (ServerProcess | AgentProcess)[],
): Promise<RunView> {
  try {
    return await eventually(
      async () => {
        const view = await runView(server, token, id);
        return view.run.status === "queued" || view.run.status === "running" ? undefined : view;
      },
      timeoutMs,
      `run ${id} to end`,
    );
  } catch (error) {
    const state = JSON.stringify(await runView(server, token, id).catch(() => undefined), null, 1);
    const stderr = processes.map((p, i) => `--- process ${i}:\n${p.stderr()}`).join("\n");
    throw new Error(`${(error as Error).message}\n${state}\n${stderr}`, { cause: error });
  }
}

function job(view: RunView, key: string): RunView["jobs"][number] {
  const found = view.jobs.find((j) => j.key === key);
  if (!found) throw new Error(`no job ${key} in ${JSON.stringify(view.jobs.map((j) => j.key))}`);
  return found;
}

function identity(line: LogView): string {
  return `${line.jobKey}/${line.stepIndex}/${line.attempt}/${line.seq}/${line.text}`;
}

describe("the control plane under failures", () => {
  it(
    "re-runs the job of an agent killed mid-job as a second attempt, keeping the first attempt's history",
    { timeout: 150_000 },
    async () => {
      const dir = scratch("agent-kill");
      const mark = path.join(dir, "first-attempt-ran");
      // Lets the first attempt's orphaned shell (its agent is killed, not the shell) end early.
      const release = path.join(dir, "release");
      releases.push(release);
      const pipeline = [
        "name: lost-agent",
        "jobs:",
        "  work:",
        "    steps:",
        "      - run: |",
        `          if [ -e ${mark} ]; then`,
        "            echo second",
        "          else",
        `            touch ${mark}`,
        "            echo first",
        `            for i in $(seq 1 300); do [ -e ${release} ] && exit 1; sleep 0.2; done`,
        "          fi",
        "",
      ].join("\n");
      const server = await serve({ runners: 0, leaseSeconds: 3 });
      const token = await agentToken(server);
      const agentA = agent(server.url, token, "agent-a");
      const id = await startRun(server, server.adminToken, "lost-agent", pipeline);

      await eventually(
        async () =>
          (await logs(server, server.adminToken, id)).some((l) => l.text === "first") ? true : undefined,
        60_000,
        "the first attempt to start",
      );
      agentA.child.kill("SIGKILL");
      const agentB = agent(server.url, token, "agent-b");

      const view = await ended(server, server.adminToken, id, 90_000, [server, agentA, agentB]);
      expect(view.run.status).toBe("success");
      const work = job(view, "work");
      expect(work.status).toBe("success");
      expect(work.attempts.map((a) => [a.attempt, a.status, a.agent])).toEqual([
        [1, "lost", "agent-a"],
        [2, "finished", "agent-b"],
      ]);
      expect(work.attempts[0]?.reason).toMatch(/lease/);

      // The script step holds both job attempts' step attempts: the lost one closed, the new one after it.
      const step = work.steps.find((s) => s.attempts.some((a) => a.status === "interrupted"));
      if (!step) throw new Error(`no interrupted step attempt in ${JSON.stringify(work.steps)}`);
      const interrupted = step.attempts.find((a) => a.status === "interrupted");
      const succeeded = step.attempts.find((a) => a.status === "success");
      expect(interrupted?.reason).toMatch(/lease/);
      expect(succeeded).toBeDefined();
      expect(succeeded?.attempt).toBeGreaterThan(interrupted?.attempt ?? Infinity);
      expect(step.status).toBe("success");

      const lines = (await logs(server, server.adminToken, id)).filter((l) => l.jobKey === "work");
      const first = lines.filter((l) => l.text === "first");
      const second = lines.filter((l) => l.text === "second");
      expect(first).toHaveLength(1);
      expect(second).toHaveLength(1);
      expect(first[0]?.attempt).toBe(interrupted?.attempt);
      expect(second[0]?.attempt).toBe(succeeded?.attempt);
      expect(
        lines.some(
          (l) => l.attempt === interrupted?.attempt && l.stream === "system" && /lease/.test(l.text),
        ),
      ).toBe(true);
    },
  );

  it(
    "finishes a run whose server was killed mid-run once a new server starts on the same data",
    { timeout: 150_000 },
    async () => {
      // Job b runs until the server is dead, then ends while there is no server to report to.
      const go = path.join(scratch("server-kill"), "go");
      releases.push(go);
      const pipeline = [
        "name: server-restart",
        "jobs:",
        "  a:",
        "    steps:",
        "      - run: for i in 1 2 3 4 5; do echo a-line-$i; done",
        "  b:",
        "    needs: a",
        "    steps:",
        "      - run: |",
        "          echo b-started",
        `          for i in $(seq 1 600); do [ -e ${go} ] && break; sleep 0.1; done`,
        "          echo b-done",
        "  c:",
        "    needs: b",
        "    steps:",
        "      - run: echo c-ran",
        "",
      ].join("\n");
      const first = await serve({ runners: 0 });
      const token = await agentToken(first);
      const admin = first.adminToken;
      const agents = [agent(first.url, token, "agent-1"), agent(first.url, token, "agent-2")];
      const id = await startRun(first, admin, "server-restart", pipeline);

      const before = await eventually(
        async () => {
          const lines = await logs(first, admin, id);
          return lines.some((l) => l.text === "b-started") ? lines : undefined;
        },
        60_000,
        "job b to start",
      );
      first.child.kill("SIGKILL");
      writeFileSync(go, "");
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const second = await serve({ dataDir: first.dataDir, port: Number(new URL(first.url).port) });
      expect(second.url).toBe(first.url);

      const view = await ended(second, admin, id, 90_000, [first, second, ...agents]);
      expect(view.run.status).toBe("success");
      for (const key of ["a", "b", "c"]) {
        const ran = job(view, key);
        expect(ran.status, key).toBe("success");
        expect(
          ran.attempts.map((a) => [a.attempt, a.status]),
          key,
        ).toEqual([[1, "finished"]]);
      }

      const after = await logs(second, admin, id);
      const kept = new Set(after.map(identity));
      expect(before.map(identity).filter((line) => !kept.has(line))).toEqual([]);
      const texts = after.map((l) => l.text);
      for (const line of [
        "a-line-1",
        "a-line-2",
        "a-line-3",
        "a-line-4",
        "a-line-5",
        "b-started",
        "b-done",
        "c-ran",
      ]) {
        expect(
          texts.filter((t) => t === line),
          line,
        ).toHaveLength(1);
      }
    },
  );

  it(
    "runs every job exactly once with two servers sharing PostgreSQL and three agents",
    { timeout: 150_000 },
    async () => {
      const database = await freshDatabase("failures");
      const dir = scratch("two-servers");
      const ran = path.join(dir, "ran.txt");
      const keys = Array.from({ length: 30 }, (_, i) => `j${String(i + 1).padStart(2, "0")}`);
      const pipeline = [
        "name: shared",
        "jobs:",
        ...keys.flatMap((key) => [
          `  ${key}:`,
          "    steps:",
          `      - run: echo $SLIPWAY_JOB >> ${ran}; sleep 0.2`,
        ]),
        "",
      ].join("\n");
      const one = await serve({ runners: 0, database });
      const two = await serve({ runners: 0, database });
      // The tokens live in the shared database: the first server's admin token works on both.
      expect(two.adminToken).toBe("");
      const admin = one.adminToken;
      const token = await agentToken(two, admin);
      const agents = [
        agent(one.url, token, "pg-1"),
        agent(one.url, token, "pg-2"),
        agent(two.url, token, "pg-3"),
      ];
      const id = await startRun(two, admin, "shared", pipeline);

      const view = await ended(two, admin, id, 110_000, [one, two, ...agents]);
      expect(view.run.status).toBe("success");
      expect(view.jobs.map((j) => j.key).sort()).toEqual(keys);
      for (const ranJob of view.jobs) {
        expect(ranJob.status, ranJob.key).toBe("success");
        expect(
          ranJob.attempts.map((a) => [a.attempt, a.status]),
          ranJob.key,
        ).toEqual([[1, "finished"]]);
      }
      expect(existsSync(ran)).toBe(true);
      expect(readFileSync(ran, "utf8").trim().split("\n").sort()).toEqual(keys);
      expect(await runView(one, admin, id)).toEqual(await runView(two, admin, id));
    },
  );
});
