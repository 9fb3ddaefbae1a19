import { randomBytes, randomUUID } from "node:crypto";
import { z } from "zod";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Checkouts } from "../pipeline/checkout.js";
import type { RunSource } from "../pipeline/run-source.js";
import type { JobRecord, ProjectRecord, RunRecord, Store } from "../store/index.js";
import type { ServerMetrics } from "../telemetry/index.js";
import { encryptSecret, decryptSecret } from "../secrets/crypto.js";
import { allows, createToken, ROLES, visibleProjects } from "./auth.js";
import type { Principal, Role } from "./auth.js";
import type { Coordinator, TriggerRequest } from "./coordinator.js";
import { HttpError } from "./http.js";
import type { RouteRequest, Router } from "./http.js";
import type { Live } from "./live.js";
import { topics } from "./live.js";
import { safeRelative, secretContext } from "./agent-api.js";
import {
  agentView,
  artifactView,
  auditView,
  logLineView,
  runDetailView,
  runStatus,
  runView,
  testResultView,
  triggerResultView,
  whoamiView,
} from "./api-views.js";
import { artifactKey } from "../store/blobs.js";
import type { BlobStore } from "../store/blobs.js";
import path from "node:path";
import {
  GENERIC_DELIVERY_HEADER,
  GENERIC_SIGNATURE_HEADER,
  GENERIC_TIMESTAMP_HEADER,
  genericWebhook,
  githubWebhook,
  gitlabWebhook,
  verifyGeneric,
  verifyGithubSignature,
  verifyGitlabToken,
} from "./webhooks/index.js";
import type { WebhookOutcome } from "./webhooks/index.js";

export interface ApiOptions {
  store: Store;
  blobs: BlobStore;
  coordinator: Coordinator;
  checkouts: Checkouts;
  live: Live;
  secretKey: Buffer;
  metrics: ServerMetrics;
  version: string;
}

const projectName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,62}$/,
    "lower-case letters, digits, '.', '_' and '-', starting with a letter or digit",
  );

const runParams = z.object({ id: z.string().min(1) });

/** Records a change of state: who, what, when, from where. */
export async function audit(
  store: Store,
  request: { principal: Principal | undefined; raw: FastifyRequest },
  action: string,
  target: string,
  project: string | undefined,
  details: Record<string, unknown> = {},
): Promise<void> {
  await store.control.appendAudit({
    actor: request.principal ? `${request.principal.kind}:${request.principal.name}` : "anonymous",
    action,
    target,
    project,
    source: request.raw.ip,
    details,
  });
}

export function apiRoutes(router: Router, options: ApiOptions): void {
  const { store, coordinator, live } = options;
  const control = store.control;

  // The run of a request is read once: access control needs its project, the handler the rest.
  const requestRuns = new WeakMap<object, Promise<RunRecord | undefined>>();
  const runOf = async (request: RouteRequest): Promise<RunRecord & { project: string }> => {
    const id = (request.params as { id: string }).id;
    let found = requestRuns.get(request.raw);
    if (found === undefined) {
      found = store.getRun(id);
      requestRuns.set(request.raw, found);
    }
    const run = await found;
    if (!run) throw new HttpError(404, `no run ${id}`);
    if (!run.project) throw new HttpError(404, `run ${id} is not a server run`);
    return { ...run, project: run.project };
  };
  const projectOfRun = async (request: RouteRequest): Promise<string | undefined> =>
    (await runOf(request)).project;
  const projectParam = (request: RouteRequest) => (request.params as { name: string }).name;
  const needProject = async (name: string): Promise<ProjectRecord> => {
    const project = await control.getProject(name);
    if (!project)
      throw new HttpError(404, `no project ${name}`, { hint: "slipway project add NAME --repo PATH_OR_URL" });
    return project;
  };

  router.add({
    method: "GET",
    url: "/healthz",
    summary: "Liveness: the server answers and its store does",
    access: "public",
    handler: async () => {
      await control.countTokens();
      return { status: "ok" };
    },
  });

  router.add({
    method: "GET",
    url: "/metrics",
    summary: "Prometheus metrics of the server",
    access: { role: "viewer" },
    handler: async ({ reply }) => {
      const text = await options.metrics.metricsText();
      return reply.header("content-type", options.metrics.contentType).send(text);
    },
  });

  router.add({
    method: "GET",
    url: "/api/whoami",
    summary: "The caller's token: name, role and project scope",
    access: { role: "viewer", project: () => "*" },
    response: whoamiView,
    handler: ({ principal }) => Promise.resolve(principal),
  });

  // Projects

  const projectView = (p: ProjectRecord) => ({
    name: p.name,
    repo: p.repo,
    defaultBranch: p.defaultBranch,
    pollSeconds: p.pollSeconds ?? null,
    createdAt: p.createdAt,
    createdBy: p.createdBy,
  });
  const projectSchema = z.object({
    name: z.string(),
    repo: z.string(),
    defaultBranch: z.string(),
    pollSeconds: z.number().nullable(),
    createdAt: z.number(),
    createdBy: z.string(),
  });

  router.add({
    method: "GET",
    url: "/api/projects",
    summary: "Projects the caller can see",
    access: { role: "viewer", project: () => "*" },
    response: z.array(projectSchema),
    handler: async ({ principal }) => {
      const visible = principal ? visibleProjects(principal) : [];
      const projects = await control.listProjects();
      return projects.filter((p) => visible === undefined || visible.includes(p.name)).map(projectView);
    },
  });

  router.add({
    method: "POST",
    url: "/api/projects",
    summary: "Register a git repository as a project",
    access: { role: "admin" },
    body: z.object({
      name: projectName,
      repo: z.string().min(1),
      defaultBranch: z.string().optional(),
      pollSeconds: z.number().int().min(1).optional(),
      webhookSecret: z.string().min(16).optional(),
    }),
    handler: async (request) => {
      const { body } = request;
      if (await control.getProject(body.name)) throw new HttpError(409, `project ${body.name} exists`);
      const defaultBranch = body.defaultBranch ?? (await options.checkouts.defaultBranch(body.repo));
      const webhookSecret = body.webhookSecret ?? randomBytes(24).toString("base64url");
      const project: ProjectRecord = {
        name: body.name,
        repo: body.repo,
        defaultBranch,
        webhookSecret: encryptSecret(options.secretKey, webhookSecret, `webhook/${body.name}`),
        pollSeconds: body.pollSeconds,
        polled: {},
        schedules: {},
        createdAt: Date.now(),
        createdBy: request.principal?.name ?? "",
      };
      if (!(await control.addProject(project))) throw new HttpError(409, `project ${body.name} exists`);
      await audit(store, request, "project.create", body.name, body.name, { repo: body.repo });
      request.reply.status(201);
      // The secret is shown once, to configure the webhook with.
      return { ...projectView(project), webhookSecret };
    },
  });

  router.add({
    method: "GET",
    url: "/api/projects/:name",
    summary: "One project",
    access: { role: "viewer", project: projectParam },
    params: z.object({ name: z.string() }),
    response: projectSchema,
    handler: async ({ params }) => projectView(await needProject(params.name)),
  });

  router.add({
    method: "POST",
    url: "/api/projects/:name/runs",
    summary: "Start runs of a project at a ref (every pipeline file that runs on the event, or one)",
    access: { role: "developer", project: projectParam },
    params: z.object({ name: z.string() }),
    body: z.object({
      ref: z.string().optional(),
      sha: z
        .string()
        .regex(/^[0-9a-f]{40}$/)
        .optional(),
      file: z.string().optional(),
      event: z.string().default("api"),
      inputs: z.record(z.string(), z.string()).default({}),
      variables: z.record(z.string(), z.string()).default({}),
      jobs: z.array(z.string()).default([]),
    }),
    response: triggerResultView,
    handler: async (request) => {
      const { params, body } = request;
      const project = await needProject(params.name);
      const ref = body.ref ?? `refs/heads/${project.defaultBranch}`;
      const trigger: TriggerRequest = {
        event: body.event,
        ref: ref.startsWith("refs/") ? ref : `refs/heads/${ref}`,
        sha: body.sha,
        inputs: body.inputs,
        variables: body.variables,
        actor: request.principal?.name ?? "api",
        file: body.file,
        jobs: body.jobs,
      };
      const result = await coordinator.trigger(project, trigger);
      await audit(store, request, "run.trigger", project.name, project.name, {
        ref: trigger.ref,
        sha: result.sha,
        event: trigger.event,
        runs: result.runs.map((r) => r.id),
      });
      request.reply.status(201);
      return result;
    },
  });

  // Secrets

  router.add({
    method: "PUT",
    url: "/api/projects/:name/secrets/:secret",
    summary: "Set a project secret (stored encrypted; given only to that project's jobs)",
    access: { role: "operator", project: projectParam },
    params: z.object({ name: z.string(), secret: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/) }),
    body: z.object({ value: z.string() }),
    handler: async (request) => {
      const { params, body } = request;
      await needProject(params.name);
      const value = encryptSecret(options.secretKey, body.value, secretContext(params.name, params.secret));
      await control.putSecret(params.name, params.secret, value, request.principal?.name ?? "", Date.now());
      await audit(store, request, "secret.set", `${params.name}/${params.secret}`, params.name);
      return { name: params.secret };
    },
  });

  router.add({
    method: "GET",
    url: "/api/projects/:name/secrets",
    summary: "Names of a project's secrets (never their values)",
    access: { role: "operator", project: projectParam },
    params: z.object({ name: z.string() }),
    handler: async ({ params }) => control.listSecretNames(params.name),
  });

  // Runs

  router.add({
    method: "GET",
    url: "/api/runs",
    summary: "Recent runs of the projects the caller can see",
    access: { role: "viewer", project: () => "*" },
    query: z.object({
      project: z.string().optional(),
      branch: z.string().min(1).optional(),
      status: runStatus.optional(),
      trigger: z.string().min(1).optional(),
      actor: z.string().min(1).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(50),
    }),
    response: z.array(runView),
    handler: async ({ query, principal }) => {
      const visible = principal ? visibleProjects(principal) : [];
      if (query.project && visible && !visible.includes(query.project)) return [];
      return store.listRuns({
        limit: query.limit,
        ...(query.branch !== undefined ? { branch: query.branch } : {}),
        ...(query.status !== undefined ? { status: query.status } : {}),
        ...(query.trigger !== undefined ? { trigger: query.trigger } : {}),
        ...(query.actor !== undefined ? { actor: query.actor } : {}),
        ...(query.project
          ? { project: query.project }
          : visible
            ? { projects: visible }
            : { projects: await allProjects() }),
      });
    },
  });
  const allProjects = async () => (await control.listProjects()).map((p) => p.name);

  router.add({
    method: "GET",
    url: "/api/runs/:id",
    summary: "A run with its jobs, steps and job attempts",
    access: { role: "viewer", project: projectOfRun },
    params: runParams,
    response: runDetailView,
    handler: async (request) => {
      const run = await runOf(request);
      const [jobs, steps, attempts] = await Promise.all([
        store.listJobs(run.id),
        store.listSteps(run.id),
        control.jobAttempts(run.id),
      ]);
      return {
        run,
        jobs: jobs.map((job) => ({
          ...job,
          steps: steps.filter((s) => s.jobKey === job.key),
          attempts: attempts
            .filter((a) => a.jobKey === job.key)
            .map((a) => ({
              attempt: a.attempt,
              status: a.status,
              agent: a.agent ?? null,
              enqueuedAt: a.enqueuedAt,
              leasedAt: a.leasedAt ?? null,
              finishedAt: a.finishedAt ?? null,
              reason: a.reason ?? null,
            })),
        })),
      };
    },
  });

  router.add({
    method: "POST",
    url: "/api/runs/:id/cancel",
    summary: "Cancel a run: queued jobs are dropped, running ones stopped by their agents",
    access: { role: "developer", project: projectOfRun },
    params: runParams,
    response: z.object({ cancelled: z.boolean() }),
    handler: async (request) => {
      const run = await runOf(request);
      const cancelled = await coordinator.cancel(run.id);
      await audit(store, request, "run.cancel", run.id, run.project, { number: run.number });
      return { cancelled };
    },
  });

  router.add({
    method: "POST",
    url: "/api/runs/:id/rerun",
    summary:
      "Run a finished run again as a new run of the same commit, pipeline file and inputs: all its jobs, or only the failed ones (with the jobs they need and the jobs that need them)",
    access: { role: "developer", project: projectOfRun },
    params: runParams,
    body: z.object({ failedOnly: z.boolean().default(false) }),
    response: triggerResultView,
    handler: async (request) => {
      const { body } = request;
      const run = await runOf(request);
      if (run.status === "queued" || run.status === "running")
        throw new HttpError(409, `run ${run.number} is still ${run.status}`, {
          hint: "wait for it to finish, or cancel it first",
        });
      // What the coordinator kept to resume the run: the same source starts it again.
      const spec = (await control.getRunControl(run.id))?.spec as { source?: RunSource } | undefined;
      if (spec?.source === undefined)
        throw new HttpError(
          409,
          `run ${run.number} cannot be run again: the server kept no record of how it started`,
        );
      const started = spec.source;
      let jobs = started.jobs;
      if (body.failedOnly) {
        jobs = failedJobIds(await store.listJobs(run.id));
        if (jobs.length === 0) throw new HttpError(409, `run ${run.number} has no failed jobs`);
      }
      const project = await needProject(run.project);
      const result = await coordinator.trigger(project, {
        event: started.event,
        ref: started.ref,
        sha: started.sha,
        inputs: started.inputs,
        variables: started.variables,
        actor: request.principal?.name ?? "api",
        file: started.file,
        jobs,
      });
      await audit(store, request, "run.rerun", run.id, run.project, {
        number: run.number,
        failedOnly: body.failedOnly,
        jobs,
        sha: result.sha,
        runs: result.runs.map((r) => r.id),
      });
      request.reply.status(201);
      return result;
    },
  });

  router.add({
    method: "GET",
    url: "/api/runs/:id/approvals",
    summary: "Jobs of a run that wait (or waited) for approval, with what they name and who decided",
    access: { role: "viewer", project: projectOfRun },
    params: runParams,
    handler: async (request) => control.listApprovals((await runOf(request)).id),
  });

  router.add({
    method: "POST",
    url: "/api/runs/:id/approvals",
    summary: "Approve or reject a job that waits for approval, naming what it waits for",
    access: { role: "operator", project: projectOfRun },
    params: runParams,
    body: z.object({
      job: z.string().min(1),
      decision: z.enum(["approve", "reject"]),
      /** What the job names (a plan's checksum): a decision about anything else is refused. */
      subject: z.string().default(""),
      comment: z.string().max(2_000).optional(),
    }),
    handler: async (request) => {
      const { body, principal } = request;
      const run = await runOf(request);
      const waiting = await control.getApproval(run.id, body.job);
      if (waiting === undefined)
        throw new HttpError(404, `job ${body.job} of run ${run.number} does not wait for approval`);
      if (principal === undefined || !allows(principal, waiting.role as Role, run.project))
        throw new HttpError(
          403,
          `approving ${body.job} needs the ${waiting.role} role in project ${run.project}`,
        );
      const outcome = await control.decideApproval({
        runId: run.id,
        jobKey: body.job,
        subject: body.subject,
        approve: body.decision === "approve",
        by: principal.kind === "user" ? principal.name : "agent",
        at: Date.now(),
        comment: body.comment,
      });
      if (outcome === "not-waiting")
        throw new HttpError(
          409,
          `job ${body.job} was already ${waiting.status === "pending" ? "decided" : waiting.status}`,
        );
      if (outcome === "wrong-subject")
        throw new HttpError(
          409,
          `job ${body.job} waits for approval of ${waiting.subject || "nothing named"}, not ${body.subject || "nothing named"}`,
          {
            hint: `pass --subject ${waiting.subject}`,
          },
        );
      await audit(
        store,
        request,
        body.decision === "approve" ? "job.approve" : "job.reject",
        `${run.id}/${body.job}`,
        run.project,
        {
          number: run.number,
          subject: body.subject,
          ...(body.comment ? { comment: body.comment } : {}),
        },
      );
      live.notify(topics.run(run.id));
      return { decided: body.decision };
    },
  });

  router.add({
    method: "GET",
    url: "/api/runs/:id/logs",
    summary: "Log lines of a run (or of one job or step)",
    access: { role: "viewer", project: projectOfRun },
    params: runParams,
    query: z.object({ job: z.string().optional(), step: z.coerce.number().int().min(0).optional() }),
    response: z.array(logLineView),
    handler: async ({ params, query }) =>
      store.readLogs({
        runId: params.id,
        ...(query.job !== undefined ? { jobKey: query.job } : {}),
        ...(query.step !== undefined ? { stepIndex: query.step } : {}),
      }),
  });

  router.add({
    method: "GET",
    url: "/api/runs/:id/tests",
    summary: "Test results of a run",
    access: { role: "viewer", project: projectOfRun },
    params: runParams,
    response: z.array(testResultView),
    handler: async ({ params }) => store.listTestResults(params.id),
  });

  router.add({
    method: "GET",
    url: "/api/runs/:id/artifacts",
    summary: "Artifacts of a run",
    access: { role: "viewer", project: projectOfRun },
    params: runParams,
    response: z.array(artifactView),
    handler: async ({ params }) =>
      (await store.listArtifacts(params.id)).map((a) => ({
        jobKey: a.jobKey,
        path: a.path,
        sizeBytes: a.sizeBytes,
      })),
  });

  router.add({
    method: "GET",
    url: "/api/runs/:id/artifacts/file",
    summary: "Download one artifact of a run",
    access: { role: "viewer", project: projectOfRun },
    params: runParams,
    query: z.object({ job: z.string().min(1), path: z.string().min(1) }),
    handler: async ({ params, query, reply }) => {
      const content = await options.blobs.get(artifactKey(params.id, query.job, safeRelative(query.path)));
      if (!content) throw new HttpError(404, `no artifact ${query.path} of ${query.job} in run ${params.id}`);
      const name = path.posix.basename(query.path).replace(/[^A-Za-z0-9._-]/g, "_");
      return reply
        .header("content-type", "application/octet-stream")
        .header("content-disposition", `attachment; filename="${name}"`)
        .send(content);
    },
  });

  router.add({
    method: "GET",
    url: "/api/runs/:id/events",
    summary: "The run's events, live (server-sent events, resumable with Last-Event-ID)",
    access: { role: "viewer", project: projectOfRun },
    params: runParams,
    query: z.object({ after: z.coerce.number().int().min(0).optional() }),
    handler: async (request) => {
      const { query, raw, reply } = request;
      const run = await runOf(request);
      let cursor = query.after ?? lastEventId(raw) ?? 0;
      await stream(raw, reply, live, run.id, async (send) => {
        for (const event of await store.listEvents(run.id, cursor)) send(String(++cursor), "event", event);
        const current = await store.getRun(run.id);
        return current?.status !== "queued" && current?.status !== "running";
      });
    },
  });

  router.add({
    method: "GET",
    url: "/api/runs/:id/logs/stream",
    summary: "The run's log lines as they arrive (server-sent events, resumable with Last-Event-ID)",
    access: { role: "viewer", project: projectOfRun },
    params: runParams,
    query: z.object({ job: z.string().optional(), after: z.coerce.number().int().min(0).optional() }),
    handler: async (request) => {
      const { query, raw, reply } = request;
      const run = await runOf(request);
      let cursor = query.after ?? lastEventId(raw) ?? 0;
      await stream(raw, reply, live, run.id, async (send) => {
        const lines = await store.readLogsAfter(run.id, cursor, 5_000);
        for (const line of lines) {
          cursor = Math.max(cursor, line.runSeq);
          if (query.job === undefined || line.jobKey === query.job) send(String(line.runSeq), "log", line);
        }
        if (lines.length === 5_000) return false;
        const current = await store.getRun(run.id);
        return current?.status !== "queued" && current?.status !== "running";
      });
    },
  });

  // Tokens, agents and audit

  router.add({
    method: "POST",
    url: "/api/tokens",
    summary: "Create an API token (user, with a role and optional project) or an agent token; shown once",
    access: { role: "admin" },
    body: z.object({
      name: z.string().min(1).max(100),
      kind: z.enum(["user", "agent"]).default("user"),
      role: z.enum(ROLES).optional(),
      project: z.string().optional(),
    }),
    handler: async (request) => {
      const { body } = request;
      if (body.project) await needProject(body.project);
      const created = await createToken(control, {
        kind: body.kind,
        name: body.name,
        role: body.role,
        project: body.project,
        createdBy: request.principal?.name ?? "",
      });
      await audit(store, request, "token.create", created.record.id, body.project, {
        name: body.name,
        kind: body.kind,
        role: created.record.role ?? null,
      });
      request.reply.status(201);
      return { token: created.token, ...created.record };
    },
  });

  router.add({
    method: "GET",
    url: "/api/tokens",
    summary: "API and agent tokens (never the tokens themselves)",
    access: { role: "admin" },
    handler: async () => control.listTokens(),
  });

  router.add({
    method: "DELETE",
    url: "/api/tokens/:id",
    summary: "Revoke a token",
    access: { role: "admin" },
    params: z.object({ id: z.string() }),
    handler: async (request) => {
      const revoked = await control.revokeToken(request.params.id, Date.now());
      if (!revoked) throw new HttpError(404, `no active token ${request.params.id}`);
      await audit(store, request, "token.revoke", request.params.id, undefined);
      return { revoked };
    },
  });

  router.add({
    method: "GET",
    url: "/api/agents",
    summary: "Agents seen by the server, with their labels, last contact and the jobs they hold now",
    access: { role: "viewer", project: () => "*" },
    response: z.array(agentView),
    handler: async ({ principal }) => {
      const visible = principal ? visibleProjects(principal) : [];
      const [agents, runs] = await Promise.all([
        control.listAgents(),
        store.listRuns({ limit: 500, projects: visible ?? (await allProjects()) }),
      ]);
      const current = new Map<string, z.infer<typeof agentView>["current"]>();
      for (const run of runs) {
        if (run.status !== "running" || run.project === undefined) continue;
        for (const attempt of await control.jobAttempts(run.id)) {
          if (attempt.status !== "leased" || attempt.agent === undefined) continue;
          const held = current.get(attempt.agent) ?? [];
          held.push({
            runId: run.id,
            runNumber: run.number,
            project: run.project,
            jobKey: attempt.jobKey,
            attempt: attempt.attempt,
            leasedAt: attempt.leasedAt ?? null,
          });
          current.set(attempt.agent, held);
        }
      }
      return agents.map((agent) => ({ ...agent, current: current.get(agent.id) ?? [] }));
    },
  });

  router.add({
    method: "GET",
    url: "/api/audit",
    summary: "The audit log, newest first (admins see everything, project admins their project)",
    access: {
      role: "admin",
      project: ({ principal }) => (principal?.kind === "user" ? principal.project : undefined),
    },
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
    response: z.array(auditView),
    handler: async ({ query, principal }) =>
      control.listAudit({ limit: query.limit, projects: principal ? visibleProjects(principal) : [] }),
  });

  // Webhooks: no token, a signature instead.

  const receive = async (
    request: RouteRequest,
    source: "github" | "gitlab" | "generic",
    project: ProjectRecord,
    outcome: WebhookOutcome,
  ) => {
    if (outcome.kind === "ignored") {
      options.metrics.webhookDeliveries.inc({ source, outcome: "ignored" });
      return { ignored: outcome.reason };
    }
    const trigger = outcome.request;
    if (trigger.deliveryId && !(await control.firstDelivery(`${source}:${trigger.deliveryId}`, Date.now()))) {
      options.metrics.webhookDeliveries.inc({ source, outcome: "ignored" });
      return { ignored: `delivery ${trigger.deliveryId} was already received` };
    }
    const result = await coordinator.trigger(project, {
      event: trigger.event,
      ref: trigger.ref,
      sha: trigger.sha || undefined,
      inputs: trigger.inputs,
      variables: {},
      actor: trigger.actor,
      jobs: [],
    });
    // A signed webhook has no token: the actor is the sender the payload names.
    await store.control.appendAudit({
      actor: `user:${source}-webhook:${trigger.actor}`,
      action: "run.trigger",
      target: project.name,
      project: project.name,
      source: request.raw.ip,
      details: {
        source,
        event: trigger.event,
        ref: trigger.ref,
        sha: result.sha,
        delivery: trigger.deliveryId ?? null,
        runs: result.runs.map((r) => r.id),
      },
    });
    options.metrics.webhookDeliveries.inc({ source, outcome: "triggered" });
    request.reply.status(201);
    return result;
  };
  const rejected = (source: string, message: string): never => {
    options.metrics.webhookDeliveries.inc({ source, outcome: "rejected" });
    throw new HttpError(401, message);
  };
  const secretOf = (project: ProjectRecord): string =>
    project.webhookSecret
      ? decryptSecret(options.secretKey, project.webhookSecret, `webhook/${project.name}`)
      : "";
  const webhookProject = async (
    name: string | undefined,
    names: readonly string[],
    urls: readonly string[],
  ) => {
    const projects = await control.listProjects();
    const found = name
      ? projects.find((p) => p.name === name)
      : projects.find(
          (p) =>
            urls.includes(p.repo) ||
            names.some((n) => n && (p.repo.endsWith(`/${n}`) || p.repo.endsWith(`/${n}.git`))),
        );
    if (!found)
      throw new HttpError(404, "no project matches this repository", {
        hint: "add ?project=NAME to the webhook URL",
      });
    return found;
  };

  router.add({
    method: "POST",
    url: "/api/webhooks/github",
    summary: "GitHub webhook (push, pull_request, workflow_dispatch), verified by X-Hub-Signature-256",
    access: "signed",
    query: z.object({ project: z.string().optional() }),
    handler: async (request) => {
      const { raw, query } = request;
      const payload = request.body as {
        repository?: { full_name?: string; clone_url?: string; ssh_url?: string };
      };
      const repo = payload?.repository;
      const project = await webhookProject(
        query.project,
        [repo?.full_name ?? ""],
        [repo?.clone_url ?? "", repo?.ssh_url ?? ""],
      );
      if (!verifyGithubSignature(secretOf(project), rawBodyOf(raw), header(raw, "x-hub-signature-256"))) {
        return rejected("github", "X-Hub-Signature-256 does not match the project's webhook secret");
      }
      const outcome = githubWebhook(
        header(raw, "x-github-event") ?? "",
        request.body,
        header(raw, "x-github-delivery"),
      );
      return receive(request, "github", project, outcome);
    },
  });

  router.add({
    method: "POST",
    url: "/api/webhooks/gitlab",
    summary: "GitLab webhook (push, tag push, merge request), verified by X-Gitlab-Token",
    access: "signed",
    query: z.object({ project: z.string().optional() }),
    handler: async (request) => {
      const { raw, query } = request;
      const payload = request.body as {
        project?: { path_with_namespace?: string; git_http_url?: string; git_ssh_url?: string };
      };
      const p = payload?.project;
      const project = await webhookProject(
        query.project,
        [p?.path_with_namespace ?? ""],
        [p?.git_http_url ?? "", p?.git_ssh_url ?? ""],
      );
      if (!verifyGitlabToken(secretOf(project), header(raw, "x-gitlab-token"))) {
        return rejected("gitlab", "X-Gitlab-Token does not match the project's webhook secret");
      }
      const outcome = gitlabWebhook(
        header(raw, "x-gitlab-event") ?? "",
        request.body,
        header(raw, "x-gitlab-event-uuid"),
      );
      return receive(request, "gitlab", project, outcome);
    },
  });

  router.add({
    method: "POST",
    url: "/api/webhooks/generic/:name",
    summary: "Generic signed webhook: HMAC-SHA256 of '<timestamp>.<body>' in X-Slipway-Signature",
    access: "signed",
    params: z.object({ name: z.string() }),
    handler: async (request) => {
      const { raw, params } = request;
      const project = await control.getProject(params.name);
      // The same answer as a bad signature: an unsigned caller learns nothing about projects.
      if (!project) return rejected("generic", "the signature does not verify");
      const verdict = verifyGeneric(
        secretOf(project),
        rawBodyOf(raw),
        {
          timestamp: header(raw, GENERIC_TIMESTAMP_HEADER.toLowerCase()),
          signature: header(raw, GENERIC_SIGNATURE_HEADER.toLowerCase()),
        },
        Math.floor(Date.now() / 1000),
      );
      if (!verdict.ok) return rejected("generic", `the signature does not verify: ${verdict.reason}`);
      const outcome = genericWebhook(
        request.body,
        header(raw, GENERIC_DELIVERY_HEADER.toLowerCase()) ?? randomUUID(),
      );
      return receive(request, "generic", project, outcome);
    },
  });

  router.add({
    method: "GET",
    url: "/api/projects/:name/webhook-secret",
    summary: "The project's webhook secret, to configure a webhook with",
    access: { role: "admin", project: projectParam },
    params: z.object({ name: z.string() }),
    handler: async (request) => {
      const project = await needProject(request.params.name);
      await audit(store, request, "webhook-secret.read", project.name, project.name);
      return { secret: secretOf(project) };
    },
  });
}

/**
 * The jobs "re-run failed jobs" starts: those that failed, timed out, were cancelled or
 * interrupted, and every job that needs one of them (it was skipped or cancelled for it). The
 * plan adds the jobs they need in turn.
 */
export function failedJobIds(jobs: readonly JobRecord[]): string[] {
  const failed = new Set(["failure", "timed_out", "cancelled", "interrupted"]);
  const chosen = new Set(jobs.filter((j) => failed.has(j.status)).map((j) => j.key));
  for (let grew = true; grew;) {
    grew = false;
    for (const job of jobs) {
      if (chosen.has(job.key)) continue;
      // `needs` holds the keys of the instances needed (matrix children each).
      if (job.needs.some((need) => chosen.has(need))) {
        chosen.add(job.key);
        grew = true;
      }
    }
  }
  return [...new Set(jobs.filter((j) => chosen.has(j.key)).map((j) => j.jobId))];
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function rawBodyOf(request: FastifyRequest): Buffer {
  return (request as FastifyRequest & { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0);
}

function lastEventId(request: FastifyRequest): number | undefined {
  const value = header(request, "last-event-id");
  return value && /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * A server-sent event stream: `poll` sends what is new and says whether the stream is done; it
 * runs when the run changes in this process (notified) and at least every second (changes made
 * through another server). A comment line every 15 s keeps proxies from closing an idle stream.
 */
async function stream(
  request: FastifyRequest,
  reply: FastifyReply,
  live: Live,
  runId: string,
  poll: (send: (id: string, event: string, data: unknown) => void) => Promise<boolean>,
): Promise<void> {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  const closed = new AbortController();
  // The response's close, not the request's: a request closes as soon as its body has been read.
  out.on("close", () => closed.abort());
  const send = (id: string, event: string, data: unknown) => {
    out.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  let lastWrite = Date.now();
  while (!closed.signal.aborted) {
    const done = await poll(send);
    if (done) {
      // One more pass: lines stored just before the run ended are sent too.
      await poll(send);
      out.write("event: end\ndata: {}\n\n");
      break;
    }
    if (Date.now() - lastWrite > 15_000) {
      out.write(": keep-alive\n\n");
      lastWrite = Date.now();
    }
    await live.wait(topics.run(runId), 1_000, closed.signal);
  }
  out.end();
}
