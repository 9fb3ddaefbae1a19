import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Fastify, { LogController } from "fastify";
import type { FastifyBaseLogger } from "fastify";
import { writeFileAtomic } from "../config/atomic-write.js";
import { Checkouts } from "../pipeline/checkout.js";
import { generateKeyFile, loadKey, SECRET_KEY_ENV } from "../secrets/crypto.js";
import { openStore, storeLocation } from "../store/index.js";
import { FileBlobStore } from "../store/blobs.js";
import type { Store } from "../store/index.js";
import { createLogger, createServerMetrics, createTracing } from "../telemetry/index.js";
import type { Logger } from "../telemetry/index.js";
import { agentRoutes } from "./agent-api.js";
import { apiRoutes } from "./api.js";
import { Authenticator, createToken } from "./auth.js";
import { Coordinator } from "./coordinator.js";
import { errorHandler, openApiDocument, Router } from "./http.js";
import type { RegisteredRoute } from "./http.js";
import { Live } from "./live.js";
import { startRunnerPool } from "./runner-pool.js";
import { recordTerraformReports, terraformDriftRoutes } from "./terraform-drift.js";
import { DeliveryService } from "../delivery/service.js";
import { deliveryRoutes } from "./deliveries.js";
import { terraformStateRoutes } from "./terraform-state.js";
import { traceRun } from "./run-trace.js";
import { ServerTriggers, TRIGGER_EVERY_MS } from "./triggers.js";
import { findWebDir, webRoutes } from "./web.js";

export interface ServeOptions {
  dataDir: string;
  /** A postgres:// URL; default: SQLite in the data directory. */
  database?: string | undefined;
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Built-in agents in this process (the local runner pool). */
  runners: number;
  /** Lease length; tests shorten it to see expiry quickly. */
  leaseMs?: number | undefined;
  logger?: Logger;
  version: string;
  /** The CLI script, for built-in steps (slo-gate, check) that run Slipway. */
  cliPath?: string | undefined;
  /** OTLP/HTTP endpoint for traces (a span per run, job and step); default $OTEL_EXPORTER_OTLP_ENDPOINT, none if unset. */
  otlpEndpoint?: string | undefined;
  /** How often polling and schedules are checked; tests shorten it. */
  triggerEveryMs?: number | undefined;
  /** Keep the newest N versions of each Terraform state, pruning older ones on every write; default: every version. */
  terraformKeepVersions?: number | undefined;
  /** The built web UI (index.html and assets/); default: dist/web found next to this module; null: none. */
  webDir?: string | null | undefined;
}

export interface RunningServer {
  url: string;
  serverId: string;
  /** The admin token, when this start created it (an empty store). */
  adminToken: string | undefined;
  store: Store;
  routes: readonly RegisteredRoute[];
  /** The web UI's address; undefined when no built UI was found (then `/` says how to build it). */
  webUrl: string | undefined;
  close(): Promise<void>;
}

/**
 * Starts the control plane: the HTTP API on the store, the coordinator of server runs, and the
 * local runner pool. Everything it keeps is in the store and the data directory, so another
 * process started on them later (or beside it, on PostgreSQL) carries on.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  await mkdir(options.dataDir, { recursive: true });
  const store = await openStore(storeLocation(options.dataDir, options.database));
  const logger = options.logger ?? createLogger({ name: "slipway" });
  const serverId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  try {
    const secretKey = await serverKey(options.dataDir);
    const adminToken = await firstAdminToken(store, options.dataDir);
    const live = new Live();
    const blobs = new FileBlobStore(options.dataDir);
    const checkouts = new Checkouts(path.join(options.dataDir, "git"));
    const metrics = createServerMetrics();
    const endpoint = options.otlpEndpoint ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    const tracing = createTracing({ ...(endpoint ? { endpoint } : {}), serviceName: "slipway" });
    metrics.setQueueDepthSource(async () => (await store.control.queueCounts()).queued ?? 0);
    metrics.setJobStateSource(() => store.control.queueCounts());

    const coordinator = new Coordinator({
      store,
      dataDir: options.dataDir,
      serverId,
      live,
      checkouts,
      onError: (error, context) => logger.error({ err: error }, context),
      hooks: {
        jobFinished: (project, job, result) => {
          if (job.leasedAt !== undefined && job.finishedAt !== undefined) {
            metrics.jobDuration.observe(
              { project, job: job.jobKey, status: result.status },
              (job.finishedAt - job.leasedAt) / 1000,
            );
          }
        },
        leaseExpired: (job) => {
          metrics.leaseExpiries.inc();
          logger.warn(
            { run: job.runId, job: job.jobKey, attempt: job.attempt, agent: job.agent },
            "lease expired",
          );
        },
        runFinished: (project, runId, status) => {
          logger.info({ project, run: runId, status }, "run finished");
          void traceRun(tracing, store, runId).catch((error: unknown) =>
            logger.warn({ err: error }, "tracing a run"),
          );
        },
      },
    });

    const app = Fastify({
      loggerInstance: logger as FastifyBaseLogger,
      // Requests are measured by the metrics hook; a log line for each would drown the log.
      logController: new LogController({ disableRequestLogging: true }),
      // Live streams and long polls never end on their own: closing the server ends them.
      forceCloseConnections: true,
      bodyLimit: 512 * 1024 * 1024,
    });
    // Webhooks are verified over the exact bytes received, so JSON bodies keep them.
    app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
      (request as typeof request & { rawBody?: Buffer }).rawBody = body as Buffer;
      if ((body as Buffer).length === 0) return done(null, {});
      try {
        done(null, JSON.parse((body as Buffer).toString("utf8")));
      } catch {
        const error = new Error("the body is not valid JSON") as Error & { statusCode: number };
        error.statusCode = 400;
        done(error, undefined);
      }
    });
    app.addContentTypeParser("application/octet-stream", { parseAs: "buffer" }, (_request, body, done) =>
      done(null, body),
    );
    app.setErrorHandler(errorHandler);
    app.addHook("onResponse", async (request, reply) => {
      metrics.httpRequestDuration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? "unmatched",
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
    });

    const closing = new AbortController();
    const auth = new Authenticator(store.control);
    const router = new Router(app, auth);
    apiRoutes(router, {
      store,
      blobs,
      coordinator,
      checkouts,
      live,
      secretKey,
      metrics,
      version: options.version,
    });
    agentRoutes(router, {
      store,
      blobs,
      dataDir: options.dataDir,
      live,
      secretKey,
      ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
      closing: closing.signal,
      onStepFinished: (job, status, durationMs) =>
        metrics.stepDuration.observe({ project: job.project, job: job.jobKey, status }, durationMs / 1000),
      onFinished: (job) => coordinator.jobFinished(job),
      onEvents: (job, events, request) => recordTerraformReports(store, job, events, request),
      onError: (error, context) => logger.error({ err: error }, context),
    });
    const delivery = new DeliveryService({
      store,
      dataDir: options.dataDir,
      registry: metrics.registry,
      onError: (error, context) => logger.error({ err: error }, context),
      onNotice: (message) => logger.info(message),
    });
    deliveryRoutes(router, { store, delivery });
    terraformStateRoutes(router, { store, secretKey, keepVersions: options.terraformKeepVersions });
    terraformDriftRoutes(router, { store });
    router.add({
      method: "GET",
      url: "/api/openapi.json",
      summary: "This API's OpenAPI document",
      access: { role: "viewer", project: () => "*" },
      handler: () => Promise.resolve(openApiDocument(router.routes, options.version)),
    });
    const webDir = options.webDir === null ? undefined : (options.webDir ?? findWebDir());
    await webRoutes(app, webDir);

    const address = await app.listen({ host: options.host ?? "127.0.0.1", port: options.port });
    const url = address.replace("[::1]", "127.0.0.1");
    coordinator.start();
    await delivery.restore();
    const pool =
      options.runners > 0
        ? await startRunnerPool({
            url,
            store,
            dataDir: options.dataDir,
            count: options.runners,
            cliPath: options.cliPath,
            onError: (error) => logger.error({ err: error }, "local runner"),
          })
        : undefined;
    const triggers = new ServerTriggers({
      store,
      checkouts,
      onError: (error, context) => logger.error({ err: error }, context),
      trigger: async (project, request, source) => {
        const result = await coordinator.trigger(project, request);
        await store.control.appendAudit({
          actor: `server:${source}`,
          action: "run.trigger",
          target: project.name,
          project: project.name,
          source: serverId,
          details: {
            event: request.event,
            ref: request.ref,
            sha: result.sha,
            runs: result.runs.map((r) => r.id),
          },
        });
      },
    });
    let ticking = false;
    const triggerTimer = setInterval(() => {
      if (ticking) return;
      ticking = true;
      void triggers.tick().finally(() => (ticking = false));
    }, options.triggerEveryMs ?? TRIGGER_EVERY_MS);
    triggerTimer.unref();
    const agentsGauge = setInterval(() => {
      void store.control.listAgents().then((agents) => {
        metrics.agentsConnected.set(agents.filter((a) => a.lastSeenAt > Date.now() - 60_000).length);
      });
    }, 5_000);
    agentsGauge.unref();

    let closed: Promise<void> | undefined;
    return {
      url,
      serverId,
      adminToken,
      store,
      routes: router.routes,
      webUrl: webDir !== undefined ? `${url}/` : undefined,
      close: () =>
        (closed ??= (async () => {
          closing.abort();
          clearInterval(agentsGauge);
          clearInterval(triggerTimer);
          await pool?.close();
          await coordinator.close();
          await delivery.close();
          await app.close();
          await tracing.shutdown().catch((error: unknown) => logger.warn({ err: error }, "flushing traces"));
          await store.close();
        })()),
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** The key secrets are encrypted with: SLIPWAY_SECRET_KEY, else `<data-dir>/secret.key` (made on first start). */
async function serverKey(dataDir: string): Promise<Buffer> {
  const keyFile = path.join(dataDir, "secret.key");
  if (!process.env[SECRET_KEY_ENV] && !existsSync(keyFile)) return generateKeyFile(keyFile);
  return loadKey({ keyFile });
}

/**
 * On an empty store, the first admin token: returned to be printed once, and written to
 * `<data-dir>/admin-token` readable by the owner only.
 */
async function firstAdminToken(store: Store, dataDir: string): Promise<string | undefined> {
  if ((await store.control.countTokens()) > 0) return undefined;
  const { token } = await createToken(store.control, {
    kind: "user",
    name: "admin",
    role: "admin",
    createdBy: "slipway serve (first start)",
  });
  await writeSecretFile(path.join(dataDir, "admin-token"), `${token}\n`);
  return token;
}

/** Writes a file only its owner can read, whole or not at all. */
export async function writeSecretFile(file: string, content: string): Promise<void> {
  await writeFileAtomic(file, content, 0o600);
}
