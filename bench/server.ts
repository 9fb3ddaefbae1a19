import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import type { LogLine } from "../src/pipeline/events.js";
import { toChunks } from "../src/pipeline/log-chunks.js";
import type { RunningServer } from "../src/server/index.js";
import { startPostgres } from "../test/support/postgres.js";
import { gitRepo, startAgent } from "../test/support/slipway-server.js";
import type { AgentProcess } from "../test/support/slipway-server.js";
import { printTable, report, round, SLIPWAY, startBenchServer, timeCommand } from "./util.js";

const JOBS = 2_000;
const AGENTS = 4;
const LOG_BYTES_PER_JOB = 25_000_000;
const LINE = "0".repeat(100);
/*
 * A run that has not ended by then is cancelled and its rate taken from the jobs finished so far
 * (reported with `complete: false`), so a slow server still gives a figure in bounded time.
 */
const BUDGET_MS = Number(process.env.SLIPWAY_BENCH_BUDGET_S ?? 90) * 1000;
/** Which stores to measure (comma-separated); all three by default. */
const STORES = (process.env.SLIPWAY_BENCH_STORES ?? "sqlite,postgres,postgres-socket").split(",");
/** When set, the agents write CPU profiles there (run the bench under `node --cpu-prof` for the server's). */
const PROFILE_DIR = process.env.SLIPWAY_BENCH_CPU_PROF;

/** 2,000 independent jobs of one `true` step. */
function dispatchPipeline(): string {
  const lines = ["name: dispatch", "jobs:"];
  for (let i = 0; i < JOBS; i++) lines.push(`  j${i}:`, "    steps:", '      - run: "true"');
  return lines.join("\n") + "\n";
}

/*
 * Four jobs printing 25 MB each in 100-character lines. `head` reads from a process
 * substitution rather than a pipe, so `yes` dying of SIGPIPE cannot fail the step under pipefail.
 */
function logPipeline(): string {
  const lines = ["name: logs", "jobs:"];
  for (let i = 0; i < AGENTS; i++) {
    lines.push(
      `  l${i}:`,
      "    steps:",
      `      - run: head -c ${LOG_BYTES_PER_JOB} < <(yes "$(printf '%0100d' 0)")`,
    );
  }
  return lines.join("\n") + "\n";
}

interface Row {
  case: string;
  value: string;
  goal: string;
  required: string;
  baseline: string;
}

interface Phases {
  /** The POST that starts the run returned (checkout, pipeline compiled, jobs queued). */
  trigger: number;
  /** The first job left "queued". */
  firstJobStarted: number;
  end: number;
}

async function call<T>(
  server: RunningServer,
  token: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${server.url}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

interface RunOutcome {
  id: string;
  ms: number;
  /** Jobs that finished successfully (all of them unless the budget ran out). */
  finished: number;
  complete: boolean;
  phases: Phases;
}

/** Starts a run of `project` and waits for it to end (or for the budget); times the phases from the store. */
async function runToEnd(server: RunningServer, token: string, project: string): Promise<RunOutcome> {
  const start = performance.now();
  const started = await call<{ runs: { id: string }[] }>(
    server,
    token,
    "POST",
    `/api/projects/${project}/runs`,
    {},
  );
  const triggered = performance.now();
  const id = started.runs[0]?.id;
  if (id === undefined) throw new Error(`no run started for ${project}`);
  let firstLease: number | undefined;
  let complete = true;
  // Polled from the store in this process: polling the API for a 2,000-job run would itself load the server.
  for (;;) {
    const run = await server.store.getRun(id);
    if (
      firstLease === undefined &&
      (await server.store.control.jobAttempts(id)).some((a) => a.status !== "queued")
    ) {
      firstLease = performance.now();
    }
    if (run && run.status !== "queued" && run.status !== "running") {
      if (run.status !== "success") throw new Error(`run of ${project} ended ${run.status}`);
      break;
    }
    if (performance.now() - start > BUDGET_MS) {
      complete = false;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, firstLease === undefined ? 20 : 250));
  }
  const end = performance.now();
  const attempts = await server.store.control.jobAttempts(id);
  const finished = new Set(attempts.filter((a) => a.status === "finished").map((a) => a.jobKey)).size;
  if (!complete) {
    await call(server, token, "POST", `/api/runs/${id}/cancel`);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const run = await server.store.getRun(id);
      if (run && run.status !== "queued" && run.status !== "running") break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return {
    id,
    ms: end - start,
    finished,
    complete,
    phases: {
      trigger: round(triggered - start, 0),
      firstJobStarted: round((firstLease ?? end) - start, 0),
      end: round(end - start, 0),
    },
  };
}

interface WireLease {
  leaseId: string;
  jobKey: string;
  run: { id: string };
}

/** Leases one job for `agent` over the agent protocol; undefined when none came within a second. */
async function lease(server: RunningServer, token: string, agent: string): Promise<WireLease | undefined> {
  const response = await fetch(`${server.url}/api/agent/lease`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ agent, name: agent, labels: [], waitMs: 1_000 }),
  });
  if (response.status === 204) return undefined;
  if (!response.ok) throw new Error(`lease: ${response.status} ${await response.text()}`);
  return (await response.json()) as WireLease;
}

async function finish(server: RunningServer, token: string, held: WireLease): Promise<void> {
  const result = {
    key: held.jobKey,
    status: "success",
    outputs: {},
    resultHash: "",
    cacheHit: false,
    artifacts: [],
  };
  await call(server, token, "POST", `/api/agent/leases/${held.leaseId}/finish`, { result });
}

/*
 * The server alone, without the agent's work: four clients speak the agent protocol, each
 * leasing a job and finishing it at once (dispatch), or leasing a job and posting 25 MB of log
 * lines in 1 MiB batches before finishing it (ingestion). What the server can take, whatever
 * the agents cost.
 */
async function protocolClients(
  server: RunningServer,
  admin: string,
  token: string,
  project: string,
  work: (held: WireLease) => Promise<void>,
): Promise<RunOutcome> {
  let done = false;
  const clients = Array.from({ length: AGENTS }, async (_, i) => {
    while (!done) {
      const held = await lease(server, token, `protocol-${i}`);
      if (held === undefined) continue;
      await work(held);
      await finish(server, token, held);
    }
  });
  try {
    return await runToEnd(server, admin, project);
  } finally {
    done = true;
    await Promise.all(clients);
  }
}

async function postLogs(server: RunningServer, token: string, held: WireLease): Promise<void> {
  const perBatch = Math.floor((1024 * 1024) / (LINE.length + 1));
  let seq = 0;
  let sent = 0;
  for (let batch = 1; sent < LOG_BYTES_PER_JOB; batch++) {
    const lines: LogLine[] = [];
    for (let i = 0; i < perBatch && sent < LOG_BYTES_PER_JOB; i++) {
      const text = LINE.slice(0, Math.min(LINE.length, LOG_BYTES_PER_JOB - sent - 1));
      lines.push({
        runId: held.run.id,
        jobKey: held.jobKey,
        stepIndex: 0,
        attempt: 1,
        seq: seq++,
        at: Date.now(),
        stream: "stdout",
        text,
      });
      sent += text.length + 1;
    }
    await call(server, token, "POST", `/api/agent/leases/${held.leaseId}/batches`, {
      batch,
      events: [],
      logs: toChunks(lines),
    });
  }
}

async function storedLogBytes(
  server: RunningServer,
  runId: string,
): Promise<{ bytes: number; lines: number }> {
  let bytes = 0;
  let lines = 0;
  for (let i = 0; i < AGENTS; i++) {
    for (const line of await server.store.readLogs({ runId, jobKey: `l${i}` })) {
      if (line.stream !== "stdout") continue;
      bytes += Buffer.byteLength(line.text) + 1;
      lines++;
    }
  }
  return { bytes, lines };
}

function startAgents(url: string, token: string, base: string): AgentProcess[] {
  const nodeArgs = PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  return Array.from({ length: AGENTS }, (_, i) => {
    const agent = startAgent(url, token, {
      name: `bench-${i}`,
      concurrency: 1,
      dataDir: path.join(base, `agent-${i}`),
      nodeArgs,
    });
    // A bench that dies half-way must not leave agents polling a port someone else may take.
    process.once("exit", () => agent.child.kill("SIGKILL"));
    return agent;
  });
}

/** Latencies of GET `route` at a fixed 500 requests/s from 10 connections, for 10 s. */
async function latency(server: RunningServer, token: string, route: string): Promise<autocannon.Result> {
  return autocannon({
    url: `${server.url}${route}`,
    headers: { authorization: `Bearer ${token}` },
    connections: 10,
    overallRate: 500,
    duration: 10,
  });
}

async function measureBackend(
  kind: "sqlite" | "postgres" | "postgres-socket",
  database: string | undefined,
  dispatchRepo: string,
  logRepo: string,
  rows: Row[],
): Promise<void> {
  const base = mkdtempSync(path.join(os.tmpdir(), `slipway-bench-server-${kind}-`));
  const server = await startBenchServer(base, database);
  let agents: AgentProcess[] = [];
  try {
    const admin = server.adminToken;
    if (admin === undefined) throw new Error("the server did not create an admin token");
    await call(server, admin, "POST", "/api/projects", { name: "dispatch", repo: dispatchRepo });
    await call(server, admin, "POST", "/api/projects", { name: "logs", repo: logRepo });
    const { token: agentToken } = await call<{ token: string }>(server, admin, "POST", "/api/tokens", {
      name: "bench agents",
      kind: "agent",
    });
    // The protocol alone first, while no agent is connected to take the jobs.
    const protoDispatch = await protocolClients(server, admin, agentToken, "dispatch", () =>
      Promise.resolve(),
    );
    const protoRate = protoDispatch.finished / (protoDispatch.ms / 1000);
    const protoLogs = await protocolClients(server, admin, agentToken, "logs", (held) =>
      postLogs(server, agentToken, held),
    );
    const protoStored = await storedLogBytes(server, protoLogs.id);
    const protoMBs = protoStored.bytes / 1e6 / (protoLogs.ms / 1000);
    report({
      case: `server.protocol.${kind}`,
      dispatch_finished: protoDispatch.finished,
      dispatch_complete: protoDispatch.complete,
      dispatch_ms: round(protoDispatch.ms, 0),
      dispatch_jobs_per_s: round(protoRate, 1),
      dispatch_phases_ms: protoDispatch.phases,
      logs_bytes_stored: protoStored.bytes,
      logs_ms: round(protoLogs.ms, 0),
      logs_mb_per_s: round(protoMBs, 1),
    });
    rows.push({
      case: `dispatch, protocol clients only, ${kind}`,
      value: `${round(protoRate, 1)} jobs/s${protoDispatch.complete ? "" : ` (${protoDispatch.finished} done in budget)`}`,
      goal: "",
      required: "",
      baseline: "",
    });
    rows.push({
      case: `log ingestion, protocol clients only, ${kind}`,
      value: `${round(protoMBs, 1)} MB/s`,
      goal: "",
      required: "",
      baseline: "",
    });

    agents = startAgents(server.url, agentToken, base);

    // The local engine on the same graph with the same parallelism, right before the server's run.
    const localData = path.join(base, "local");
    const localMs = timeCommand(
      "node",
      [SLIPWAY, "run", "--plain", `--concurrency=${AGENTS}`, `--data-dir=${localData}`],
      dispatchRepo,
      { ...process.env, CI: "true" },
    );
    const dispatch = await runToEnd(server, admin, "dispatch");
    const serverRate = dispatch.finished / (dispatch.ms / 1000);
    const localRate = JOBS / (localMs / 1000);
    report({
      case: `server.dispatch.${kind}`,
      baseline: `slipway run --concurrency=${AGENTS}`,
      jobs: JOBS,
      finished: dispatch.finished,
      complete: dispatch.complete,
      agents: AGENTS,
      server_ms: round(dispatch.ms, 0),
      jobs_per_s: round(serverRate, 1),
      local_ms: round(localMs, 0),
      local_jobs_per_s: round(localRate, 1),
      ratio: round(serverRate / localRate, 3),
      phases_ms: dispatch.phases,
      goal: kind === "sqlite" ? 200 : 400,
      required: 100,
    });
    rows.push({
      case: `dispatch ${JOBS} no-op jobs, ${kind}`,
      value: `${round(serverRate, 1)} jobs/s${dispatch.complete ? "" : ` (${dispatch.finished} done in budget)`}`,
      goal: `>= ${kind === "sqlite" ? 200 : 400} jobs/s`,
      required: ">= 100 jobs/s",
      baseline: `${round(serverRate / localRate, 3)}x slipway run (${round(localRate, 1)} jobs/s)`,
    });

    const logs = await runToEnd(server, admin, "logs");
    if (!logs.complete) throw new Error(`the log run did not end within ${BUDGET_MS} ms`);
    const { bytes: stored, lines } = await storedLogBytes(server, logs.id);
    report({
      case: `server.logs.${kind}`,
      jobs: AGENTS,
      bytes_stored: stored,
      bytes_expected: AGENTS * LOG_BYTES_PER_JOB,
      lines,
      run_ms: round(logs.ms, 0),
      mb_per_s: round(stored / 1e6 / (logs.ms / 1000), 1),
      phases_ms: logs.phases,
      goal: 50,
      required: 20,
    });
    rows.push({
      case: `log ingestion, 4 agents, ${kind}`,
      value: `${round(stored / 1e6 / (logs.ms / 1000), 1)} MB/s`,
      goal: ">= 50 MB/s",
      required: ">= 20 MB/s",
      baseline: "",
    });

    /*
     * The run page as a browser polls it: a finished run of four jobs. The baseline is
     * /healthz (no store, no auth) at the same rate just before: the tail the process and the
     * machine add to any request.
     */
    const health = await latency(server, admin, "/healthz");
    const result = await latency(server, admin, `/api/runs/${logs.id}`);
    const ratio = health.latency.p99 > 0 ? round(result.latency.p99 / health.latency.p99, 2) : undefined;
    report({
      case: `server.get-run.${kind}`,
      baseline: "GET /healthz",
      healthz_p50_ms: health.latency.p50,
      healthz_p99_ms: health.latency.p99,
      ratio,
      rate: 500,
      connections: 10,
      requests: result.requests.total,
      non2xx: result.non2xx,
      errors: result.errors,
      p50_ms: result.latency.p50,
      p99_ms: result.latency.p99,
      max_ms: result.latency.max,
      goal: 20,
      required: 50,
    });
    rows.push({
      case: `GET /api/runs/:id p99 at 500/s, ${kind}`,
      value: `${result.latency.p99} ms`,
      goal: "<= 20 ms",
      required: "<= 50 ms",
      baseline: `${ratio ?? "-"}x /healthz (p99 ${health.latency.p99} ms)`,
    });
  } finally {
    await Promise.all(agents.map((agent) => agent.stop()));
    await server.close();
    rmSync(base, { recursive: true, force: true });
  }
}

/**
 * The control plane under load: 2,000 no-op jobs dispatched to four `slipway agent` processes
 * (concurrency 1 each) against `slipway run` on the same graph with concurrency 4, four agents
 * each streaming 25 MB of log lines, and the p99 of GET /api/runs/:id at 500 requests/s.
 * Measured on SQLite and on PostgreSQL (a throw-away server from Debian's binaries), over TCP and
 * over its Unix socket.
 */
export async function benchServer(): Promise<void> {
  const dispatchRepo = gitRepo({ "slipway.yaml": dispatchPipeline() });
  const logRepo = gitRepo({ "slipway.yaml": logPipeline() });
  const rows: Row[] = [];
  try {
    if (STORES.includes("sqlite")) await measureBackend("sqlite", undefined, dispatchRepo, logRepo, rows);
    if (!STORES.some((s) => s.startsWith("postgres"))) return;
    const postgres = await startPostgres();
    try {
      if (STORES.includes("postgres"))
        await measureBackend("postgres", await postgres.createDatabase("bench"), dispatchRepo, logRepo, rows);
      // The same server over its Unix socket, as a server on the database's host connects to it.
      if (STORES.includes("postgres-socket")) {
        const overSocket = postgres.socketUrl(await postgres.createDatabase("bench_socket"));
        await measureBackend("postgres-socket", overSocket, dispatchRepo, logRepo, rows);
      }
    } finally {
      await postgres.stop();
    }
  } finally {
    printTable<keyof Row>(
      { case: "case", value: "value", goal: "goal", required: "must reach", baseline: "baseline ratio" },
      rows,
    );
    for (const dir of [dispatchRepo, logRepo]) rmSync(dir, { recursive: true, force: true });
  }
}
