import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { UsageError } from "../../errors/index.js";
import { ApiClient, ServerError } from "../../agent/client.js";
import { parsePairs } from "./load.js";
import { EXIT, exitCodeForRun } from "../exit-codes.js";
import { colours, formatDuration, statusIcon } from "../render/format.js";
import type { RunStatus } from "../../pipeline/events.js";
import type { RunRecord } from "../../store/index.js";

declare const __SLIPWAY_VERSION__: string | undefined;
const version = typeof __SLIPWAY_VERSION__ === "string" ? __SLIPWAY_VERSION__ : "dev";

export interface ServeFlags {
  dataDir?: string;
  database?: string;
  host: string;
  port: number;
  runners: number;
  leaseSeconds?: number;
  otlpEndpoint?: string;
  tfKeepVersions?: number;
}

/** `slipway serve`: the control plane, until SIGINT or SIGTERM. */
export async function serveCommand(flags: ServeFlags): Promise<void> {
  const { startServer } = await import("../../server/index.js");
  const dataDir = path.resolve(flags.dataDir ?? ".slipway");
  const server = await startServer({
    dataDir,
    database: flags.database ?? process.env.SLIPWAY_DATABASE,
    host: flags.host,
    port: flags.port,
    runners: flags.runners,
    leaseMs: flags.leaseSeconds ? flags.leaseSeconds * 1000 : undefined,
    otlpEndpoint: flags.otlpEndpoint,
    terraformKeepVersions: flags.tfKeepVersions,
    version,
    cliPath: process.argv[1],
  });
  process.stderr.write(`slipway serving on ${server.url} (data in ${dataDir})\n`);
  process.stderr.write(
    server.webUrl
      ? `web UI: ${server.webUrl} (sign in with an API token)\n`
      : "web UI: not built (run `npm run build` in the Slipway source tree)\n",
  );
  if (server.adminToken) {
    process.stderr.write(
      `admin token (shown once; also in ${path.join(dataDir, "admin-token")}, readable by you only):\n${server.adminToken}\n`,
    );
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.close();
}

export interface AgentFlags {
  server: string;
  token?: string;
  labels?: string;
  concurrency: number;
  dataDir?: string;
  name?: string;
}

/** `slipway agent`: runs jobs leased from a server, until SIGINT or SIGTERM (which lets running jobs finish). */
export async function agentCommand(flags: AgentFlags): Promise<void> {
  const { Agent } = await import("../../agent/agent.js");
  const name = flags.name ?? `${os.hostname()}-${randomBytes(3).toString("hex")}`;
  const agent = new Agent({
    server: flags.server,
    token: tokenOf(flags),
    name,
    labels: (flags.labels ?? "")
      .split(",")
      .map((l) => l.trim())
      .filter(Boolean),
    concurrency: flags.concurrency,
    dataDir: path.resolve(flags.dataDir ?? path.join(os.tmpdir(), `slipway-agent-${name}`)),
    cliPath: process.argv[1],
    log: (message) => process.stderr.write(`${new Date().toISOString()} ${message}\n`),
  });
  agent.start();
  process.stderr.write(`slipway agent ${name} taking jobs from ${flags.server}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  process.stderr.write("stopping: finishing running jobs (Ctrl-C again to quit now)\n");
  process.once("SIGINT", () => process.exit(EXIT.cancelled));
  await agent.close();
}

export interface RemoteFlags {
  server?: string;
  token?: string;
  dataDir?: string;
  database?: string;
  json?: boolean;
}

function tokenOf(flags: { token?: string }): string {
  const token = flags.token ?? process.env.SLIPWAY_TOKEN;
  if (!token) {
    throw new UsageError("no API token", {
      hint: "pass --token or set SLIPWAY_TOKEN (slipway serve printed the admin token)",
    });
  }
  return token;
}

function client(flags: RemoteFlags): ApiClient {
  if (!flags.server)
    throw new UsageError("--server URL is required", { hint: "e.g. --server http://127.0.0.1:7700" });
  return new ApiClient(flags.server, tokenOf(flags));
}

/** Calls the API, failing with the server's own message. */
async function call<T>(api: ApiClient, method: string, url: string, body?: unknown): Promise<T> {
  try {
    return (await api.call<T>(method, url, { ...(body !== undefined ? { body } : {}), retry: false })).body;
  } catch (error) {
    if (error instanceof ServerError)
      throw new UsageError(`the server refused (${error.status}): ${error.message}`);
    throw error;
  }
}

/** Opens the store directly (no server): for bootstrapping tokens and projects on the server's machine. */
async function localStore(flags: RemoteFlags) {
  const { openStore, storeLocation } = await import("../../store/index.js");
  const database = flags.database ?? process.env.SLIPWAY_DATABASE;
  return openStore(storeLocation(path.resolve(flags.dataDir ?? ".slipway"), database));
}

async function localAudit(
  store: Awaited<ReturnType<typeof localStore>>,
  action: string,
  target: string,
  project: string | undefined,
  details: Record<string, unknown>,
) {
  await store.control.appendAudit({
    actor: `local:${os.userInfo().username}`,
    action,
    target,
    project,
    source: "cli",
    details,
  });
}

export async function tokenCreateCommand(
  flags: RemoteFlags & { role?: string; project?: string; agent?: boolean; name?: string },
): Promise<void> {
  const kind = flags.agent ? "agent" : "user";
  if (flags.agent && (flags.role || flags.project)) {
    throw new UsageError("--agent tokens have no role or project: they can only lease jobs");
  }
  const name = flags.name ?? (flags.agent ? "agent" : `${flags.role ?? "viewer"} token`);
  let token: string;
  if (flags.server) {
    const created = await call<{ token: string }>(client(flags), "POST", "/api/tokens", {
      name,
      kind,
      ...(flags.role ? { role: flags.role } : {}),
      ...(flags.project ? { project: flags.project } : {}),
    });
    token = created.token;
  } else {
    const { createToken, isRole } = await import("../../server/auth.js");
    if (flags.role && !isRole(flags.role))
      throw new UsageError(`--role ${flags.role}: expected viewer, developer, operator or admin`);
    const store = await localStore(flags);
    try {
      if (flags.project && !(await store.control.getProject(flags.project)))
        throw new UsageError(`no project ${flags.project}`);
      const created = await createToken(store.control, {
        kind,
        name,
        role: flags.role as "viewer" | undefined,
        project: flags.project,
        createdBy: `local:${os.userInfo().username}`,
      });
      await localAudit(store, "token.create", created.record.id, flags.project, {
        name,
        kind,
        role: created.record.role ?? null,
      });
      token = created.token;
    } finally {
      await store.close();
    }
  }
  process.stderr.write("token (shown once, store it now):\n");
  process.stdout.write(`${token}\n`);
}

export async function projectAddCommand(
  name: string,
  flags: RemoteFlags & { repo: string; branch?: string; poll?: number },
): Promise<void> {
  const repo =
    /^[a-z]+:\/\//.test(flags.repo) || flags.repo.includes("@") ? flags.repo : path.resolve(flags.repo);
  const body = {
    name,
    repo,
    ...(flags.branch ? { defaultBranch: flags.branch } : {}),
    ...(flags.poll ? { pollSeconds: flags.poll } : {}),
  };
  const created = await call<{ name: string; webhookSecret: string; defaultBranch: string }>(
    client(flags),
    "POST",
    "/api/projects",
    body,
  );
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `project ${created.name} added (${repo}, default branch ${created.defaultBranch})\nwebhook secret (shown once): ${created.webhookSecret}\n`,
  );
}

export async function auditCommand(flags: RemoteFlags & { limit: number }): Promise<void> {
  const entries = await call<
    {
      at: number;
      actor: string;
      action: string;
      target: string;
      project?: string;
      source?: string;
      details: unknown;
    }[]
  >(client(flags), "GET", `/api/audit?limit=${flags.limit}`);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    return;
  }
  for (const e of entries) {
    process.stdout.write(
      `${new Date(e.at).toISOString()}  ${e.actor.padEnd(28)} ${e.action.padEnd(16)} ${e.target}${e.project ? ` [${e.project}]` : ""} from ${e.source ?? "?"} ${JSON.stringify(e.details)}\n`,
    );
  }
}

export async function remoteRunsCommand(
  flags: RemoteFlags & { limit: number; project?: string },
): Promise<void> {
  const runs = await call<RunRecord[]>(
    client(flags),
    "GET",
    `/api/runs?limit=${flags.limit}${flags.project ? `&project=${encodeURIComponent(flags.project)}` : ""}`,
  );
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
    return;
  }
  const c = colours(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
  for (const run of runs) {
    const duration = run.finishedAt && run.startedAt ? formatDuration(run.finishedAt - run.startedAt) : "";
    process.stdout.write(
      `${statusIcon(run.status, c)} #${String(run.number).padEnd(4)} ${run.status.padEnd(11)} ${duration.padEnd(7)} ${run.project ?? ""} ${run.pipelineName} ${c.dim(`${run.file} · ${(run.commit ?? "").slice(0, 8)} · ${run.trigger} by ${run.actor} · ${run.id}`)}\n`,
    );
  }
}

export async function remoteLogsCommand(
  run: string,
  job: string | undefined,
  flags: RemoteFlags,
): Promise<void> {
  const lines = await call<{ jobKey: string; stepIndex: number; text: string; stream: string }[]>(
    client(flags),
    "GET",
    `/api/runs/${encodeURIComponent(run)}/logs${job ? `?job=${encodeURIComponent(job)}` : ""}`,
  );
  for (const line of lines) process.stdout.write(`${line.jobKey} | ${line.text}\n`);
}

/**
 * `slipway run --server URL --project NAME`: starts runs on the server, follows their events and
 * logs live, and exits with the worst run's status.
 */
export async function remoteRunCommand(
  jobs: string[],
  flags: RemoteFlags & { project?: string; ref?: string; input?: string[]; file?: string; workflow?: string },
): Promise<void> {
  if (!flags.project) throw new UsageError("--project NAME is required with --server");
  const api = client(flags);
  const inputs = parsePairs("--input", flags.input);
  const started = await call<{
    sha: string;
    runs: { id: string; number: number; file: string }[];
    skipped: { file: string; reason: string }[];
  }>(api, "POST", `/api/projects/${encodeURIComponent(flags.project)}/runs`, {
    ...(flags.ref ? { ref: flags.ref } : {}),
    inputs,
    jobs,
    ...(flags.file || flags.workflow ? { file: flags.file ?? flags.workflow } : {}),
  });
  for (const s of started.skipped)
    process.stderr.write(`not run: ${s.file || "(no pipeline)"}: ${s.reason}\n`);
  if (started.runs.length === 0) throw new UsageError("no pipeline of this commit runs on this event");
  const statuses: RunStatus[] = [];
  for (const run of started.runs) {
    process.stderr.write(
      `run #${run.number} ${run.file} at ${started.sha.slice(0, 8)}: ${flags.server}/api/runs/${run.id}\n`,
    );
    statuses.push(await follow(api, run.id, Boolean(flags.json)));
  }
  const worst = statuses.find((s) => s !== "success") ?? "success";
  process.exitCode = exitCodeForRun(worst);
}

async function follow(api: ApiClient, runId: string, json: boolean): Promise<RunStatus> {
  const c = colours(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
  const logs = sse(api, `/api/runs/${runId}/logs/stream`, (event, data) => {
    if (event !== "log") return;
    const line = data as { jobKey: string; text: string };
    process.stdout.write(
      json ? `${JSON.stringify({ log: line })}\n` : `${c.dim(`${line.jobKey} |`)} ${line.text}\n`,
    );
  });
  let status: RunStatus = "interrupted";
  const events = sse(api, `/api/runs/${runId}/events`, (event, data) => {
    if (event !== "event") return;
    const e = data as {
      type: string;
      jobKey?: string;
      status?: RunStatus;
      durationMs?: number;
      reason?: string;
    };
    if (json) process.stdout.write(`${JSON.stringify({ event: e })}\n`);
    else if (e.type === "job.finished") {
      process.stdout.write(
        `${statusIcon(e.status ?? "failure", c)} ${e.jobKey} ${e.status} ${formatDuration(e.durationMs ?? 0)}${e.reason && e.status !== "success" ? ` (${e.reason})` : ""}\n`,
      );
    } else if (e.type === "run.finished") status = e.status ?? "failure";
  });
  await Promise.all([events, logs]);
  if (!json) process.stdout.write(`run ${status}\n`);
  return status;
}

/** Reads a server-sent event stream to its end, reconnecting with Last-Event-ID when it drops. */
async function sse(
  api: ApiClient,
  url: string,
  onEvent: (event: string, data: unknown) => void,
): Promise<void> {
  let lastId: string | undefined;
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const response = await fetch(new URL(url, api.baseUrl), {
        headers: { authorization: `Bearer ${api.token}`, ...(lastId ? { "last-event-id": lastId } : {}) },
      });
      if (!response.ok || !response.body)
        throw new UsageError(`the server refused the stream: ${response.status}`);
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = "message";
          let data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("id: ")) lastId = line.slice(4);
            else if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (event === "end") return;
          if (data) onEvent(event, JSON.parse(data));
        }
      }
    } catch (error) {
      if (error instanceof UsageError) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * `slipway approve|reject RUN JOB`: decides for a job that waits for approval, through a server
 * (`--server`) or in the local store a `slipway run` waits on (`--data-dir`, default ./.slipway).
 */
export async function decideCommand(
  decision: "approve" | "reject",
  runRef: string,
  jobKey: string,
  flags: RemoteFlags & { subject?: string; comment?: string },
): Promise<void> {
  const subject = flags.subject ?? "";
  if (flags.server) {
    const api = client(flags);
    const run = await call<{ run: { id: string } }>(api, "GET", `/api/runs/${encodeURIComponent(runRef)}`);
    await call(api, "POST", `/api/runs/${encodeURIComponent(run.run.id)}/approvals`, {
      job: jobKey,
      decision,
      subject,
      ...(flags.comment ? { comment: flags.comment } : {}),
    });
  } else {
    const store = await localStore(flags);
    try {
      const run = await store.getRun(runRef);
      if (!run) throw new UsageError(`no run ${runRef} in ${path.resolve(flags.dataDir ?? ".slipway")}`);
      const waiting = await store.control.getApproval(run.id, jobKey);
      if (!waiting) throw new UsageError(`job ${jobKey} of run ${run.number} does not wait for approval`);
      const by = `local:${os.userInfo().username}`;
      const outcome = await store.control.decideApproval({
        runId: run.id,
        jobKey,
        subject,
        approve: decision === "approve",
        by,
        at: Date.now(),
        comment: flags.comment,
      });
      if (outcome === "wrong-subject")
        throw new UsageError(
          `job ${jobKey} waits for approval of ${waiting.subject || "nothing named"}, not ${subject || "nothing named"}`,
          { hint: `pass --subject ${waiting.subject}` },
        );
      if (outcome === "not-waiting") throw new UsageError(`job ${jobKey} was already ${waiting.status}`);
      await localAudit(store, `job.${decision}`, `${run.id}/${jobKey}`, run.project, {
        number: run.number,
        subject,
        ...(flags.comment ? { comment: flags.comment } : {}),
      });
    } finally {
      await store.close();
    }
  }
  process.stderr.write(`${decision === "approve" ? "approved" : "rejected"} ${jobKey} of run ${runRef}\n`);
}
