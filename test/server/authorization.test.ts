import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/telemetry/index.js";
import { createToken, ROLES } from "../../src/server/auth.js";
import type { Principal, Role } from "../../src/server/auth.js";
import type { RegisteredRoute, RouteRequest } from "../../src/server/http.js";
import { startServer } from "../../src/server/index.js";
import type { RunningServer } from "../../src/server/index.js";
import { api, gitRepo } from "../support/slipway-server.js";

/*
 * Every registered route, called by every kind of caller. The expected answer is derived from
 * the route's declared access, so a route added later is checked without editing this file.
 */

const PIPELINE = "name: p\njobs:\n  a:\n    steps:\n      - run: echo hi\n";

interface Caller {
  name: string;
  token: string | undefined;
  /** Who the server should take the caller for; undefined: nobody (no token, or an unknown one). */
  principal: Principal | undefined;
}

interface Call {
  route: RegisteredRoute;
  caller: Caller;
  status: number;
  start: number;
  end: number;
}

type Expected = "allowed" | 401 | 403;

let server: RunningServer;
let alphaRepo: string;
let runId: string;
let adminToken: string;
const callers: Caller[] = [];
const calls: Call[] = [];
let counter = 0;

beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "slipway-authz-"));
  server = await startServer({
    dataDir,
    port: 0,
    runners: 0,
    version: "test",
    logger: createLogger({ name: "slipway", level: "silent" }),
  });
  const bootstrap = server.adminToken ?? "";
  alphaRepo = gitRepo({ "slipway.yaml": PIPELINE });
  const betaRepo = gitRepo({ "slipway.yaml": PIPELINE });
  for (const [name, repo] of [
    ["alpha", alphaRepo],
    ["beta", betaRepo],
  ] as const) {
    expect((await api(server.url, bootstrap, "POST", "/api/projects", { name, repo })).status).toBe(201);
  }

  const user = async (name: string, role: Role, project?: string): Promise<Caller> => {
    const created = await api<{ token: string; id: string }>(server.url, bootstrap, "POST", "/api/tokens", {
      name,
      kind: "user",
      role,
      ...(project ? { project } : {}),
    });
    expect(created.status).toBe(201);
    return {
      name,
      token: created.body.token,
      principal: { kind: "user", tokenId: created.body.id, name, role, project },
    };
  };
  for (const role of ROLES) callers.push(await user(`${role}-caller`, role));
  callers.push(await user("beta-developer", "developer", "beta"));
  const agent = await api<{ token: string; id: string }>(server.url, bootstrap, "POST", "/api/tokens", {
    name: "agent-caller",
    kind: "agent",
  });
  expect(agent.status).toBe(201);
  callers.push({
    name: "agent-caller",
    token: agent.body.token,
    principal: { kind: "agent", tokenId: agent.body.id, name: "agent-caller" },
  });
  callers.push({ name: "no token", token: undefined, principal: undefined });
  callers.push({ name: "bogus token", token: "slw_not-a-token-the-server-made", principal: undefined });
  adminToken = callers.find((c) => c.name === "admin-caller")?.token ?? "";

  const started = await api<{ runs: { id: string }[] }>(
    server.url,
    adminToken,
    "POST",
    "/api/projects/alpha/runs",
    {},
  );
  expect(started.status).toBe(201);
  runId = started.body.runs[0]?.id ?? "";
  expect(runId).not.toBe("");
}, 60_000);

afterAll(async () => {
  await server?.close();
});

/** Path parameters: a real project, run and job, so allowed calls reach the handler's real work. */
async function pathFor(route: RegisteredRoute): Promise<string> {
  let url = route.url;
  if (url.startsWith("/api/tokens/:id")) {
    // A token made for this call only (in the store, so no audit entry of its own), to revoke.
    const { record } = await createToken(server.store.control, {
      kind: "user",
      name: "to-revoke",
      createdBy: "test",
    });
    url = url.replace(":id", record.id);
  }
  return url
    .replace(":name", "alpha")
    .replace(":id", runId)
    .replace(":secret", "X")
    .replace(":run", runId)
    .replace(":job", "a")
    .replace(":key", "0".repeat(64));
}

/** Query parameters the route requires, with values that pass its schema. */
function queryFor(route: RegisteredRoute): string {
  if (!route.query) return "";
  const schema = z.toJSONSchema(route.query, { io: "input" }) as { properties?: Record<string, unknown> };
  const properties = Object.keys(schema.properties ?? {});
  const pairs: string[] = [];
  if (properties.includes("project")) pairs.push("project=alpha");
  if (properties.includes("path")) pairs.push("path=out.txt");
  if (properties.includes("job")) pairs.push("job=a");
  return pairs.length > 0 ? `?${pairs.join("&")}` : "";
}

/** A body that passes the route's validation (new names each time, so creations succeed). */
function bodyFor(route: RegisteredRoute): { body: string | Buffer; type: string } | undefined {
  const json = (value: unknown) => ({ body: JSON.stringify(value), type: "application/json" });
  switch (`${route.method} ${route.url}`) {
    case "POST /api/projects":
      return json({ name: `extra-${++counter}`, repo: alphaRepo });
    case "POST /api/tokens":
      return json({ name: `made-${++counter}`, kind: "user", role: "viewer" });
    case "PUT /api/projects/:name/secrets/:secret":
      return json({ value: "s3cret" });
    case "POST /api/agent/lease":
      return json({ agent: "matrix-agent", name: "matrix-agent", labels: [], waitMs: 0 });
    case "POST /api/agent/leases/:id/batches":
      return json({ batch: 1, events: [], logs: [] });
    case "POST /api/agent/leases/:id/tests":
      return json({ results: [] });
    case "POST /api/agent/leases/:id/finish":
      return json({
        result: { key: "a", status: "success", outputs: {}, resultHash: "", cacheHit: false, artifacts: [] },
      });
    case "PUT /api/agent/leases/:id/artifacts":
      return { body: Buffer.from("artifact bytes"), type: "application/octet-stream" };
    case "PUT /api/agent/leases/:id/cache/:key":
      return { body: Buffer.from("archive bytes"), type: "application/octet-stream" };
  }
  if (route.body) return json({});
  return undefined;
}

/** The status of one call; streams (server-sent events) are closed once their status is known. */
async function send(route: RegisteredRoute, caller: Caller): Promise<number> {
  const url = `${server.url}${await pathFor(route)}${queryFor(route)}`;
  const body = bodyFor(route);
  const aborter = new AbortController();
  const response = await fetch(url, {
    method: route.method,
    headers: {
      ...(caller.token ? { authorization: `Bearer ${caller.token}` } : {}),
      ...(body ? { "content-type": body.type } : {}),
    },
    ...(body ? { body: body.body } : {}),
    signal: aborter.signal,
  });
  if ((response.headers.get("content-type") ?? "").startsWith("text/event-stream")) aborter.abort();
  else await response.arrayBuffer();
  return response.status;
}

/** The project a route acts on for this caller, as its access rule resolves it. */
async function projectOf(route: RegisteredRoute, caller: Caller): Promise<string | undefined> {
  if (typeof route.access !== "object" || !route.access.project) return undefined;
  const params = Object.fromEntries(
    [...route.url.matchAll(/:([A-Za-z_]+)/g)].map(([, name]) => [
      name,
      name === "name" ? "alpha" : name === "id" || name === "run" ? runId : "X",
    ]),
  );
  const request = {
    params,
    query: {},
    body: {},
    principal: caller.principal,
    raw: {},
  } as unknown as RouteRequest;
  return route.access.project(request);
}

/**
 * The policy: public routes are open; signed routes accept only a valid signature; agent routes
 * only agent tokens; role routes user tokens with at least the role, and a project-scoped token
 * only on its own project or on listings over the projects it sees ("*").
 */
async function expected(route: RegisteredRoute, caller: Caller): Promise<Expected> {
  const access = route.access;
  if (access === "public") return "allowed";
  if (access === "signed") return 401;
  const principal = caller.principal;
  if (principal === undefined) return 401;
  if (access === "agent") return principal.kind === "agent" ? "allowed" : 403;
  if (principal.kind !== "user") return 403;
  if (ROLES.indexOf(principal.role) < ROLES.indexOf(access.role)) return 403;
  if (principal.project === undefined) return "allowed";
  const project = await projectOf(route, caller);
  return project === "*" || (project !== undefined && project === principal.project) ? "allowed" : 403;
}

describe("authorization of every route", () => {
  it("answers every caller as the route's access rule says", async () => {
    expect(server.routes.length).toBeGreaterThan(20);
    const wrong: string[] = [];
    for (const route of server.routes) {
      for (const caller of callers) {
        const want = await expected(route, caller);
        const start = Date.now();
        const status = await send(route, caller);
        calls.push({ route, caller, status, start, end: Date.now() });
        const ok = want === "allowed" ? status !== 401 && status !== 403 && status < 500 : status === want;
        if (!ok) wrong.push(`${route.method} ${route.url} as ${caller.name}: ${status}, expected ${want}`);
      }
    }
    expect(wrong).toEqual([]);
    // The matrix reached the handlers' real work, not only their refusals.
    const succeeded = (method: string, url: string) =>
      calls.some(
        (c) => c.route.method === method && c.route.url === url && c.status >= 200 && c.status < 300,
      );
    expect(succeeded("POST", "/api/projects")).toBe(true);
    expect(succeeded("POST", "/api/projects/:name/runs")).toBe(true);
    expect(succeeded("PUT", "/api/projects/:name/secrets/:secret")).toBe(true);
    expect(succeeded("DELETE", "/api/tokens/:id")).toBe(true);
  });

  it("checks the token before the request's contents", async () => {
    // A caller without a token learns nothing about what a route accepts: no validation errors.
    const viewer = callers.find((c) => c.name === "viewer-caller");
    for (const route of server.routes) {
      if (route.access === "public" || route.access === "signed" || !route.body) continue;
      const url = `${server.url}${route.url.replace(/:[A-Za-z_]+/g, "x")}`;
      const anonymous = await fetch(url, {
        method: route.method,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ unexpected: true }),
      });
      await anonymous.arrayBuffer();
      expect(anonymous.status, `${route.method} ${route.url}`).toBe(401);
      // Nor does a caller whose role falls short (project rules are left out: "x" is no project).
      const role = typeof route.access === "object" ? route.access.role : undefined;
      if (route.access === "agent" || (role !== undefined && role !== "viewer" && !route.url.includes(":"))) {
        const user = await api(server.url, viewer?.token, route.method, route.url, { unexpected: true });
        expect(user.status, `${route.method} ${route.url} as a viewer`).toBe(403);
      }
    }
  });

  it("records every change an allowed caller made in the audit log, with actor and source", async () => {
    expect(calls.length).toBe(server.routes.length * callers.length);
    const changes = calls.filter(
      (c) =>
        c.route.method !== "GET" && c.caller.principal?.kind === "user" && c.status >= 200 && c.status < 300,
    );
    expect(changes.length).toBeGreaterThan(5);
    const log = await api<
      { at: number; actor: string; action: string; source?: string | null; id: string }[]
    >(server.url, adminToken, "GET", "/api/audit?limit=1000");
    expect(log.status).toBe(200);
    const claimed = new Set<string>();
    const missing: string[] = [];
    for (const change of changes) {
      const entry = log.body.find(
        (e) =>
          !claimed.has(e.id) &&
          e.actor === `user:${change.caller.name}` &&
          e.at >= change.start &&
          e.at <= change.end,
      );
      if (!entry) {
        missing.push(`${change.route.method} ${change.route.url} as ${change.caller.name}`);
        continue;
      }
      claimed.add(entry.id);
      expect(entry.action).not.toBe("");
      expect(entry.source ?? "").toMatch(/127\.0\.0\.1|::1/);
    }
    expect(missing).toEqual([]);
  });
});
