import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Registry } from "prom-client";
import type { AnalysisTemplate, Release, ServiceConfig, Strategy } from "../../src/delivery/model.js";
import { HostsTarget } from "../../src/delivery/hosts-target.js";
import type { HostRef } from "../../src/delivery/model.js";
import type { Instance, InstanceExit } from "../../src/delivery/hosts/index.js";
import { freePort } from "./server-process.js";
import { startLoad } from "./load-generator.js";
import type { StartedSubject } from "../delivery/target-contract.js";

/** The directory of the small real service the delivery tests deploy (service.mjs). */
export const SERVICE_DIR = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "fixtures",
  "delivery",
);

/** How an instance of the test service starts: this node, the fixture's script. */
export const SERVICE_COMMAND = `exec "${process.execPath}" service.mjs`;

export interface TestReleaseOptions {
  errorRate?: number;
  strategy?: Strategy;
  instances?: number;
  analysis?: Record<string, AnalysisTemplate>;
  env?: Record<string, string>;
  /** /healthz never answers 200: the release cannot become ready. */
  neverReady?: boolean;
}

/** A release of the test service: VERSION is its name, ERROR_RATE its share of 500s. */
export function testRelease(version: string, options: TestReleaseOptions = {}): Release {
  const config: ServiceConfig = {
    name: "web",
    command: SERVICE_COMMAND,
    env: {
      VERSION: version,
      ERROR_RATE: String(options.errorRate ?? 0),
      ...(options.neverReady ? { READY_DELAY_MS: "3600000" } : {}),
      ...options.env,
    },
    instances: options.instances ?? 2,
    readiness: { http: { path: "/healthz" }, periodMs: 100, failureThreshold: 1 },
    strategy: options.strategy ?? { kind: "rolling", maxSurge: 1, maxUnavailable: 0 },
  };
  return {
    service: "web",
    version,
    dir: SERVICE_DIR,
    checksum: `checksum-of-${version}`,
    config,
    analysis: options.analysis ?? {},
  };
}

/** An analysis template of one job metric: `command` decides (exit 0 passes). */
export function jobTemplate(name: string, command: string): AnalysisTemplate {
  return { name, args: [], metrics: [{ name: `${name}-job`, provider: { job: { command } } }] };
}

export interface StartedHostsTarget {
  target: HostsTarget;
  registry: Registry;
  close(): Promise<void>;
}

/** A hosts target for the test service on free loopback ports, logs in a temporary directory. */
export async function startHostsTarget(
  options: { preview?: boolean; hosts?: HostRef[]; environment?: string } = {},
): Promise<StartedHostsTarget> {
  const logDir = await mkdtemp(path.join(tmpdir(), "slipway-hosts-"));
  const registry = new Registry();
  const target = await HostsTarget.start({
    service: "web",
    environment: options.environment ?? "test",
    listen: { host: "127.0.0.1", port: await freePort() },
    ...(options.preview ? { previewListen: { host: "127.0.0.1", port: await freePort() } } : {}),
    hosts: options.hosts ?? [{ local: true }],
    logDir,
    registry,
    readyTimeoutMs: 5_000,
  });
  return {
    target,
    registry,
    close: async () => {
      await target.close();
      await rm(logDir, { recursive: true, force: true });
    },
  };
}

/** A hosts target seen through its proxy: real requests, continuous load while watching. */
export async function hostsSubject(started: StartedHostsTarget): Promise<StartedSubject> {
  const status = await started.target.status();
  return {
    target: started.target,
    routed: (n, address = "service") =>
      releasesOf((address === "preview" ? status.previewUrl : status.url) ?? "", n),
    watch: () => startLoad(status.url ?? "", { concurrency: 4 }),
    close: started.close,
  };
}

/** `n` GET requests in a row; the answers' `x-release` headers counted. */
export async function releasesOf(url: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const response = await fetch(url);
    await response.arrayBuffer();
    const release = response.headers.get("x-release") ?? `status ${response.status}`;
    counts[release] = (counts[release] ?? 0) + 1;
  }
  return counts;
}

/** Polls until `condition()` holds (every 20 ms); fails naming `what` after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The instance's next exit. */
export function nextExit(instance: Instance): Promise<InstanceExit> {
  return new Promise((resolve) => {
    const listener = (exit: InstanceExit) => {
      instance.off("exit", listener);
      resolve(exit);
    };
    instance.on("exit", listener);
  });
}
