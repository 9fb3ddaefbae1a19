import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BIN, ROOT } from "./cli.js";
import { freePort, stderrTail, stopProcess, waitUntilReady } from "./server-process.js";

/**
 * `slipway serve` and `slipway agent` as real processes (the built CLI), for tests that kill
 * them, plus a git repository to register as a project.
 */

export interface ServerProcess {
  url: string;
  dataDir: string;
  /**
   * The admin token the store's first start printed; empty for a server sharing a PostgreSQL
   * store that another server created (its token works here too).
   */
  adminToken: string;
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

export async function startServe(options: {
  dataDir?: string;
  database?: string;
  runners?: number;
  leaseSeconds?: number;
  port?: number;
  /** More `slipway serve` options, as on its command line. */
  extraArgs?: readonly string[];
}): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "slipway-serve-"));
  const port = options.port ?? (await freePort());
  const args = [
    BIN,
    "serve",
    "--data-dir",
    dataDir,
    "--port",
    String(port),
    "--runners",
    String(options.runners ?? 0),
  ];
  if (options.database) args.push("--database", options.database);
  if (options.leaseSeconds) args.push("--lease-seconds", String(options.leaseSeconds));
  args.push(...(options.extraArgs ?? []));
  const child = spawn("node", args, {
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const stderr = stderrTail(child);
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady({
    name: "slipway serve",
    child,
    stderr,
    timeoutMs: 30_000,
    missing: "cannot start slipway serve",
    probe: async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true,
  });
  const tokenFile = path.join(dataDir, "admin-token");
  const adminToken = existsSync(tokenFile) ? readFileSync(tokenFile, "utf8").trim() : "";
  return { url, dataDir, adminToken, child, stderr, stop: () => stopProcess(child, "SIGTERM", 10_000) };
}

export interface AgentProcess {
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

export function startAgent(
  url: string,
  token: string,
  options: {
    name: string;
    labels?: string;
    concurrency?: number;
    /** Default: a new temporary directory. */
    dataDir?: string;
    /** Options for node itself, before the CLI (a benchmark's --cpu-prof). */
    nodeArgs?: readonly string[];
  },
): AgentProcess {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), `slipway-agent-${options.name}-`));
  const args = [
    ...(options.nodeArgs ?? []),
    BIN,
    "agent",
    "--server",
    url,
    "--token",
    token,
    "--name",
    options.name,
    "--data-dir",
    dataDir,
  ];
  if (options.labels) args.push("--labels", options.labels);
  if (options.concurrency) args.push("--concurrency", String(options.concurrency));
  const child = spawn("node", args, {
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const stderr = stderrTail(child);
  return { child, stderr, stop: () => stopProcess(child, "SIGTERM", 10_000) };
}

/** A git repository with the given files committed on `main`. */
export function gitRepo(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-repo-"));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    execFileSync("mkdir", ["-p", path.dirname(file)]);
    writeFileSync(file, content);
  }
  commitAll(dir, "initial");
  return dir;
}

/** The example project as a git repository. */
export function exampleRepo(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-example-repo-"));
  cpSync(path.join(ROOT, "examples", "node-service"), dir, {
    recursive: true,
    filter: (src) => !/[/\\](\.slipway|dist|out|reports|\.smoke|node_modules)$/.test(src),
  });
  commitAll(dir, "example");
  return dir;
}

export function commitAll(dir: string, message: string): string {
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@localhost", ...args], {
      cwd: dir,
      encoding: "utf8",
    });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-qm", message, "--allow-empty");
  return git("rev-parse", "HEAD").trim();
}

/** Calls the API with a token; returns status and parsed body. */
export async function api<T = unknown>(
  url: string,
  token: string | undefined,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${url}${route}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (metrics, streams)
  }
  return { status: response.status, body: parsed as T };
}

/** Polls until `check` returns a value, or fails with the last state after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
