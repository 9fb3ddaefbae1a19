import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliAsync } from "../support/cli.js";
import { SERVICE_COMMAND, SERVICE_DIR, releasesOf } from "../support/delivery.js";
import { freePort } from "../support/server-process.js";
import { api, commitAll, gitRepo, startServe } from "../support/slipway-server.js";
import type { ServerProcess } from "../support/slipway-server.js";

/**
 * A pipeline's `deploy` step: `slipway run` on a developer's machine builds nothing here, it
 * deploys the commit it runs to a server's staging environment and follows the deployment.
 */

let server: ServerProcess;
let repo: string;
let port: number;

function pipeline(serverUrl: string): string {
  return `name: ship
secrets: [SLIPWAY_TOKEN]
env:
  SLIPWAY_SERVER: ${serverUrl}
  SLIPWAY_PROJECT: shop
  SLIPWAY_TOKEN: \${{ secrets.SLIPWAY_TOKEN }}
services:
  web:
    command: ${JSON.stringify(SERVICE_COMMAND)}
    env: { VERSION: from-pipeline }
    readiness: { http: { path: /healthz }, periodSeconds: 0.2 }
environments:
  staging:
    services:
      web: { listen: "127.0.0.1:${port}" }
jobs:
  ship:
    steps:
      - deploy:
          service: web
          environment: staging
          version: \${{ slipway.commit }}
          dir: ${JSON.stringify(SERVICE_DIR)}
`;
}

beforeAll(async () => {
  server = await startServe({});
  port = await freePort();
  repo = gitRepo({});
  writeFileSync(path.join(repo, "slipway.yaml"), pipeline(server.url));
  commitAll(repo, "pipeline");
  expect(
    (await api(server.url, server.adminToken, "POST", "/api/projects", { name: "shop", repo })).status,
  ).toBe(201);
  const env = { SLIPWAY_SERVER: server.url, SLIPWAY_PROJECT: "shop", SLIPWAY_TOKEN: server.adminToken };
  const applied = await cliAsync(repo, ["env", "apply"], env);
  expect(applied.stdout).toBe("environments set: staging\n");
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe("the deploy step", () => {
  it("deploys the commit being run, and the run shows the deployment's steps", async () => {
    const run = await cliAsync(repo, ["run"], { SLIPWAY_TOKEN: server.adminToken });
    expect(run.status).toBe(0);
    const logs = await cliAsync(repo, ["logs", "1"]);
    expect(logs.stdout).toMatch(/deploy web to staging/);
    expect(logs.stdout).toMatch(/traffic: stable [0-9a-f]{40}/);
    expect(logs.stdout).toMatch(/succeeded/);
    expect(await releasesOf(`http://127.0.0.1:${port}`, 3)).toEqual({ "from-pipeline": 3 });
    const deployments = await api<{ to: string; status: string; runId: string | null }[]>(
      server.url,
      server.adminToken,
      "GET",
      "/api/projects/shop/deployments",
    );
    const runs = await cliAsync(repo, ["runs", "--json"]);
    const runId = (JSON.parse(runs.stdout) as { id: string }[])[0]?.id;
    expect(deployments.body).toEqual([expect.objectContaining({ runId })]);
    expect(deployments.body).toEqual([
      expect.objectContaining({ status: "succeeded", to: expect.stringMatching(/^[0-9a-f]{40}$/) }),
    ]);
    // The token is a secret: masked wherever the run printed it.
    expect(run.stdout + run.stderr + logs.stdout).not.toContain(server.adminToken);
  }, 60_000);

  it("fails the step when the deployment is refused", async () => {
    const run = await cliAsync(repo, ["run"], { SLIPWAY_TOKEN: "not-a-token" });
    expect(run.status).toBe(1);
    expect(run.stdout + run.stderr).toMatch(/401|valid API token/);
  }, 60_000);
});
