import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { InstanceNotReadyError, shellQuote, startInstance } from "../../src/delivery/hosts/index.js";
import type { Instance, InstanceSpec } from "../../src/delivery/hosts/index.js";
import { startSshHost } from "../support/ssh-host.js";
import type { SshTestHost } from "../support/ssh-host.js";
import { until, nextExit } from "../support/delivery.js";

// The SSH host shares this machine's file system: the same node and the same service file.
const service = fileURLToPath(new URL("../fixtures/delivery/service.mjs", import.meta.url));
const runService = `exec ${shellQuote(process.execPath)} ${shellQuote(service)}`;
const healthz = { http: { path: "/healthz" }, periodMs: 50 } as const;

let host: SshTestHost;
let dir: string;
let instances: Instance[];
let nextPort = 20_000 + (process.pid % 20_000);

beforeAll(async () => {
  host = await startSshHost();
});

afterAll(async () => {
  await host?.stop();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "slipway-supervisor-ssh-"));
  instances = [];
});

afterEach(async () => {
  await Promise.all(instances.map((instance) => instance.stop({ graceMs: 2000 })));
  await rm(dir, { recursive: true, force: true });
});

function start(spec: Partial<InstanceSpec> & { command: string }): Instance {
  const instance = startInstance({
    id: "web-v2-0",
    // The namespace has a network of its own: any port is free there.
    port: nextPort++,
    logFile: join(dir, "web.log"),
    ssh: host.ssh,
    ...spec,
    env: { HOST: host.address, ...spec.env },
  });
  instances.push(instance);
  return instance;
}

/** Processes of the group still running on the SSH host (zombies hold nothing and do not count). */
async function remoteGroup(pgid: number): Promise<string[]> {
  const out = await host.exec(`ps -e -o pgid=,pid=,stat=,args= | awk '$1 == ${pgid} && $3 !~ /^Z/'`);
  return out.split("\n").filter((line) => line.trim() !== "");
}

const log = () => readFile(join(dir, "web.log"), "utf8");

describe("startInstance over SSH", { timeout: 60_000 }, () => {
  it("runs the service on the other host, probed over its address, and stops all of it", async () => {
    const work = join(dir, "work");
    await mkdir(work);
    const greeting = `it's "quoted" $HOME; rm -rf /nonexistent \`id\``;
    const instance = start({
      command: `pwd > cwd.txt; printf '%s' "$GREETING" > greeting.txt; ${runService}`,
      cwd: work,
      env: { VERSION: "v2", GREETING: greeting, LATENCY_MS: "1000", LOG_REQUESTS: "1" },
      readiness: healthz,
    });
    await instance.waitReady({ timeoutMs: 30_000 });
    expect(instance.url).toBe(`http://${host.address}:${new URL(instance.url).port}`);
    // The namespace's address does not exist on this side: only the SSH host can listen on it.
    const response = await fetch(`${instance.url}/orders`);
    expect(response.headers.get("x-release")).toBe("v2");
    expect(await response.json()).toEqual({ release: "v2", instance: "web-v2-0" });
    expect((await readFile(join(work, "cwd.txt"), "utf8")).trim()).toBe(work);
    expect(await readFile(join(work, "greeting.txt"), "utf8")).toBe(greeting);

    const pgid = instance.processInfo()?.pgid;
    if (pgid === undefined) throw new Error("the remote process group is not known");
    expect((await remoteGroup(pgid)).join("\n")).toContain(service);

    const inFlight = fetch(`${instance.url}/slow`);
    await until(async () => (await log()).includes("request GET /slow"), "the request reached the service");
    const exited = nextExit(instance);
    await instance.stop({ graceMs: 10_000 });
    expect((await inFlight).status).toBe(200);
    expect(await exited).toEqual({ code: 0, signal: null, reason: "stop" });
    expect(await remoteGroup(pgid)).toEqual([]);
    expect(await log()).toMatch(/listening on [\s\S]*SIGTERM, draining[\s\S]*drained, exiting/);
  });

  it("kills the remote group when the connection drops, and starts a new run", async () => {
    const instance = start({
      command: `sleep 1000 & ${runService}`,
      env: { VERSION: "v2" },
      readiness: healthz,
      restart: { initialDelayMs: 100 },
    });
    await instance.waitReady({ timeoutMs: 30_000 });
    const before = instance.processInfo();
    if (before?.pgid === undefined) throw new Error("the remote process group is not known");
    const pgid = before.pgid;
    expect(await remoteGroup(pgid)).toHaveLength(2);

    const exited = nextExit(instance);
    // The ssh client is this machine's process; killing it drops the connection as a network failure would.
    process.kill(before.pid, "SIGKILL");
    expect(await exited).toEqual({ code: null, signal: "SIGKILL" });
    await until(async () => (await remoteGroup(pgid)).length === 0, "the remote group is gone");

    await until(() => instance.restarts() >= 1, "a restart is counted");
    await instance.waitReady({ timeoutMs: 30_000 });
    expect(instance.processInfo()?.pgid).not.toBe(pgid);
    expect((await fetch(instance.url)).headers.get("x-release")).toBe("v2");
  });

  it("restarts a remote process that crashes", async () => {
    const instance = start({ command: runService, readiness: healthz, restart: { initialDelayMs: 50 } });
    await instance.waitReady({ timeoutMs: 30_000 });
    const pgid = instance.processInfo()?.pgid;
    const exited = nextExit(instance);
    await host.exec(`kill -KILL ${pgid}`);
    // The remote shell reports a process killed by a signal as 128 + its number.
    expect(await exited).toEqual({ code: 128 + 9, signal: null });
    await until(() => instance.restarts() === 1, "a restart is counted");
    await instance.waitReady({ timeoutMs: 30_000 });
  });

  it("rejects waitReady with ssh's own message when it cannot log in", async () => {
    const keyDir = await mkdtemp(join(tmpdir(), "slipway-stranger-"));
    try {
      const strangerKey = join(keyDir, "id_ed25519");
      await promisify(execFile)("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", strangerKey]);
      const instance = start({
        command: runService,
        ssh: { ...host.ssh, identityFile: strangerKey },
        restart: { maxRestarts: 0 },
      });
      const error = await instance.waitReady({ timeoutMs: 30_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InstanceNotReadyError);
      expect((error as Error).message).toMatch(/exited with code 255 \(or ssh failed/);
      expect((error as InstanceNotReadyError).logTail).toMatch(/Permission denied \(publickey\)/);
    } finally {
      await rm(keyDir, { recursive: true, force: true });
    }
  });
});
