import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/**
 * What the test servers (PostgreSQL, Prometheus) share: a free port, the tail of the server's
 * stderr for error messages, waiting until it answers, and stopping it.
 */

/** A port free on 127.0.0.1 right now (the caller retries if another process takes it first). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Keeps the last 4000 characters of the child's stderr, for start-up failure messages. */
export function stderrTail(child: ChildProcess): () => string {
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  return () => stderr;
}

export interface ReadyCheck {
  /** The server's name, for messages. */
  name: string;
  child: ChildProcess;
  stderr: () => string;
  /** True once the server answers. */
  probe(): Promise<boolean>;
  timeoutMs: number;
  /** Message when the binary could not be started at all (not installed). */
  missing: string;
}

export async function waitUntilReady(check: ReadyCheck): Promise<void> {
  const deadline = Date.now() + check.timeoutMs;
  let spawnError: Error | undefined;
  check.child.once("error", (error) => (spawnError = error));
  for (;;) {
    if (spawnError !== undefined) throw new Error(check.missing, { cause: spawnError });
    if (check.child.exitCode !== null || check.child.signalCode !== null) {
      throw new Error(`${check.name} exited during start-up:\n${check.stderr()}`);
    }
    if (await check.probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(`${check.name} was not ready within ${check.timeoutMs} ms:\n${check.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends `signal`, then SIGKILL if the server has not exited after `graceMs`. */
export async function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
