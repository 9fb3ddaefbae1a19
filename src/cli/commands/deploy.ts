import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { ApiClient, ServerError, sleep } from "../../agent/client.js";
import { YamlSource } from "../../config/yaml-source.js";
import { loadDeliveryConfig } from "../../delivery/config.js";
import { packDirectory } from "../../delivery/release-files.js";
import { ConfigError, UsageError } from "../../errors/index.js";
import { EXIT } from "../exit-codes.js";
import { formatApplyResults, formatSyncStatus } from "../../kubernetes/format.js";
import type { ApplyResult, SyncStatus } from "../../kubernetes/sync.js";

/**
 * `slipway env`, `slipway release`, `slipway deploy`, `slipway deployment ...` and
 * `slipway rollback`: progressive delivery through a Slipway server, which runs the strategies,
 * the proxies and the instances.
 */

export interface DeliveryFlags {
  server?: string;
  token?: string;
  json?: boolean;
  project: string;
  file?: string;
}

interface DeploymentView {
  id: string;
  environment: string;
  service: string;
  from: string | null;
  to: string;
  mode: string;
  status: string;
  reason: string | null;
  createdAt: number;
  createdBy: string;
}

interface EventView {
  seq: number;
  at: number;
  type: string;
  body: Record<string, unknown>;
}

const FINISHED = new Set(["succeeded", "aborted", "failed", "blocked"]);

function api(flags: DeliveryFlags): ApiClient {
  const server = flags.server ?? process.env.SLIPWAY_SERVER;
  if (!server) {
    throw new UsageError("--server URL is required", {
      hint: "e.g. --server http://127.0.0.1:7700, or set SLIPWAY_SERVER",
    });
  }
  const token = flags.token ?? process.env.SLIPWAY_TOKEN;
  if (!token) throw new UsageError("no API token", { hint: "pass --token or set SLIPWAY_TOKEN" });
  return new ApiClient(server, token);
}

async function call<T>(flags: DeliveryFlags, method: string, route: string, body?: unknown): Promise<T> {
  try {
    return (
      await api(flags).call<T>(method, route, { ...(body !== undefined ? { body } : {}), retry: false })
    ).body;
  } catch (error) {
    if (error instanceof ServerError)
      throw new UsageError(`the server refused (${error.status}): ${error.message}`);
    throw error;
  }
}

const projectRoute = (flags: DeliveryFlags, rest: string) =>
  `/api/projects/${encodeURIComponent(flags.project)}${rest}`;

/** Reads slipway.yaml and checks its delivery sections here, so problems show with their code frames. */
async function readConfig(flags: DeliveryFlags): Promise<{ file: string; text: string }> {
  const file = flags.file ?? "slipway.yaml";
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${file}: ${error.code ?? error.message}`, { hint: "pass --file" });
  });
  const { source, diagnostics } = YamlSource.parse(file, text);
  if (diagnostics.length > 0) throw new ConfigError(diagnostics);
  const loaded = loadDeliveryConfig((source.toJS() ?? {}) as Record<string, unknown>, source);
  if (loaded.diagnostics.length > 0) throw new ConfigError(loaded.diagnostics);
  return { file: path.basename(file), text };
}

export async function envApplyCommand(flags: DeliveryFlags): Promise<void> {
  const { file, text } = await readConfig(flags);
  const result = await call<{ environments: string[] }>(flags, "PUT", projectRoute(flags, "/environments"), {
    file,
    text,
  });
  process.stdout.write(
    flags.json ? `${JSON.stringify(result)}\n` : `environments set: ${result.environments.join(", ")}\n`,
  );
}

export async function envListCommand(flags: DeliveryFlags): Promise<void> {
  const list = await call<
    { name: string; services: { service: string; current: string | null; url: string }[] }[]
  >(flags, "GET", projectRoute(flags, "/environments"));
  if (flags.json) return void process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
  for (const env of list) {
    process.stdout.write(`${env.name}\n`);
    for (const s of env.services)
      process.stdout.write(`  ${s.service}  ${s.current ?? "(not deployed)"}  ${s.url}\n`);
  }
}

interface EnvironmentSyncView {
  environment: string;
  services: {
    service: string;
    release: string | null;
    state: string;
    status?: SyncStatus;
    healed?: ApplyResult[];
  }[];
}

/**
 * `slipway env diff ENV` (and `env heal ENV`): the drift of an environment on Kubernetes from the
 * releases it runs, object by object; exit 1 while anything is out of sync, as `kubectl diff`.
 */
export async function envSyncCommand(
  environment: string,
  heal: boolean,
  flags: DeliveryFlags,
): Promise<void> {
  const route = projectRoute(
    flags,
    `/environments/${encodeURIComponent(environment)}/${heal ? "heal" : "sync"}`,
  );
  const view = await call<EnvironmentSyncView>(flags, heal ? "POST" : "GET", route, heal ? {} : undefined);
  const outOfSync = view.services.some((s) => s.status?.sync === "OutOfSync");
  if (outOfSync) process.exitCode = EXIT.failed;
  if (flags.json) return void process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
  for (const s of view.services) {
    process.stdout.write(`${s.service} ${s.release ?? ""} (${s.state})\n`);
    if (s.healed && s.healed.length > 0) process.stdout.write(formatApplyResults(s.healed));
    if (s.status) process.stdout.write(formatSyncStatus(s.status));
  }
}

export interface ReleaseFlags extends DeliveryFlags {
  dir: string;
}

/** Creates the release (files of --dir, configuration of slipway.yaml); an identical one already there is fine. */
export async function releaseCreateCommand(
  service: string,
  version: string,
  flags: ReleaseFlags,
): Promise<void> {
  const { file, text } = await readConfig(flags);
  const git = await gitFacts(path.dirname(path.resolve(flags.file ?? "slipway.yaml")));
  const archive = await packDirectory(path.resolve(flags.dir));
  const release = await call<{ version: string; checksum: string }>(
    flags,
    "POST",
    projectRoute(flags, "/releases"),
    {
      service,
      version,
      configFile: file,
      configText: text,
      archive: archive.toString("base64"),
      ...git,
    },
  );
  process.stdout.write(
    flags.json
      ? `${JSON.stringify(release)}\n`
      : `release ${service} ${release.version} (${release.checksum.slice(0, 12)})\n`,
  );
}

export interface DeployFlags extends DeliveryFlags {
  environment: string;
  service?: string;
  release?: string;
  dir?: string;
  override?: string;
  wait: boolean;
}

/** Deploys (creating the release from --dir first when given) and follows it to the end. */
export async function deployCommand(
  serviceArgument: string | undefined,
  versionArgument: string | undefined,
  flags: DeployFlags,
): Promise<void> {
  const service = serviceArgument ?? flags.service;
  const version = versionArgument ?? flags.release;
  if (!service || !version) {
    throw new UsageError("which service and release?", {
      hint: "slipway deploy SERVICE VERSION --environment ENV",
    });
  }
  if (serviceArgument && flags.service && serviceArgument !== flags.service) {
    throw new UsageError(`the service is given twice: ${serviceArgument} and --service ${flags.service}`);
  }
  if (flags.dir !== undefined)
    await releaseCreateCommand(service, version, { ...flags, dir: flags.dir, json: false });
  let deployment: DeploymentView;
  try {
    deployment = (
      await api(flags).call<DeploymentView>("POST", projectRoute(flags, "/deployments"), {
        body: {
          service,
          environment: flags.environment,
          version,
          ...(flags.override ? { override: flags.override } : {}),
          // A deploy step names the run it is part of, for the deployment's history.
          ...(process.env.SLIPWAY_RUN_ID ? { runId: process.env.SLIPWAY_RUN_ID } : {}),
        },
        retry: false,
      })
    ).body;
  } catch (error) {
    if (error instanceof ServerError && error.status === 409) {
      process.stderr.write(`slipway: ${error.message}\n`);
      process.exitCode = EXIT.failed;
      return;
    }
    if (error instanceof ServerError)
      throw new UsageError(`the server refused (${error.status}): ${error.message}`);
    throw error;
  }
  process.stderr.write(`deployment ${deployment.id}: ${service} ${version} to ${flags.environment}\n`);
  if (!flags.wait) {
    if (flags.json) process.stdout.write(`${JSON.stringify(deployment)}\n`);
    return;
  }
  await follow(flags, deployment.id);
}

export async function rollbackCommand(service: string, flags: DeployFlags): Promise<void> {
  const deployment = await call<DeploymentView>(flags, "POST", projectRoute(flags, "/rollback"), {
    service,
    environment: flags.environment,
  });
  process.stderr.write(
    `deployment ${deployment.id}: rolling ${service} back to ${deployment.to} in ${flags.environment}\n`,
  );
  if (flags.wait) await follow(flags, deployment.id);
}

/** Prints a deployment's events as they come; exit status 0 only when it succeeded. */
async function follow(flags: DeliveryFlags, id: string): Promise<void> {
  let after = 0;
  for (;;) {
    const { deployment, events } = await call<{ deployment: DeploymentView; events: EventView[] }>(
      flags,
      "GET",
      projectRoute(flags, `/deployments/${id}?after=${after}`),
    );
    for (const event of events) {
      after = event.seq;
      process.stdout.write(flags.json ? `${JSON.stringify(event)}\n` : `${describeEvent(event)}\n`);
    }
    if (FINISHED.has(deployment.status) && events.length === 0) {
      if (deployment.status !== "succeeded") process.exitCode = EXIT.failed;
      if (!flags.json)
        process.stderr.write(`${deployment.status}${deployment.reason ? `: ${deployment.reason}` : ""}\n`);
      return;
    }
    await sleep(events.length > 0 ? 0 : 500);
  }
}

export function describeEvent(event: EventView): string {
  const time = new Date(event.at).toISOString().slice(11, 19);
  const b = event.body;
  const text = (() => {
    switch (event.type) {
      case "created":
        return `${String(b["mode"])} ${String(b["from"] ?? "nothing")} → ${String(b["to"])} by ${String(b["by"])}`;
      case "started":
        return `strategy ${String(b["strategy"])}`;
      case "step":
        return `step ${Number(b["index"]) + 1}: ${String(b["description"])}`;
      case "scaled":
        return `${String(b["version"])} at ${String(b["instances"])} instance(s)`;
      case "traffic": {
        const split = b["split"] as {
          stable: string;
          canary?: string;
          canaryWeight?: number;
          preview?: string;
        };
        const canary = split.canary ? `, ${split.canaryWeight ?? 0}% to ${split.canary}` : "";
        return `traffic: stable ${split.stable}${canary}${split.preview ? `, preview ${split.preview}` : ""}`;
      }
      case "analysis": {
        const result = b["result"] as {
          phase: string;
          metrics: { name: string; phase: string; measurements: { value?: unknown }[] }[];
        };
        const metrics = result.metrics
          .map(
            (m) =>
              `${m.name} ${m.phase} [${m.measurements.map((x) => JSON.stringify(x.value ?? null)).join(", ")}]`,
          )
          .join("; ");
        return `analysis ${(b["templates"] as string[]).join(", ")}: ${result.phase} (${metrics})`;
      }
      case "paused":
        return `paused: ${String(b["reason"])}`;
      case "resumed":
        return `resumed by ${String(b["by"])}`;
      case "blocked":
        return `blocked: ${(b["reasons"] as string[]).join("; ")}`;
      case "finished":
        return `${String(b["outcome"])}${b["reason"] ? `: ${String(b["reason"])}` : ""}`;
      default:
        return `${event.type} ${JSON.stringify(b)}`;
    }
  })();
  return `${time} ${text}`;
}

export async function deploymentsCommand(
  flags: DeliveryFlags & { environment?: string; service?: string },
): Promise<void> {
  const query = new URLSearchParams();
  if (flags.environment) query.set("environment", flags.environment);
  if (flags.service) query.set("service", flags.service);
  const list = await call<DeploymentView[]>(
    flags,
    "GET",
    projectRoute(flags, `/deployments?${query.toString()}`),
  );
  if (flags.json) return void process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
  for (const d of list) {
    process.stdout.write(
      `${d.id}  ${new Date(d.createdAt).toISOString()}  ${d.environment}  ${d.service}  ${d.from ?? "-"} → ${d.to}  ${d.status}${d.reason ? `  ${d.reason}` : ""}\n`,
    );
  }
}

export async function deploymentShowCommand(id: string, flags: DeliveryFlags): Promise<void> {
  const { deployment, events } = await call<{ deployment: DeploymentView; events: EventView[] }>(
    flags,
    "GET",
    projectRoute(flags, `/deployments/${encodeURIComponent(id)}`),
  );
  if (flags.json) return void process.stdout.write(`${JSON.stringify({ deployment, events }, null, 2)}\n`);
  process.stdout.write(
    `${deployment.service} ${deployment.from ?? "-"} → ${deployment.to} in ${deployment.environment}: ${deployment.status}\n`,
  );
  for (const event of events) process.stdout.write(`  ${describeEvent(event)}\n`);
}

export async function deploymentActionCommand(
  action: "promote" | "abort" | "approve",
  id: string,
  flags: DeliveryFlags & { full?: boolean; reason?: string; comment?: string },
): Promise<void> {
  const body =
    action === "promote"
      ? { full: flags.full === true }
      : action === "abort"
        ? { ...(flags.reason ? { reason: flags.reason } : {}) }
        : { ...(flags.comment ? { comment: flags.comment } : {}) };
  const deployment = await call<DeploymentView>(
    flags,
    "POST",
    projectRoute(flags, `/deployments/${encodeURIComponent(id)}/${action}`),
    body,
  );
  process.stdout.write(
    flags.json ? `${JSON.stringify(deployment)}\n` : `${deployment.id}: ${deployment.status}\n`,
  );
}

/** The commit, branch and commit time of the checkout slipway.yaml is in, when it is one. */
async function gitFacts(dir: string): Promise<{ commit?: string; branch?: string; committedAt?: number }> {
  const git = async (...args: string[]) =>
    (await promisify(execFile)("git", ["-C", dir, ...args], { encoding: "utf8" })).stdout.trim();
  try {
    const [commit, branch, time] = await Promise.all([
      git("rev-parse", "HEAD"),
      git("rev-parse", "--abbrev-ref", "HEAD"),
      git("log", "-1", "--format=%ct"),
    ]);
    return { commit, ...(branch !== "HEAD" ? { branch } : {}), committedAt: Number(time) * 1000 };
  } catch {
    return {};
  }
}
