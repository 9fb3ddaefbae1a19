import { randomUUID } from "node:crypto";
import type { FastifyReply } from "fastify";
import { z } from "zod";
import type { EngineEvent, TestCaseResult } from "../pipeline/events.js";
import type { RunSource } from "../pipeline/run-source.js";
import type { LeaseBatch, QueuedJob, RunRecord, Store } from "../store/index.js";
import { decryptSecret } from "../secrets/crypto.js";
import { artifactKey, relativePath } from "../store/blobs.js";
import type { BlobStore } from "../store/blobs.js";
import { HttpError } from "./http.js";
import type { RouteRequest, Router } from "./http.js";
import type { Principal } from "./auth.js";
import type { Live } from "./live.js";
import { topics } from "./live.js";
import {
  batchSchema,
  finishResponseSchema,
  finishSchema,
  heartbeatResponseSchema,
  leaseRequestSchema,
  leaseSchema,
  testsSchema,
} from "./protocol.js";
import type { JobPayload, Lease, WireJobResult } from "./protocol.js";

/** A lease lasts this long without a heartbeat; agents renew it every third of it. */
export const LEASE_MS = 60_000;

export interface AgentApiOptions {
  store: Store;
  blobs: BlobStore;
  dataDir: string;
  live: Live;
  secretKey: Buffer | undefined;
  leaseMs?: number;
  onLease?(job: QueuedJob): void;
  onStepFinished?(job: LeasedJob, status: string, durationMs: number): void;
  /** A job's result was recorded through this server. */
  onFinished?(job: QueuedJob): void;
  /**
   * Reads what the server keeps from a job's events beyond the run's history (drift status from
   * step reports), for the job the lease is for. Called for a batch applied now and for one sent
   * again, so what a failure here missed is read on the agent's retry: it must be idempotent.
   */
  onEvents?(job: LeasedJob, events: readonly EngineEvent[], request: RouteRequest): Promise<void>;
  /** An error the agent's request does not report (it came after the job's result was recorded). */
  onError?(error: unknown, context: string): void;
  /** Aborted when the server shuts down: long polls answer at once. */
  closing?: AbortSignal;
}

const leaseParams = z.object({ id: z.string().min(1) });

/** What a lease is for; fixed for the lease's life. */
export type LeasedJob = Pick<QueuedJob, "runId" | "jobKey" | "project">;

/** Leases given out recently, by id: batches and results of a lease need not read its row first. */
const LEASES_KEPT = 10_000;
const SEEN_EVERY_MS = 5_000;

/** The routes agents call. Every one needs an agent token; user tokens are refused. */
export function agentRoutes(router: Router, options: AgentApiOptions): void {
  const { store, live } = options;
  const leaseMs = options.leaseMs ?? LEASE_MS;
  const seen = new Map<string, number>();
  const control = store.control;

  /** The lease, if the caller's agent still holds it. */
  const held = async (leaseId: string): Promise<QueuedJob> => {
    const job = await control.getLease(leaseId);
    if (job === undefined || job.status !== "leased") throw gone();
    return job;
  };
  const gone = () =>
    new HttpError(409, "this lease is no longer held: the job was re-queued, cancelled or finished");

  /**
   * The job a lease is for. Leases given out by this server are known without a query; whether
   * the lease is still held is decided by the write that follows.
   */
  const known = new Map<string, LeasedJob>();
  const remember = (leaseId: string, job: LeasedJob) => {
    if (known.size >= LEASES_KEPT) known.delete(known.keys().next().value!);
    known.set(leaseId, { runId: job.runId, jobKey: job.jobKey, project: job.project });
  };
  const leased = async (leaseId: string): Promise<LeasedJob> => known.get(leaseId) ?? held(leaseId);

  /** The batch as the store takes it, after checking that it is the leased job's. */
  const checked = (job: LeasedJob, body: z.infer<typeof batchSchema>): LeaseBatch => {
    const foreign = [...body.events, ...body.logs].find(
      (e) => e.runId !== job.runId || e.jobKey !== job.jobKey,
    );
    if (foreign)
      throw new HttpError(400, `the batch holds ${foreign.runId}/${foreign.jobKey}, not the leased job`);
    return { batch: body.batch, events: body.events as unknown as EngineEvent[], logs: body.logs };
  };

  /** After a batch is stored: step metrics, and live readers woken. */
  const applied = (job: LeasedJob, batch: LeaseBatch) => {
    for (const event of batch.events) {
      if (event.type === "step.finished") options.onStepFinished?.(job, event.status, event.durationMs);
    }
    live.notify(topics.run(job.runId));
  };

  /** Notes an agent's contact, to the nearest few seconds: a write per lease would cost a busy agent a transaction per job. */
  const see = async (
    agent: { agent: string; name: string; labels: string[] },
    principal: Principal | undefined,
  ) => {
    if ((seen.get(agent.agent) ?? 0) >= Date.now() - SEEN_EVERY_MS) return;
    seen.set(agent.agent, Date.now());
    await control.seeAgent({
      id: agent.agent,
      name: agent.name,
      labels: agent.labels,
      tokenId: principal?.tokenId ?? "",
      now: Date.now(),
    });
  };

  /** Leases a queued job to the agent at once, or undefined when none of its jobs is queued. */
  const leaseNow = async (
    agent: { agent: string; labels: string[] },
    reply: FastifyReply,
  ): Promise<Lease | undefined> => {
    const now = Date.now();
    const job = await control.lease({
      agent: agent.agent,
      labels: agent.labels,
      leaseId: randomUUID(),
      now,
      until: now + leaseMs,
    });
    if (!job) return undefined;
    const leaseId = job.leaseId ?? "";
    // An agent that hung up while the job was being leased to it never learns of the lease:
    // the job goes back to the queue at once instead of waiting for the lease to run out.
    reply.raw.on("close", () => {
      if (reply.raw.writableFinished) return;
      void control.releaseLease(leaseId).then((released) => {
        if (released) live.notify(topics.queue);
      });
    });
    remember(leaseId, job);
    options.onLease?.(job);
    live.notify(topics.run(job.runId));
    return leaseFor(job, options, leaseMs);
  };

  router.add({
    method: "POST",
    url: "/api/agent/lease",
    summary: "Wait for a job matching the agent's labels and lease it",
    access: "agent",
    body: leaseRequestSchema,
    response: leaseSchema,
    handler: async ({ body, principal, reply }) => {
      const deadline = Date.now() + body.waitMs;
      await see(body, principal);
      const gone = new AbortController();
      // The response's close says the agent hung up; the request's fires once its body is read.
      reply.raw.on("close", () => gone.abort());
      for (;;) {
        if (gone.signal.aborted || options.closing?.aborted) return reply.status(204).send();
        const now = Date.now();
        const lease = await leaseNow(body, reply);
        if (lease) return lease;
        if (now >= deadline || gone.signal.aborted) return reply.status(204).send();
        await live.wait(
          topics.queue,
          Math.min(500, deadline - now),
          options.closing ? AbortSignal.any([gone.signal, options.closing]) : gone.signal,
        );
      }
    },
  });

  router.add({
    method: "POST",
    url: "/api/agent/leases/:id/heartbeat",
    summary: "Extend a lease; the answer says whether the job was cancelled",
    access: "agent",
    params: leaseParams,
    response: heartbeatResponseSchema,
    handler: async ({ params }) => {
      const beat = await control.heartbeat(params.id, Date.now() + leaseMs);
      if (!beat) throw new HttpError(409, "this lease is no longer held");
      return { cancel: beat.cancel, leaseMs };
    },
  });

  router.add({
    method: "POST",
    url: "/api/agent/leases/:id/batches",
    summary: "Append the job's events and log lines (one batch, applied once)",
    access: "agent",
    params: leaseParams,
    body: batchSchema,
    handler: async (request) => {
      const { params, body } = request;
      const job = await leased(params.id);
      const batch = checked(job, body);
      const outcome = await control.ingest(params.id, batch);
      if (outcome === "lease-lost") throw gone();
      if (outcome === "applied") applied(job, batch);
      await options.onEvents?.(job, batch.events, request);
      return { outcome };
    },
  });

  router.add({
    method: "POST",
    url: "/api/agent/leases/:id/tests",
    summary: "Store the job's test results",
    access: "agent",
    params: leaseParams,
    body: testsSchema,
    handler: async ({ params, body }) => {
      const job = await held(params.id);
      const results: TestCaseResult[] = body.results.map((r) => ({
        ...r,
        classname: r.classname,
        file: r.file,
        message: r.message,
        details: r.details,
      }));
      await store.recordTestResults(job.runId, job.jobKey, results);
      return { stored: results.length };
    },
  });

  router.add({
    method: "PUT",
    url: "/api/agent/leases/:id/artifacts",
    summary: "Upload one artifact file of the job (raw body)",
    access: "agent",
    params: leaseParams,
    query: z.object({ path: z.string().min(1) }),
    rawBody: true,
    handler: async ({ params, query, body }) => {
      const job = await held(params.id);
      const relative = safeRelative(query.path);
      const data = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      const stored = await options.blobs.put(artifactKey(job.runId, job.jobKey, relative), data);
      await store.recordArtifacts([
        {
          runId: job.runId,
          jobKey: job.jobKey,
          path: relative,
          sizeBytes: data.length,
          storedAt: stored.location,
        },
      ]);
      return { path: relative, sizeBytes: data.length };
    },
  });

  router.add({
    method: "GET",
    url: "/api/agent/artifacts/:run/:job",
    summary: "Download an artifact of a job (for the jobs that need it)",
    access: "agent",
    params: z.object({ run: z.string(), job: z.string() }),
    query: z.object({ path: z.string().min(1) }),
    handler: async ({ params, query, reply }) => {
      const content = await options.blobs.get(artifactKey(params.run, params.job, safeRelative(query.path)));
      if (!content) throw new HttpError(404, `no artifact ${query.path} of ${params.job}`);
      return reply.header("content-type", "application/octet-stream").send(content);
    },
  });

  const cacheParams = z.object({
    id: z.string().min(1),
    key: z.string().regex(/^[0-9a-f]{64}$/, "a cache key is 64 lowercase hex digits"),
  });

  router.add({
    method: "GET",
    url: "/api/agent/leases/:id/cache/:key",
    summary: "Download a cache entry's archive, from the cache of the leased job's project",
    access: "agent",
    params: cacheParams,
    handler: async ({ params, reply }) => {
      const job = await held(params.id);
      const content = await options.blobs.get(cacheBlobKey(job.project, params.key));
      if (!content) throw new HttpError(404, `no cache entry ${params.key.slice(0, 12)}`);
      return reply.header("content-type", "application/octet-stream").send(content);
    },
  });

  router.add({
    method: "PUT",
    url: "/api/agent/leases/:id/cache/:key",
    summary: "Store a cache entry's archive (raw body) in the cache of the leased job's project",
    access: "agent",
    params: cacheParams,
    query: z.object({ job: z.string().min(1) }),
    rawBody: true,
    handler: async ({ params, query, body }) => {
      const job = await held(params.id);
      const data = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      if (data.length === 0) throw new HttpError(400, "a cache entry's archive cannot be empty");
      // The archive first, then the row: an entry listed always has its archive.
      const stored = await options.blobs.put(cacheBlobKey(job.project, params.key), data);
      await store.putCacheEntry({
        key: `${job.project}/${params.key}`,
        jobId: query.job,
        path: stored.location,
        outputs: {},
        createdAt: Date.now(),
        sizeBytes: data.length,
      });
      return { key: params.key, sizeBytes: data.length };
    },
  });

  router.add({
    method: "POST",
    url: "/api/agent/leases/:id/finish",
    summary: "Report the job's result; accepted once, from the lease holder only",
    access: "agent",
    params: leaseParams,
    body: finishSchema,
    response: finishResponseSchema,
    handler: async (request) => {
      const { params, body, principal, reply } = request;
      const job = await leased(params.id);
      const batch = body.batch === undefined ? undefined : checked(job, body.batch);
      if (body.result.key !== job.jobKey)
        throw new HttpError(400, `the result is for ${body.result.key}, not ${job.jobKey}`);
      const outcome = await control.finish(params.id, body.result satisfies WireJobResult, Date.now(), batch);
      if (batch && outcome.batch === "applied") applied(job, batch);
      if (batch && (outcome.batch === "applied" || outcome.batch === "duplicate") && options.onEvents) {
        // The result is recorded: a retried finish would be refused, so a failure here is only logged.
        await options
          .onEvents(job, batch.events, request)
          .catch((error: unknown) => options.onError?.(error, "reading the job's last events"));
      }
      if (!outcome.finished || outcome.job === undefined) throw gone();
      known.delete(params.id);
      options.onFinished?.(outcome.job);
      live.notify(topics.job(job.runId, job.jobKey));
      live.notify(topics.run(job.runId));
      // Its concurrency group is free: a job waiting for it may be leased now.
      live.notify(topics.queue);
      // The agent's next job in the same answer: a request per job instead of two.
      if (body.next) await see(body.next, principal);
      const next = body.next && !options.closing?.aborted ? await leaseNow(body.next, reply) : undefined;
      return { accepted: true, ...(next ? { next } : {}) };
    },
  });
}

/**
 * What every lease of a run repeats (its record and how to load its pipeline), read once per run
 * for a while: none of it changes after the run is created.
 */
const runFacts = new Map<
  string,
  { at: number; facts: Promise<{ run: RunRecord; spec: { repo: string; source: RunSource } }> }
>();
const RUN_FACTS_MS = 60_000;

function factsOf(store: Store, runId: string) {
  const now = Date.now();
  const cached = runFacts.get(runId);
  if (cached && cached.at > now - RUN_FACTS_MS) return cached.facts;
  const facts = (async () => {
    const [run, control] = await Promise.all([store.getRun(runId), store.control.getRunControl(runId)]);
    if (!run || !control?.spec) throw new HttpError(500, `run ${runId} of a leased job is missing`);
    return { run, spec: control.spec as { repo: string; source: RunSource } };
  })();
  facts.catch(() => runFacts.delete(runId));
  if (runFacts.size > 1_000) runFacts.clear();
  runFacts.set(runId, { at: now, facts });
  return facts;
}

async function leaseFor(job: QueuedJob, options: AgentApiOptions, leaseMs: number): Promise<Lease> {
  const { store } = options;
  const [{ run, spec }, offset] = await Promise.all([
    factsOf(store, job.runId),
    // A first attempt has nothing before it to number after.
    job.attempt === 1 ? 0 : store.control.lastStepAttempt(job.runId, job.jobKey),
  ]);
  const payload = job.payload as Partial<JobPayload>;
  const needKeys = payload.needs ?? [];
  const needs: WireJobResult[] = [];
  for (const key of needKeys) {
    const finished = (await store.control.jobAttempts(job.runId, key)).findLast(
      (a) => a.status === "finished",
    );
    if (finished) needs.push(finished.result as WireJobResult);
    else {
      const record = (await store.listJobs(job.runId)).find((j) => j.key === key);
      needs.push({
        key,
        status: record?.status ?? "skipped",
        outputs: record?.outputs ?? {},
        resultHash: "",
        cacheHit: false,
        artifacts: [],
      });
    }
  }
  return {
    leaseId: job.leaseId ?? "",
    leaseMs,
    project: job.project,
    repo: spec.repo,
    source: spec.source,
    run: {
      id: run.id,
      pipelineName: run.pipelineName,
      file: run.file,
      frontEnd: run.frontEnd,
      projectDir: run.projectDir,
      workspace: run.workspace,
      ...(run.commit ? { commit: run.commit } : {}),
      dirty: run.dirty,
      trigger: run.trigger,
      actor: run.actor,
    },
    runNumber: run.number,
    jobKey: job.jobKey,
    attempt: job.attempt,
    attemptOffset: offset,
    needs,
    secrets: await projectSecrets(options, job.project, payload.secrets),
  };
}

/**
 * The project's secrets the job's pipeline declares, decrypted for one job (all of them for a
 * job queued before payloads named them; the agent keeps the declared ones).
 */
async function projectSecrets(
  options: AgentApiOptions,
  project: string,
  declared: readonly string[] | undefined,
): Promise<Record<string, string>> {
  const names = declared ?? (await options.store.control.listSecretNames(project)).map((s) => s.name);
  if (names.length === 0 || options.secretKey === undefined) return {};
  const encrypted = await options.store.control.getSecrets(project, names);
  const key = options.secretKey;
  return Object.fromEntries(
    Object.entries(encrypted).map(([name, value]) => [
      name,
      decryptSecret(key, value, secretContext(project, name)),
    ]),
  );
}

/** Cache entries are kept per project: one project's jobs can never restore another's files. */
function cacheBlobKey(project: string, key: string): string {
  return `shared-cache/${project}/${key}.tgz`;
}

export function secretContext(project: string, name: string): string {
  return `secret/${project}/${name}`;
}

/** An artifact path inside the job's directory: relative, without `..`. */
export function safeRelative(given: string): string {
  const normal = relativePath(given);
  if (normal === undefined)
    throw new HttpError(400, `artifact path ${given} must be relative to the workspace`);
  return normal;
}
