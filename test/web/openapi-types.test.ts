import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Ajv2020Module from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../../src/server/index.js";
import type { RunningServer } from "../../src/server/index.js";
import { createLogger } from "../../src/telemetry/index.js";
import { ROOT } from "../support/cli.js";
import { api, eventually, gitRepo } from "../support/slipway-server.js";

const Ajv2020 = Ajv2020Module.default;

/*
 * The web UI's API client is typed by web/src/api/schema.d.ts, generated from the server's
 * OpenAPI document. These tests regenerate it from the current server (the CLI the global setup
 * built) and fail when the committed file is stale; and they check that what the server really
 * answers matches the document the types come from.
 */

const SCRIPT = path.join(ROOT, "scripts", "web-api.mjs");
const TYPES = path.join(ROOT, "web", "src", "api", "schema.d.ts");

function generate(...args: string[]) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
}

describe("web/src/api/schema.d.ts", () => {
  it("is what the server's OpenAPI document generates (npm run web:api)", () => {
    const result = generate("--check");
    expect(result.stderr).toContain("matches the server's OpenAPI document");
    expect(result.status).toBe(0);
  });

  it("is reported stale when it differs from the document", () => {
    const stale = path.join(mkdtempSync(path.join(os.tmpdir(), "slipway-web-api-")), "schema.d.ts");
    const current = readFileSync(TYPES, "utf8");
    expect(current).toContain('"/api/runs/{id}/rerun"');
    writeFileSync(stale, current.replace('"/api/runs/{id}/rerun"', '"/api/runs/{id}/retry"'));
    const result = generate("--check", "--file", stale);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("does not match the server's OpenAPI document: run `npm run web:api`");
  });
});

interface Operation {
  responses: Record<string, { content?: { "application/json": { schema: object } } }>;
}

const PIPELINE = `name: checked
jobs:
  build:
    artifacts: [out.txt]
    reports:
      junit: report.xml
    steps:
      - name: make
        run: |
          echo built > out.txt
          echo '<testsuite name="s"><testcase name="ok" time="0.01"/><testcase name="bad"><failure message="no">trace</failure></testcase></testsuite>' > report.xml
  check:
    needs: build
    steps:
      - run: echo checking; exit 3
`;

describe("the answers the web UI reads", () => {
  let server: RunningServer;
  let admin: string;
  let paths: Record<string, Record<string, Operation>>;

  beforeAll(async () => {
    server = await startServer({
      dataDir: mkdtempSync(path.join(os.tmpdir(), "slipway-web-answers-")),
      port: 0,
      runners: 1,
      version: "test",
      logger: createLogger({ level: "silent" }),
    });
    admin = server.adminToken ?? "";
    const document = await api<{ paths: typeof paths }>(server.url, admin, "GET", "/api/openapi.json");
    paths = document.body.paths;
    expect(
      (
        await api(server.url, admin, "POST", "/api/projects", {
          name: "p",
          repo: gitRepo({ "slipway.yaml": PIPELINE }),
        })
      ).status,
    ).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  /** Calls the route and checks the answer against the document's schema for it. */
  async function conforms(method: string, template: string, url: string, body?: unknown): Promise<unknown> {
    const response = await api(server.url, admin, method, url, body);
    expect(response.status, `${method} ${url}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
    const schema =
      paths[template]?.[method.toLowerCase()]?.responses["200"]?.content?.["application/json"].schema;
    expect(schema, `a response schema for ${method} ${template}`).toBeDefined();
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema ?? {});
    expect(validate(response.body) ? [] : validate.errors, `${method} ${url}`).toEqual([]);
    return response.body;
  }

  it("match the OpenAPI document, for a run with logs, tests, artifacts, a failure and a re-run", async () => {
    const started = (await conforms("POST", "/api/projects/{name}/runs", "/api/projects/p/runs", {})) as {
      runs: { id: string }[];
    };
    const id = started.runs[0]?.id ?? "";
    await eventually(
      async () => {
        const run = await api<{ run: { status: string } }>(server.url, admin, "GET", `/api/runs/${id}`);
        return run.body.run.status === "failure" ? true : undefined;
      },
      60_000,
      "the run to fail",
    );
    await conforms("GET", "/api/whoami", "/api/whoami");
    await conforms("GET", "/api/projects", "/api/projects");
    await conforms("GET", "/api/projects/{name}", "/api/projects/p");
    const runs = (await conforms("GET", "/api/runs", "/api/runs")) as unknown[];
    expect(runs).toHaveLength(1);
    const detail = (await conforms("GET", "/api/runs/{id}", `/api/runs/${id}`)) as {
      jobs: { key: string; status: string; steps: unknown[]; attempts: unknown[] }[];
    };
    expect(detail.jobs.map((j) => [j.key, j.status])).toEqual([
      ["build", "success"],
      ["check", "failure"],
    ]);
    const logs = (await conforms("GET", "/api/runs/{id}/logs", `/api/runs/${id}/logs?job=check&step=0`)) as {
      text: string;
    }[];
    expect(logs.map((l) => l.text)).toContain("checking");
    const tests = (await conforms("GET", "/api/runs/{id}/tests", `/api/runs/${id}/tests`)) as unknown[];
    expect(tests).toHaveLength(2);
    const artifacts = (await conforms(
      "GET",
      "/api/runs/{id}/artifacts",
      `/api/runs/${id}/artifacts`,
    )) as unknown[];
    expect(artifacts).toHaveLength(1);
    const agents = (await conforms("GET", "/api/agents", "/api/agents")) as unknown[];
    expect(agents).toHaveLength(1);
    const rerun = (await conforms("POST", "/api/runs/{id}/rerun", `/api/runs/${id}/rerun`, {
      failedOnly: true,
    })) as { runs: { id: string }[] };
    const again = rerun.runs[0]?.id ?? "";
    expect(again).not.toBe(id);
    await conforms("POST", "/api/runs/{id}/cancel", `/api/runs/${again}/cancel`);
    const audit = (await conforms("GET", "/api/audit", "/api/audit")) as { action: string }[];
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(["project.create", "run.trigger", "run.rerun", "run.cancel"]),
    );
  }, 90_000);
});
