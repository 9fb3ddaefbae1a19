import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors/index.js";
import { InstanceNotReadyError, shellQuote, startInstance } from "../../src/delivery/hosts/index.js";
import type { Instance, InstanceSpec, InstanceState } from "../../src/delivery/hosts/index.js";
import { freePort } from "../support/server-process.js";
import { until, nextExit } from "../support/delivery.js";

const service = fileURLToPath(new URL("../fixtures/delivery/service.mjs", import.meta.url));
const runService = `exec ${shellQuote(process.execPath)} ${shellQuote(service)}`;
const healthz = { http: { path: "/healthz" }, periodMs: 50 } as const;

let dir: string;
let instances: Instance[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "slipway-supervisor-"));
  instances = [];
});

afterEach(async () => {
  await Promise.all(instances.map((instance) => instance.stop({ graceMs: 2000 })));
  await rm(dir, { recursive: true, force: true });
});

async function start(spec: Partial<InstanceSpec> & { command: string }): Promise<Instance> {
  const instance = startInstance({
    id: "web-v1-0",
    port: await freePort(),
    logFile: join(dir, "web.log"),
    ...spec,
  });
  instances.push(instance);
  return instance;
}

/** Running, as opposed to gone or a zombie (which holds nothing but its process table entry). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

const log = () => readFile(join(dir, "web.log"), "utf8");

describe("startInstance on this machine", () => {
  it("becomes ready and serves, with PORT, INSTANCE, env and cwd as given", async () => {
    const work = join(dir, "work");
    await mkdir(work);
    const greeting = `it's a "test" with $HOME, \`backticks\` and a\nnewline`;
    const instance = await start({
      id: "web-v1-7",
      command: `pwd > cwd.txt; printf '%s' "$GREETING" > greeting.txt; echo "port $PORT instance $INSTANCE"; ${runService}`,
      cwd: work,
      env: { VERSION: "v1", GREETING: greeting },
      readiness: healthz,
    });
    await instance.waitReady();
    expect(instance.state()).toBe("ready");

    const response = await fetch(`${instance.url}/orders`);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-release")).toBe("v1");
    expect(await response.json()).toEqual({ release: "v1", instance: "web-v1-7" });
    expect((await readFile(join(work, "cwd.txt"), "utf8")).trim()).toBe(work);
    expect(await readFile(join(work, "greeting.txt"), "utf8")).toBe(greeting);
    const port = new URL(instance.url).port;
    expect(await log()).toContain(`port ${port} instance web-v1-7`);
    expect(await log()).toContain(`listening on 127.0.0.1:${port}`);
  });

  it("is ready only while the readiness probe passes", async () => {
    const readyFile = join(dir, "ready");
    const probeRuns = join(dir, "probe-runs");
    const instance = await start({
      command: "exec sleep 1000",
      readiness: {
        command: `echo "$INSTANCE $PORT" >> ${shellQuote(probeRuns)}; test -f ${shellQuote(readyFile)}`,
        periodMs: 20,
        failureThreshold: 2,
      },
    });
    const states: InstanceState[] = [];
    instance.on("state", (state) => states.push(state));
    const runs = () => (existsSync(probeRuns) ? readFileSync(probeRuns, "utf8").trim().split("\n") : []);
    await until(() => runs().length >= 3, "the readiness probe failed three times");
    expect(instance.state()).toBe("starting");
    expect(runs()[0]).toBe(`web-v1-0 ${new URL(instance.url).port}`);

    await writeFile(readyFile, "");
    await instance.waitReady();
    await rm(readyFile);
    await until(() => instance.state() === "unready", "the instance is unready");
    await writeFile(readyFile, "");
    await instance.waitReady();
    expect(states).toEqual(["ready", "unready", "ready"]);
    expect(instance.restarts()).toBe(0);
  });

  it("restarts a process that crashes, with a doubling back-off, and counts the restarts", async () => {
    const instance = await start({
      command: runService,
      env: { VERSION: "v1" },
      readiness: healthz,
      restart: { initialDelayMs: 50 },
    });
    await instance.waitReady();
    for (let crash = 1; crash <= 2; crash++) {
      const pid = instance.processInfo()?.pid;
      expect(pid).toBeDefined();
      const exited = nextExit(instance);
      process.kill(pid ?? 0, "SIGKILL");
      expect(await exited).toEqual({ code: null, signal: "SIGKILL" });
      await until(() => instance.restarts() === crash, `restart ${crash} is counted`);
      await instance.waitReady();
      expect(instance.processInfo()?.pid).not.toBe(pid);
    }
    expect((await fetch(instance.url)).status).toBe(200);
    const text = await log();
    expect(text).toMatch(/web-v1-0 was killed by SIGKILL; restarting in 50 ms/);
    expect(text).toMatch(/web-v1-0 was killed by SIGKILL; restarting in 100 ms/);
    expect(text).toMatch(/restarting \(restart 2\) web-v1-0/);
  });

  it("restarts a process whose liveness probe fails", async () => {
    const failFile = join(dir, "unhealthy");
    const instance = await start({
      command: runService,
      env: { LIVENESS_FAIL_FILE: failFile },
      readiness: healthz,
      liveness: { http: { path: "/livez" }, periodMs: 50, failureThreshold: 2 },
    });
    await instance.waitReady();
    const exited = nextExit(instance);
    await writeFile(failFile, "");
    // The service drains and exits 0 on SIGTERM: the supervisor ended it, not a crash.
    expect(await exited).toEqual({ code: 0, signal: null, reason: "liveness" });
    await rm(failFile);
    await until(() => instance.restarts() === 1, "the restart is counted");
    await instance.waitReady();
    expect(await log()).toContain("web-v1-0 failed its liveness probe 2 times: restarting");
  });

  it("stops gracefully: the request in flight is answered, then the whole group is gone", async () => {
    const childPidFile = join(dir, "child.pid");
    const instance = await start({
      command: `sleep 1000 & echo $! > ${shellQuote(childPidFile)}; ${runService}`,
      env: { VERSION: "v1", LATENCY_MS: "1000", LOG_REQUESTS: "1" },
      readiness: healthz,
    });
    await instance.waitReady();
    const child = Number(await readFile(childPidFile, "utf8"));
    expect(running(child)).toBe(true);

    const inFlight = fetch(`${instance.url}/slow`);
    await until(async () => (await log()).includes("request GET /slow"), "the request reached the service");
    const exited = nextExit(instance);
    await instance.stop({ graceMs: 10_000 });

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ release: "v1", instance: "web-v1-0" });
    expect(await exited).toEqual({ code: 0, signal: null, reason: "stop" });
    expect(instance.state()).toBe("stopped");
    expect(running(child)).toBe(false);
    expect(await log()).toMatch(/SIGTERM, draining[\s\S]*drained, exiting/);
  });

  it("kills what ignores SIGTERM once the grace period is over", async () => {
    const stubbornPidFile = join(dir, "stubborn.pid");
    const instance = await start({
      // An ignored signal stays ignored across exec.
      command: `(trap '' TERM; exec sleep 1000) & echo $! > ${shellQuote(stubbornPidFile)}; ${runService}`,
      readiness: healthz,
    });
    await instance.waitReady();
    const stubborn = Number(await readFile(stubbornPidFile, "utf8"));
    await instance.stop({ graceMs: 300 });
    expect(running(stubborn)).toBe(false);
    expect(instance.processInfo()).toBeUndefined();
  });

  it("does not restart after stop", async () => {
    const instance = await start({ command: runService, readiness: healthz, restart: { initialDelayMs: 1 } });
    await instance.waitReady();
    await instance.stop();
    expect(instance.state()).toBe("stopped");
    // Give a restart every chance to happen: the back-off is 1 ms.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(instance.state()).toBe("stopped");
    expect(instance.restarts()).toBe(0);
    await expect(instance.waitReady()).rejects.toThrow(/it was stopped/);
  });

  it("rejects waitReady with the log's tail when the command exits at once", async () => {
    const instance = await start({
      command: `echo "reading /etc/web.conf" ; echo "fatal: /etc/web.conf: no such file" >&2; exit 3`,
      readiness: healthz,
    });
    const error = await instance.waitReady().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InstanceNotReadyError);
    const message = (error as InstanceNotReadyError).message;
    expect(message).toContain("instance web-v1-0 is not ready: exited with code 3 before it was ready");
    expect(message).toContain("fatal: /etc/web.conf: no such file");
    expect((error as InstanceNotReadyError).logTail).toContain("reading /etc/web.conf");
  });

  it("rejects waitReady when the working directory does not exist", async () => {
    const instance = await start({ command: runService, cwd: join(dir, "missing") });
    await expect(instance.waitReady()).rejects.toThrow(
      /could not start: working directory .*missing does not exist/,
    );
  });

  it("fails after maxRestarts restarts in a row", async () => {
    const instance = await start({
      command: "echo attempt; exit 1",
      restart: { initialDelayMs: 10, maxRestarts: 2 },
    });
    await until(() => instance.state() === "failed", "the instance failed");
    expect(instance.restarts()).toBe(2);
    expect((await log()).match(/^attempt$/gm)).toHaveLength(3);
    expect(await log()).toContain("gave up after 2 restarts in a row");
    await expect(instance.waitReady()).rejects.toThrow(/gave up after 2 restarts in a row/);
  });

  it("refuses a spec that cannot run", async () => {
    expect(() =>
      startInstance({
        id: "web",
        command: "true",
        port: 70000,
        env: { "BAD-NAME": "x" },
        logFile: join(dir, "web.log"),
      }),
    ).toThrow(UsageError);
    expect(existsSync(join(dir, "web.log"))).toBe(false);
  });
});
