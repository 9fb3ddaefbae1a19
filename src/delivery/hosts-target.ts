import { UsageError } from "../errors/index.js";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import type { Registry } from "prom-client";
import { EnvironmentError } from "../errors/index.js";
import { forgetPid, notePid } from "./hosts/orphans.js";
import { shipRelease } from "./hosts/ship.js";
import { startInstance } from "./hosts/index.js";
import type { Instance } from "./hosts/index.js";
import type { HostRef, Release } from "./model.js";
import { WeightedProxy } from "./proxy/index.js";
import type { RouteTable } from "./proxy/index.js";
import type { DeployTarget, TargetStatus, TrafficSplit } from "./target.js";

export interface HostsTargetOptions {
  service: string;
  environment: string;
  listen: { host: string; port: number };
  previewListen?: { host: string; port: number };
  hosts: HostRef[];
  /** Where instance logs go (`<dir>/<version>/<instance>.log`). */
  logDir: string;
  /** Where a remote host keeps release files; default /tmp/slipway-releases. */
  remoteReleaseDir?: string;
  registry: Registry;
  /** How long an instance may take to become ready; default 120 s. */
  readyTimeoutMs?: number;
}

interface Running {
  instance: Instance;
  index: number;
}

/**
 * The hosts target: a service's releases as supervised processes on this machine and on hosts
 * reached over SSH, behind a weighted proxy (and a second one for a blue-green preview). The
 * proxy only ever routes to ready instances: an instance that turns unready or restarts leaves
 * the route table until it is ready again.
 */
export class HostsTarget implements DeployTarget {
  readonly kind = "hosts";
  readonly #options: HostsTargetOptions;
  readonly #proxy: WeightedProxy;
  readonly #preview: WeightedProxy | undefined;
  readonly #running = new Map<string, Running[]>();
  /** Desired instance counts, as the last scale() asked. */
  readonly #desired = new Map<string, number>();
  #split: TrafficSplit | undefined;
  /** Counts instances started, so every instance has an id of its own across restarts of a release. */
  #started = 0;
  readonly #shipped = new Set<string>();

  private constructor(options: HostsTargetOptions, proxy: WeightedProxy, preview: WeightedProxy | undefined) {
    this.#options = options;
    this.#proxy = proxy;
    this.#preview = preview;
  }

  static async start(options: HostsTargetOptions): Promise<HostsTarget> {
    const proxyOptions = (listen: { host: string; port: number }, service: string) => ({
      service,
      environment: options.environment,
      host: listen.host,
      port: listen.port,
      registry: options.registry,
    });
    const proxy = await WeightedProxy.start(proxyOptions(options.listen, options.service)).catch(
      (error: Error) => {
        throw new EnvironmentError(
          `cannot listen on ${options.listen.host}:${options.listen.port} for ${options.service} in ${options.environment}: ${error.message}`,
          { hint: "choose another listen address in the environment's services:" },
        );
      },
    );
    const preview = options.previewListen
      ? await WeightedProxy.start(proxyOptions(options.previewListen, `${options.service}-preview`))
      : undefined;
    return new HostsTarget(options, proxy, preview);
  }

  get url(): string {
    return this.#proxy.url;
  }

  status(): Promise<TargetStatus> {
    const releases = [...this.#running.entries()].map(([version, running]) => ({
      version,
      desired: this.#desired.get(version) ?? running.length,
      ready: running.filter((r) => r.instance.state() === "ready").length,
    }));
    return Promise.resolve({
      releases: releases.filter((r) => r.desired > 0 || r.ready > 0),
      traffic: this.#split && { ...this.#split },
      url: this.#proxy.url,
      ...(this.#preview ? { previewUrl: this.#preview.url } : {}),
    });
  }

  async scale(release: Release, instances: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    const running = this.#running.get(release.version) ?? [];
    this.#running.set(release.version, running);
    this.#desired.set(release.version, instances);
    if (running.length > instances) {
      const removed = running.splice(instances);
      // Out of the route table first, then wait for their requests, then stop them.
      this.#route();
      await this.#proxy.drain({ backendIds: removed.map((r) => r.instance.id) });
      if (this.#preview) await this.#preview.drain({ backendIds: removed.map((r) => r.instance.id) });
      await Promise.all(removed.map((r) => r.instance.stop()));
      return;
    }
    const added: Running[] = [];
    for (let index = running.length; index < instances; index++) {
      const instance = await this.#start(release, index);
      const entry = { instance, index };
      running.push(entry);
      added.push(entry);
    }
    const timeoutMs = this.#options.readyTimeoutMs ?? 120_000;
    await Promise.all(
      added.map((r) =>
        r.instance.waitReady({ timeoutMs, ...(options.signal ? { signal: options.signal } : {}) }),
      ),
    );
    this.#route();
  }

  async setTraffic(split: TrafficSplit): Promise<void> {
    this.#split = { ...split };
    this.#route();
    await Promise.all([this.#proxy.drain(), this.#preview?.drain()]);
  }

  /** Instances are started again: the previous server's stopped with it. */
  async resume(release: Release, instances: number): Promise<void> {
    await this.scale(release, instances);
    await this.setTraffic({ stable: release.version });
  }

  /** Instances are children of the server: they stop with it. */
  shutdown(): Promise<void> {
    return this.close();
  }

  async close(): Promise<void> {
    const all = [...this.#running.values()].flat();
    this.#running.clear();
    await Promise.all([this.#proxy.close(), this.#preview?.close()]);
    await Promise.all(all.map((r) => r.instance.stop()));
  }

  async #start(release: Release, index: number): Promise<Instance> {
    const hosts = this.#options.hosts;
    const host = hosts[index % hosts.length] ?? { local: true as const };
    const id = `${this.#options.service}-${release.version}-${this.#started++}`;
    const logDir = path.join(this.#options.logDir, release.version);
    await mkdir(logDir, { recursive: true });
    const port = await freePort();
    let cwd = release.dir;
    if ("ssh" in host) {
      cwd = path.posix.join(
        this.#options.remoteReleaseDir ?? "/tmp/slipway-releases",
        this.#options.service,
        `${release.version}-${release.checksum.slice(0, 12)}`,
      );
      const key = `${host.ssh.host}:${cwd}`;
      if (!this.#shipped.has(key)) {
        await shipRelease(host.ssh, release.dir, cwd);
        this.#shipped.add(key);
      }
    }
    const config = release.config;
    if (config.command === undefined) {
      throw new UsageError(`service ${release.service} has no command to run on hosts`, {
        hint: `add command: ... to services.${release.service} in slipway.yaml`,
      });
    }
    const instance = startInstance({
      id,
      command: config.command,
      cwd,
      env: { ...config.env, SLIPWAY_RELEASE: release.version, SLIPWAY_SERVICE: release.service },
      port,
      ...("ssh" in host ? { ssh: host.ssh, address: host.ssh.host } : {}),
      ...(config.readiness ? { readiness: config.readiness } : {}),
      ...(config.liveness ? { liveness: config.liveness } : {}),
      logFile: path.join(logDir, `${id}.log`),
    });
    // A restart or a failing readiness probe takes the instance out of the proxy until it is back.
    const logFile = path.join(logDir, `${id}.log`);
    instance.on("state", (state) => {
      this.#route();
      if ("ssh" in host) return;
      const pgid = instance.processInfo()?.pgid;
      if (state === "ready" && pgid !== undefined) void notePid(logFile, pgid).catch(() => undefined);
      if (state === "stopped" || state === "failed") void forgetPid(logFile).catch(() => undefined);
    });
    return instance;
  }

  /** The route tables for the current split and the instances ready now. */
  #route(): void {
    const split = this.#split;
    if (!split) return;
    const backends = (version: string | undefined) =>
      version === undefined
        ? []
        : (this.#running.get(version) ?? [])
            .filter((r) => r.instance.state() === "ready")
            .map((r) => ({ id: r.instance.id, url: r.instance.url }));
    const table: RouteTable = { stable: { release: split.stable, backends: backends(split.stable) } };
    const canary = backends(split.canary);
    // A canary with no ready instance (restarting, or not started yet) gets no traffic rather
    // than errors: its share goes to the stable until it is back.
    if (split.canary !== undefined && split.canary !== split.stable && canary.length > 0) {
      table.canary = { release: split.canary, backends: canary, weight: split.canaryWeight ?? 0 };
    }
    this.#proxy.setRoutes(table);
    if (this.#preview) {
      const preview = split.preview ?? split.stable;
      this.#preview.setRoutes({ stable: { release: preview, backends: backends(preview) } });
    }
  }
}

/** A port free on this machine now; remote hosts are assumed to have it free too. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}
