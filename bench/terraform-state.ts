import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import type { RunningServer } from "../src/server/index.js";
import { startPostgres } from "../test/support/postgres.js";
import { gitRepo } from "../test/support/slipway-server.js";
import { printTable, report, round, startBenchServer } from "./util.js";

const CLIENTS = 50;
const STATE_BYTES = 100 * 1024;
/** Each POST stores a new version, so writes are counted rather than timed. */
const WRITES = 2_000;
const SECONDS = 10;
const LOCK_SECONDS = 5;

/**
 * A state of about 100 KB shaped like Terraform's (format 4): resources with instances and
 * attributes. `SERIAL` is replaced per request, so every POST is a real new version.
 */
function stateTemplate(): { prefix: string; suffix: string } {
  const state = {
    version: 4,
    terraform_version: "1.11.4",
    serial: -1,
    lineage: "bench-lineage",
    outputs: {},
    resources: [] as unknown[],
  };
  for (let i = 0; JSON.stringify(state, null, 2).length < STATE_BYTES - 1_000; i++) {
    state.resources.push({
      mode: "managed",
      type: "terraform_data",
      name: `r${i}`,
      provider: 'provider["terraform.io/builtin/terraform"]',
      instances: [
        {
          schema_version: 0,
          attributes: {
            id: `6f1c2a4e-${String(i).padStart(4, "0")}-4b5e-9a0c-1d2e3f405162`,
            input: { value: `value-${i}-${"x".repeat(300)}`, type: "string" },
            output: { value: `value-${i}`, type: "string" },
            triggers_replace: null,
          },
          sensitive_attributes: [],
        },
      ],
    });
  }
  const [prefix, suffix] = JSON.stringify(state, null, 2).split('"serial": -1');
  return { prefix: `${prefix ?? ""}"serial": `, suffix: suffix ?? "" };
}

interface Row {
  case: string;
  value: string;
  baseline: string;
}

async function call(server: RunningServer, token: string, method: string, route: string, body?: unknown) {
  const response = await fetch(`${server.url}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return text;
}

/** 50 connections as fast as the server answers, for SECONDS (or `amount` requests). */
function load(
  server: RunningServer,
  token: string,
  route: string,
  request: Partial<autocannon.Request> = {},
  amount?: number,
): Promise<autocannon.Result> {
  return autocannon({
    url: `${server.url}${route}`,
    headers: { authorization: `Bearer ${token}` },
    connections: CLIENTS,
    ...(amount === undefined ? { duration: SECONDS } : { amount }),
    requests: [{ method: "GET", ...request }],
  });
}

/** Requests per second over the whole run (autocannon's average is per whole second, coarse for short runs). */
const rate = (result: autocannon.Result) => result.requests.total / result.duration;

interface LockContext {
  client?: number;
  n?: number;
  path?: string;
  body?: string;
  held?: boolean;
}

/**
 * Lock then unlock on each of 50 connections for LOCK_SECONDS: on a state per connection (what
 * the server sustains), or all on one state, where a LOCK refused with 423 is tried again and
 * only the holder unlocks (how fast the lock passes from one client to the next). autocannon
 * sends only standard methods, so this is GitLab's convention (POST and DELETE on .../lock),
 * which runs the same handlers as Terraform's LOCK and UNLOCK.
 */
async function lockRoundTrips(
  server: RunningServer,
  token: string,
  shared: boolean,
): Promise<{ perSecond: number; refused: number; result: autocannon.Result }> {
  let clients = 0;
  let acquired = 0;
  let refused = 0;
  const result = await autocannon({
    url: server.url,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    connections: CLIENTS,
    duration: LOCK_SECONDS,
    requests: [
      {
        method: "POST",
        setupRequest: (request, context) => {
          const c = context as LockContext;
          c.client ??= clients++;
          c.n = (c.n ?? 0) + 1;
          c.path = `/api/terraform/bench/${shared ? "shared-lock" : `lock-${c.client}`}/lock`;
          c.body = JSON.stringify({
            ID: `client-${c.client}-${c.n}`,
            Operation: "OperationTypeApply",
            Who: "bench",
          });
          return { ...request, path: c.path, body: c.body };
        },
        onResponse: (status, _body, context) => {
          (context as LockContext).held = status === 200;
          if (status === 200) acquired++;
          else refused++;
        },
      },
      {
        method: "DELETE",
        // Falsy starts the connection's sequence again: a client refused the lock asks again.
        setupRequest: (request, context) => {
          const c = context as LockContext;
          return (c.held ? { ...request, path: c.path, body: c.body } : undefined) as autocannon.Request;
        },
      },
    ],
  });
  return { perSecond: acquired / result.duration, refused, result };
}

async function measure(
  kind: "sqlite" | "postgres",
  database: string | undefined,
  rows: Row[],
): Promise<void> {
  const base = mkdtempSync(path.join(os.tmpdir(), `slipway-bench-tfstate-${kind}-`));
  const server = await startBenchServer(base, database);
  try {
    const admin = server.adminToken;
    if (admin === undefined) throw new Error("the server did not create an admin token");
    const repo = gitRepo({ "README.md": "bench" });
    await call(server, admin, "POST", "/api/projects", { name: "bench", repo });
    rmSync(repo, { recursive: true, force: true });
    const template = stateTemplate();
    const stateAt = (serial: number) => `${template.prefix}${serial}${template.suffix}`;
    await call(server, admin, "POST", "/api/terraform/bench/state", stateAt(1));
    const bytes = Buffer.byteLength(stateAt(1));

    // The baseline: no store, no decryption, the same 50 connections just before.
    const health = await load(server, admin, "/healthz");
    const get = await load(server, admin, "/api/terraform/bench/state");
    /*
     * Each connection writes its own state with the next serial, as one terraform apply after
     * another does: every POST passes the serial check and is a new version. (Writers of one
     * state take turns on its row; with Terraform's lock they never meet.)
     */
    let writers = 0;
    const post = await load(
      server,
      admin,
      "/api/terraform/bench/state",
      {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        setupRequest: (request, context) => {
          const c = context as { writer?: number; serial?: number };
          c.writer ??= writers++;
          c.serial = (c.serial ?? 0) + 1;
          return { ...request, path: `/api/terraform/bench/written-${c.writer}`, body: stateAt(c.serial) };
        },
      },
      WRITES,
    );
    const own = await lockRoundTrips(server, admin, false);
    const shared = await lockRoundTrips(server, admin, true);
    // autocannon stops with requests in flight; they finish before the store closes.
    await new Promise((resolve) => setTimeout(resolve, 500));

    for (const [name, result] of [
      ["get", get],
      ["post", post],
    ] as const) {
      const ratio = health.latency.p99 > 0 ? round(result.latency.p99 / health.latency.p99, 2) : undefined;
      report({
        case: `tfstate.${name}.${kind}`,
        baseline: "GET /healthz",
        state_bytes: bytes,
        connections: CLIENTS,
        requests: result.requests.total,
        non2xx: result.non2xx,
        errors: result.errors,
        requests_per_s: round(rate(result), 0),
        p50_ms: result.latency.p50,
        p99_ms: result.latency.p99,
        max_ms: result.latency.max,
        healthz_p50_ms: health.latency.p50,
        healthz_p99_ms: health.latency.p99,
        healthz_requests_per_s: round(rate(health), 0),
        p99_ratio: ratio,
      });
      rows.push({
        case: `${name.toUpperCase()} 100 KB state, ${CLIENTS} clients, ${name === "get" ? "one state" : "a state each"}, ${kind}`,
        value: `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${round(rate(result), 0)} req/s${result.non2xx + result.errors > 0 ? ` (${result.non2xx} non-2xx, ${result.errors} errors)` : ""}`,
        baseline: `/healthz p50 ${health.latency.p50} ms, p99 ${health.latency.p99} ms, ${round(rate(health), 0)} req/s (p99 ${ratio ?? "-"}x)`,
      });
    }
    for (const [name, result] of [
      ["state per client", own],
      ["one shared state", shared],
    ] as const) {
      report({
        case: `tfstate.lock-unlock.${name.replaceAll(" ", "-")}.${kind}`,
        clients: CLIENTS,
        round_trips_per_s: round(result.perSecond, 0),
        refused_423: result.refused,
        request_p50_ms: result.result.latency.p50,
        request_p99_ms: result.result.latency.p99,
        errors: result.result.errors,
        healthz_p50_ms: health.latency.p50,
        healthz_p99_ms: health.latency.p99,
      });
      rows.push({
        case: `lock+unlock, ${CLIENTS} clients, ${name}, ${kind}`,
        value: `${round(result.perSecond, 0)} round trips/s (request p50 ${result.result.latency.p50} ms, p99 ${result.result.latency.p99} ms)${result.refused > 0 ? `, ${result.refused} LOCKs refused with 423` : ""}`,
        baseline: `/healthz p50 ${health.latency.p50} ms, p99 ${health.latency.p99} ms`,
      });
    }
  } finally {
    await server.close();
    rmSync(base, { recursive: true, force: true });
  }
}

/**
 * Terraform's http backend under load: GET and POST of a 100 KB state by 50 concurrent clients,
 * beside GET /healthz under the same load, and lock/unlock round trips per second. On SQLite and
 * on PostgreSQL (a throw-away server from Debian's binaries).
 */
export async function benchTerraformState(): Promise<void> {
  const rows: Row[] = [];
  try {
    await measure("sqlite", undefined, rows);
    const postgres = await startPostgres();
    try {
      await measure("postgres", await postgres.createDatabase("bench_tfstate"), rows);
    } finally {
      await postgres.stop();
    }
  } finally {
    printTable<keyof Row>({ case: "case", value: "value", baseline: "baseline" }, rows);
  }
}
