import { readFileSync, writeFileSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliAsync } from "../support/cli.js";
import { SERVICE_COMMAND, SERVICE_DIR, releasesOf } from "../support/delivery.js";
import { freePort } from "../support/server-process.js";
import { api, commitAll, eventually, gitRepo, startServe } from "../support/slipway-server.js";
import type { ServerProcess } from "../support/slipway-server.js";

/**
 * A server killed outright (kill -9) leaves its local instances running. The next start on the
 * same data directory stops them and starts the environment's current release again, so the
 * service comes back on its address with nothing of the old processes left.
 */

const servers: ServerProcess[] = [];
afterAll(async () => {
  for (const server of servers) await server.stop();
});

describe("a server restart", () => {
  it("stops the instances a killed server left and serves the current release again", async () => {
    const first = await startServe({});
    servers.push(first);
    const port = await freePort();
    const repo = gitRepo({});
    writeFileSync(
      path.join(repo, "slipway.yaml"),
      `services:
  web:
    command: ${JSON.stringify(SERVICE_COMMAND)}
    env: { VERSION: v1 }
    instances: 2
    readiness: { http: { path: /healthz }, periodSeconds: 0.2 }
environments:
  prod:
    services:
      web: { listen: "127.0.0.1:${port}" }
`,
    );
    commitAll(repo, "service");
    const token = first.adminToken;
    expect((await api(first.url, token, "POST", "/api/projects", { name: "shop", repo })).status).toBe(201);
    const remote = ["--project", "shop", "--server", first.url, "--token", token];
    expect((await cliAsync(repo, ["env", "apply", ...remote])).status).toBe(0);
    const deployed = await cliAsync(repo, [
      "deploy",
      "web",
      "v1",
      "--environment",
      "prod",
      "--dir",
      SERVICE_DIR,
      ...remote,
    ]);
    expect(deployed.status).toBe(0);
    const notes = path.join(first.dataDir, "instances", "shop", "prod", "web", "v1");
    const before = await eventually(
      async () => {
        const groups = await groupsNoted(notes);
        return groups.length === 2 ? groups : undefined;
      },
      10_000,
      "two instances noted",
    );

    first.child.kill("SIGKILL");
    await new Promise((resolve) => first.child.once("exit", resolve));
    // The proxy died with the server; the instances did not.
    expect(before.filter(running)).toEqual(before);

    const second = await startServe({ dataDir: first.dataDir });
    servers.push(second);
    await eventually(
      async () =>
        ((await releasesOf(`http://127.0.0.1:${port}`, 1).catch(() => ({}))) as Record<string, number>)[
          "v1"
        ] === 1
          ? true
          : undefined,
      20_000,
      "the service back on its address",
    );
    expect(before.filter(running)).toEqual([]);
    const after = await eventually(
      async () => {
        const groups = await groupsNoted(notes);
        return groups.length === 2 ? groups : undefined;
      },
      10_000,
      "two new instances noted",
    );
    expect(after.some((g) => before.includes(g))).toBe(false);
    expect(after.filter(running)).toEqual(after);
  }, 90_000);
});

/** The process groups of the running instances, as the server notes them beside their logs. */
async function groupsNoted(dir: string): Promise<number[]> {
  const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith(".pgid"));
  const groups = await Promise.all(
    files.map(async (f) => Number((await readFile(path.join(dir, f), "utf8")).split(" ")[0])),
  );
  return groups.sort((a, b) => a - b);
}

/** Whether the group's leader runs; a zombie does not (PID 1 here may never reap it). */
function running(pgid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pgid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] !== "Z";
  } catch {
    return false;
  }
}
