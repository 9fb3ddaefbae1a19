import { mkdtempSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Ajv2020Module from "ajv/dist/2020.js";
import ajvFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../../src/server/index.js";
import type { RunningServer } from "../../src/server/index.js";
import { createLogger } from "../../src/telemetry/index.js";
import { exited, startCli, cli } from "../support/cli.js";
import { api, gitRepo } from "../support/slipway-server.js";

const Ajv2020 = Ajv2020Module.default;
const addFormats = ajvFormats.default;

const PIPELINE = "name: p\njobs:\n  a:\n    steps:\n      - run: echo hi\n";

interface Operation {
  parameters?: { name: string; in: string; required: boolean; schema: unknown }[];
  requestBody?: { content: { "application/json": { schema: object } } };
  responses: Record<string, { content?: { "application/json": { schema: object } } }>;
}
interface OpenApi {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
}

const start = (dataDir: string) =>
  startServer({ dataDir, port: 0, runners: 0, version: "test", logger: createLogger({ level: "silent" }) });

describe("the API document and validation", () => {
  let server: RunningServer;
  let admin: string;

  beforeAll(async () => {
    server = await start(mkdtempSync(path.join(os.tmpdir(), "slipway-api-")));
    admin = server.adminToken ?? "";
  });
  afterAll(async () => {
    await server?.close();
  });

  it("describes every route in OpenAPI 3.1, with JSON Schemas that compile", async () => {
    const response = await api<OpenApi>(server.url, admin, "GET", "/api/openapi.json");
    expect(response.status).toBe(200);
    const document = response.body;
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(document.info.version).toBe("test");
    for (const key of Object.keys(document.paths)) expect(key, "a path in OpenAPI form").not.toMatch(/:/);

    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    for (const route of server.routes) {
      const openApiPath = route.url.replace(/:([A-Za-z_]+)/g, "{$1}");
      // Methods OpenAPI has no field for (Terraform's LOCK and UNLOCK) are extensions: x-lock.
      const method = route.method.toLowerCase();
      const standard = ["get", "put", "post", "delete", "options", "head", "patch", "trace"].includes(method);
      const operation = document.paths[openApiPath]?.[standard ? method : `x-${method}`];
      expect(operation, `${route.method} ${openApiPath}`).toBeDefined();
      if (!operation) continue;
      const pathParameters = (operation.parameters ?? []).filter((p) => p.in === "path");
      const names = [...route.url.matchAll(/:([A-Za-z_]+)/g)].map(([, name]) => name);
      expect(pathParameters.map((p) => p.name).sort(), `path parameters of ${route.url}`).toEqual(
        names.sort(),
      );
      for (const parameter of operation.parameters ?? []) {
        expect(() => ajv.compile(parameter.schema as object), `${route.url} ${parameter.name}`).not.toThrow();
      }
      expect(Boolean(operation.requestBody), `request body of ${route.method} ${route.url}`).toBe(
        Boolean(route.body),
      );
      const body = operation.requestBody?.content["application/json"].schema;
      if (body) expect(() => ajv.compile(body), `body of ${route.method} ${route.url}`).not.toThrow();
      const ok = operation.responses["200"]?.content?.["application/json"].schema;
      if (ok) expect(() => ajv.compile(ok), `response of ${route.method} ${route.url}`).not.toThrow();
    }

    // The compiled schema is the one the server enforces: it agrees with the server on a body.
    const createProject =
      document.paths["/api/projects"]?.post?.requestBody?.content["application/json"].schema;
    expect(createProject).toBeDefined();
    const validate = ajv.compile(createProject ?? {});
    expect(validate({ name: "ok-name", repo: "/somewhere" })).toBe(true);
    expect(validate({ name: "Bad Name!", repo: "/somewhere" })).toBe(false);
  });

  it("refuses an invalid body with 400 and names the field", async () => {
    const badName = await api<{ error: string; details: { issues: { path: string }[] } }>(
      server.url,
      admin,
      "POST",
      "/api/projects",
      { name: "Bad Name!", repo: "/somewhere" },
    );
    expect(badName.status).toBe(400);
    expect(badName.body.error).toMatch(/\bname\b/);
    expect(badName.body.details.issues.map((i) => i.path)).toEqual(["name"]);

    const noRepo = await api<{ error: string }>(server.url, admin, "POST", "/api/projects", { name: "fine" });
    expect(noRepo.status).toBe(400);
    expect(noRepo.body.error).toMatch(/\brepo\b/);

    const notJson = await fetch(`${server.url}/api/projects`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: string }).error).toMatch(/JSON/);
  });
});

describe("tokens made without a server", () => {
  it("work against a server on the same data directory, and the audit log shows who made them", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "slipway-api-tokens-"));
    const repo = gitRepo({ "slipway.yaml": PIPELINE });
    const adminFile = path.join(dataDir, "admin-token");

    let server = await start(dataDir);
    const admin = server.adminToken ?? "";
    expect(admin).toMatch(/^slw_/);
    expect(statSync(adminFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(adminFile, "utf8").trim()).toBe(admin);
    expect((await api(server.url, admin, "POST", "/api/projects", { name: "alpha", repo })).status).toBe(201);
    const before = statSync(adminFile);
    await server.close();

    const made = cli(dataDir, [
      "token",
      "create",
      "--data-dir",
      dataDir,
      "--role",
      "developer",
      "--project",
      "alpha",
    ]);
    expect(made.status, made.stderr).toBe(0);
    const token = made.stdout.trim();
    expect(token).toMatch(/^slw_[A-Za-z0-9_-]{43}$/);

    server = await start(dataDir);
    try {
      // A second start on the same store makes no new admin token and leaves the file alone.
      expect(server.adminToken).toBeUndefined();
      const after = statSync(adminFile);
      expect(readFileSync(adminFile, "utf8").trim()).toBe(admin);
      expect(after.ino).toBe(before.ino);
      expect(after.mtimeMs).toBe(before.mtimeMs);
      expect(after.mode & 0o777).toBe(0o600);

      const me = await api<{ kind: string; role: string; project: string }>(
        server.url,
        token,
        "GET",
        "/api/whoami",
      );
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ kind: "user", role: "developer", project: "alpha" });
      expect((await api(server.url, token, "GET", "/api/projects/alpha")).status).toBe(200);
      expect((await api(server.url, token, "POST", "/api/projects/alpha/runs", {})).status).toBe(201);
      // Its role and scope hold: no admin work, nothing server-wide.
      expect((await api(server.url, token, "POST", "/api/tokens", { name: "more" })).status).toBe(403);
      expect((await api(server.url, token, "GET", "/metrics")).status).toBe(403);

      const viaApi = await api<{ id: string }>(server.url, admin, "POST", "/api/tokens", {
        name: "made-over-http",
        kind: "agent",
      });
      expect(viaApi.status).toBe(201);

      // Run asynchronously: the server answering it lives in this process.
      const child = startCli(dataDir, ["audit", "--server", server.url, "--token", admin, "--json"]);
      let stdout = "";
      child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      expect(await exited(child)).toBe(0);
      const entries = JSON.parse(stdout) as {
        actor: string;
        action: string;
        target: string;
        project?: string | null;
        source?: string | null;
      }[];
      const creations = entries.filter((e) => e.action === "token.create");
      expect(creations).toContainEqual(
        expect.objectContaining({
          actor: `local:${os.userInfo().username}`,
          source: "cli",
          project: "alpha",
        }),
      );
      expect(creations).toContainEqual(
        expect.objectContaining({
          actor: "user:admin",
          target: viaApi.body.id,
          source: expect.stringMatching(/127\.0\.0\.1|::1/) as unknown,
        }),
      );
    } finally {
      await server.close();
    }
  });
});
