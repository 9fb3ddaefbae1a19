import { createHash, randomUUID } from "node:crypto";
import type { Stats } from "node:fs";
import { mkdir, rm, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SlotExecutor } from "../executors/index.js";
import { Engine, INHERITED_ENV } from "../pipeline/index.js";
import type { JobResult, PlannedJob } from "../pipeline/index.js";
import { Checkouts } from "../pipeline/checkout.js";
import type { RemoteCache } from "../pipeline/cache.js";
import type { TestCaseResult } from "../pipeline/events.js";
import { planPipeline } from "../pipeline/plan.js";
import type { Plan } from "../pipeline/plan.js";
import { loadRunSource } from "../pipeline/run-source.js";
import { copyFiles, listFiles } from "../pipeline/workspace.js";
import type { SourcePipeline } from "../pipeline/run-source.js";
import { openStore } from "../store/index.js";
import type { Store } from "../store/index.js";
import type { Lease, WireJobResult } from "../server/protocol.js";
import { ApiClient, backoff, ServerError, sleep } from "./client.js";
import { BatchUploader } from "./uploader.js";

export interface AgentOptions {
  server: string;
  token: string;
  /** Shown on the server; also this agent's identity across restarts. */
  name: string;
  labels: string[];
  /** Jobs run at once. */
  concurrency: number;
  /** Checkouts, workspaces and the local cache live here. */
  dataDir: string;
  /** The `slipway` CLI, for built-in steps (slo-gate, check) that run it. */
  cliPath?: string | undefined;
  log?: (message: string) => void;
}

/**
 * `slipway agent`: leases jobs from a server, runs each with the same engine as `slipway run`
 * (on a fresh checkout of the run's commit), streams its events and logs back, uploads its
 * artifacts and test results, and reports its result. A heartbeat keeps the lease; losing it
 * (the server re-queued the job) stops the job without reporting, so a job is never finished twice.
 */
export class Agent {
  readonly id: string;
  readonly #client: ApiClient;
  readonly #checkouts: Checkouts;
  readonly #executor = new SlotExecutor();
  readonly #stopping = new AbortController();
  readonly #running = new Map<string, AbortController>();
  #loops: Promise<void>[] = [];
  #cacheStore: Promise<Store> | undefined;
  readonly #prepared = new Map<string, Promise<Prepared>>();
  /** Workspaces of finished jobs being removed. */
  readonly #removing = new Set<Promise<void>>();

  constructor(private readonly options: AgentOptions) {
    this.id = `${options.name}`;
    this.#client = new ApiClient(options.server, options.token);
    this.#checkouts = new Checkouts(path.join(options.dataDir, "git"));
  }

  start(): void {
    for (let i = 0; i < this.options.concurrency; i++) this.#loops.push(this.#loop());
  }

  /** Stops taking jobs and waits for the running ones; `cancel` stops those too. */
  async close(options: { cancel?: boolean } = {}): Promise<void> {
    this.#stopping.abort();
    if (options.cancel) for (const controller of this.#running.values()) controller.abort();
    await Promise.all(this.#loops);
    await Promise.all(this.#removing);
    await this.#executor.close();
    if (this.#cacheStore) await (await this.#cacheStore).close();
  }

  async #loop(): Promise<void> {
    let failures = 0;
    // The job the server handed over with the last result, if any: no lease request for it.
    let next: Lease | undefined;
    // A job already handed over is run even when stopping: stopping finishes the jobs it has.
    while (!this.#stopping.signal.aborted || next !== undefined) {
      let lease = next;
      next = undefined;
      if (lease === undefined) {
        try {
          const response = await this.#client.call<Lease | string>("POST", "/api/agent/lease", {
            body: { ...this.#identity(), waitMs: 20_000 },
            retry: false,
            signal: this.#stopping.signal,
            timeoutMs: 30_000,
          });
          failures = 0;
          if (response.status === 200 && typeof response.body === "object") lease = response.body;
        } catch (error) {
          if (this.#stopping.signal.aborted) break;
          failures++;
          const wait = backoff(failures, 500, 15_000);
          this.#log(
            `cannot lease from ${this.options.server} (${(error as Error).message}); retrying in ${wait} ms`,
          );
          await sleep(wait, this.#stopping.signal);
          continue;
        }
      }
      if (lease)
        next = await this.#run(lease).catch((error: unknown) => {
          this.#log(`job failed in the agent: ${(error as Error).stack ?? String(error)}`);
          return undefined;
        });
    }
  }

  /** Who asks for jobs: sent with every lease request. */
  #identity(): { agent: string; name: string; labels: string[] } {
    return { agent: this.id, name: this.options.name, labels: this.options.labels };
  }

  /** Runs one job and reports it; returns the next job when the server handed one over with the answer. */
  async #run(lease: Lease): Promise<Lease | undefined> {
    this.#log(`leased ${lease.jobKey} of run ${lease.runNumber} (attempt ${lease.attempt})`);
    const controller = new AbortController();
    this.#running.set(lease.leaseId, controller);
    let lost = false;
    const markLost = () => {
      lost = true;
      controller.abort();
    };
    const heartbeat = setInterval(
      () => {
        this.#client
          .call<{ cancel: boolean }>("POST", `/api/agent/leases/${lease.leaseId}/heartbeat`, {
            timeoutMs: 10_000,
          })
          .then((r) => {
            if (r.body.cancel) controller.abort();
          })
          .catch((error: unknown) => {
            if (error instanceof ServerError && error.status === 409) markLost();
          });
      },
      Math.max(200, Math.floor(lease.leaseMs / 4)),
    );
    const workspace = path.join(this.options.dataDir, "work", lease.leaseId);
    const uploader = new BatchUploader(this.#client, lease.leaseId, lease.attemptOffset, markLost);
    try {
      const result = await this.#execute(lease, workspace, uploader, controller.signal);
      await this.#upload(lease, result);
      const batch = await uploader.takeFinal();
      if (lost || uploader.lost) return undefined;
      // A stopping agent asks for nothing more; one that runs asks for its next job in the same request.
      const asking = this.#stopping.signal.aborted ? {} : { next: this.#identity() };
      const finished = await this.#client.call<{ accepted: boolean; next?: Lease }>(
        "POST",
        `/api/agent/leases/${lease.leaseId}/finish`,
        { body: { result: toWire(result), ...(batch ? { batch } : {}), ...asking } },
      );
      this.#log(`finished ${lease.jobKey}: ${result.status}`);
      return finished.body.next;
    } catch (error) {
      if (error instanceof ServerError && error.status === 409) return undefined;
      throw error;
    } finally {
      clearInterval(heartbeat);
      this.#running.delete(lease.leaseId);
      this.#cleanup(workspace);
    }
  }

  /**
   * The run's pipeline, loaded and planned once per agent from a pristine checkout of its commit;
   * each job then gets a copy of that checkout. Jobs of one run are many, commits few: loading
   * and git would otherwise dominate short jobs.
   */
  #prepare(lease: Lease): Promise<Prepared> {
    const key = JSON.stringify([lease.repo, lease.source]);
    let prepared = this.#prepared.get(key);
    if (prepared === undefined) {
      const dir = path.join(
        this.options.dataDir,
        "pristine",
        createHash("sha256").update(key).digest("hex").slice(0, 16),
      );
      prepared = (async () => {
        await rm(dir, { recursive: true, force: true });
        await this.#checkouts.checkout(lease.repo, lease.source.sha, lease.source.ref, dir);
        const loaded = await loadRunSource(dir, lease.source);
        const jobs = lease.source.frontEnd === "gitlab" ? [] : lease.source.jobs;
        // Listed once: each job's copy then costs a copy per file and nothing more.
        return { dir, files: await listFiles(dir), loaded, plan: planPipeline(loaded.pipeline, jobs) };
      })();
      prepared.catch(() => this.#prepared.delete(key));
      this.#prepared.set(key, prepared);
      // Keep the few most recent commits; older pristine checkouts go.
      for (const [old, entry] of this.#prepared) {
        if (this.#prepared.size <= KEPT_PREPARED) break;
        this.#prepared.delete(old);
        void entry.then((p) => rm(p.dir, { recursive: true, force: true })).catch(() => undefined);
      }
    }
    return prepared;
  }

  async #execute(
    lease: Lease,
    workspace: string,
    uploader: BatchUploader,
    signal: AbortSignal,
  ): Promise<JobResult> {
    const { dir, files, loaded, plan } = await this.#prepare(lease);
    await mkdir(workspace, { recursive: true });
    await copyFiles(dir, workspace, files);
    const target = plan.jobs.find((j) => j.key === lease.jobKey);
    if (!target) throw new Error(`job ${lease.jobKey} is not in the pipeline at ${lease.source.sha}`);
    const needed = new Set(lease.needs.map((n) => n.key));
    const prior = await Promise.all(lease.needs.map((need) => this.#fetchNeed(lease, need)));
    const jobs: PlannedJob[] = plan.jobs.filter((j) => j === target || needed.has(j.key));
    const baseEnv: Record<string, string> = {};
    for (const name of INHERITED_ENV) {
      const value = process.env[name];
      if (value !== undefined) baseEnv[name] = value;
    }
    if (this.options.cliPath) {
      baseEnv.SLIPWAY_NODE = process.execPath;
      baseEnv.SLIPWAY_CLI = this.options.cliPath;
    }
    const declared = new Set(loaded.pipeline.secrets);
    const secrets = Object.fromEntries(Object.entries(lease.secrets).filter(([name]) => declared.has(name)));
    const engine = new Engine(
      { pipeline: loaded.pipeline, jobs },
      {
        executor: this.#executor,
        store: new AgentStore(await this.#localStore(), this.#client, lease.leaseId),
        dataDir: this.options.dataDir,
        run: { ...lease.run, commit: lease.run.commit, workspace },
        concurrency: 1,
        useCache: true,
        remoteCache: serverCache(this.#client, lease.leaseId),
        secrets,
        baseEnv,
        observer: uploader,
        signal,
        runNumber: lease.runNumber,
        priorResults: prior,
        announce: false,
        ...(loaded.dialect ? { dialect: loaded.dialect } : {}),
      },
    );
    const result = await engine.run();
    const job = result.jobs.get(lease.jobKey);
    if (!job) throw new Error(`the engine did not run ${lease.jobKey}`);
    return job;
  }

  /** A needed job's result, with its artifacts downloaded to this machine. */
  async #fetchNeed(lease: Lease, need: WireJobResult): Promise<JobResult> {
    const dir = path.join(
      this.options.dataDir,
      "needs",
      lease.leaseId,
      need.key.replace(/[^A-Za-z0-9_.-]+/g, "_"),
    );
    const artifacts = [];
    for (const artifact of need.artifacts) {
      const target = path.join(dir, artifact.path);
      const content = await this.#client.download(
        `/api/agent/artifacts/${encodeURIComponent(lease.run.id)}/${encodeURIComponent(need.key)}?path=${encodeURIComponent(artifact.path)}`,
      );
      if (content === undefined)
        throw new Error(`the server has no artifact ${artifact.path} of ${need.key}`);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
      artifacts.push({
        runId: lease.run.id,
        jobKey: need.key,
        path: artifact.path,
        sizeBytes: artifact.sizeBytes,
        storedAt: target,
      });
    }
    return {
      key: need.key,
      status: need.status,
      outputs: need.outputs,
      resultHash: need.resultHash,
      cacheHit: need.cacheHit,
      artifacts,
    };
  }

  async #upload(lease: Lease, result: JobResult): Promise<void> {
    for (const artifact of result.artifacts) {
      await this.#client.call(
        "PUT",
        `/api/agent/leases/${lease.leaseId}/artifacts?path=${encodeURIComponent(artifact.path)}`,
        {
          raw: await readFile(artifact.storedAt),
        },
      );
    }
    if (lease.needs.some((n) => n.artifacts.length > 0)) {
      await rm(path.join(this.options.dataDir, "needs", lease.leaseId), { recursive: true, force: true });
    }
  }

  /** Removes a finished job's workspace while the agent already asks for its next job. */
  #cleanup(dir: string): void {
    const removal = rm(dir, { recursive: true, force: true })
      .catch((error: unknown) => this.#log(`cannot remove ${dir}: ${(error as Error).message}`))
      .finally(() => this.#removing.delete(removal));
    this.#removing.add(removal);
  }

  /** The agent's own store: only its cache entries live there. */
  #localStore(): Promise<Store> {
    this.#cacheStore ??= openStore({ kind: "sqlite", file: path.join(this.options.dataDir, "agent.db") });
    return this.#cacheStore;
  }

  #log(message: string): void {
    this.options.log?.(message);
  }
}

/**
 * The server's cache for the project of a lease: entries one agent saved are hits on every other.
 * Reached through the lease, so an agent only reads and writes the cache of the job it runs.
 */
function serverCache(client: ApiClient, leaseId: string): RemoteCache {
  const route = (key: string) =>
    `/api/agent/leases/${encodeURIComponent(leaseId)}/cache/${encodeURIComponent(key)}`;
  return {
    fetch: (key) => client.download(route(key), { timeoutMs: CACHE_TRANSFER_MS }),
    store: async (key, jobId, archive) => {
      await client.call("PUT", `${route(key)}?job=${encodeURIComponent(jobId)}`, {
        raw: archive,
        timeoutMs: CACHE_TRANSFER_MS,
      });
    },
  };
}

/** Cache archives can be large: they get longer than an API call. */
const CACHE_TRANSFER_MS = 10 * 60_000;

/** How many commits' pipelines and checkouts an agent keeps ready. */
const KEPT_PREPARED = 8;

interface Prepared {
  /** A checkout of the commit, copied for each job. */
  dir: string;
  files: { path: string; stat: Stats }[];
  loaded: SourcePipeline;
  plan: Plan;
}

function toWire(result: JobResult): WireJobResult {
  return {
    key: result.key,
    status: result.status,
    outputs: result.outputs,
    resultHash: result.resultHash,
    cacheHit: result.cacheHit,
    artifacts: result.artifacts.map((a) => ({ path: a.path, sizeBytes: a.sizeBytes })),
  };
}

/**
 * The store an agent's engine writes to: events and logs go through the uploader (the engine's
 * observer), test results to the server, cache entries to the agent's own SQLite store.
 * Artifacts are uploaded once the job ends (the server records them then); the history is read
 * on the server, never here.
 */
class AgentStore implements Store {
  constructor(
    private readonly local: Store,
    private readonly client: ApiClient,
    private readonly leaseId: string,
  ) {}

  get control(): Store["control"] {
    return this.local.control;
  }

  get terraform(): Store["terraform"] {
    return this.local.terraform;
  }

  get deliveries(): Store["deliveries"] {
    return this.local.deliveries;
  }

  markInterrupted(): Promise<string[]> {
    return Promise.resolve([]);
  }
  recordEvents(): Promise<void> {
    return Promise.resolve();
  }
  appendLogs(): Promise<void> {
    return Promise.resolve();
  }
  async recordTestResults(
    _runId: string,
    _jobKey: string,
    results: readonly TestCaseResult[],
  ): Promise<void> {
    await this.client.call("POST", `/api/agent/leases/${this.leaseId}/tests`, {
      body: {
        results: results.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined))),
      },
    });
  }
  recordArtifacts(): Promise<void> {
    return Promise.resolve();
  }
  getCacheEntry(key: string) {
    return this.local.getCacheEntry(key);
  }
  putCacheEntry(entry: Parameters<Store["putCacheEntry"]>[0]) {
    return this.local.putCacheEntry(entry);
  }
  listRuns() {
    return this.local.listRuns();
  }
  getRun(id: string) {
    return this.local.getRun(id);
  }
  listJobs(runId: string) {
    return this.local.listJobs(runId);
  }
  listSteps(runId: string) {
    return this.local.listSteps(runId);
  }
  readLogs(query: Parameters<Store["readLogs"]>[0]) {
    return this.local.readLogs(query);
  }
  readLogsAfter(runId: string, runSeq: number, limit: number) {
    return this.local.readLogsAfter(runId, runSeq, limit);
  }
  listTestResults(runId: string) {
    return this.local.listTestResults(runId);
  }
  listArtifacts(runId: string) {
    return this.local.listArtifacts(runId);
  }
  listEvents(runId: string, after?: number) {
    return this.local.listEvents(runId, after);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export function defaultAgentName(): string {
  return `${os.hostname()}-${randomUUID().slice(0, 6)}`;
}
