import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Agent } from "../agent/agent.js";
import type { Store } from "../store/index.js";
import { createToken, hashToken } from "./auth.js";
import { writeSecretFile } from "./index.js";

/**
 * The local runner pool of `slipway serve`: agents in the server's own process, talking to it
 * over HTTP like any other agent, so a small set-up needs no second program and runs jobs through
 * exactly the same path (leases, heartbeats, batches) as a fleet does.
 */
export async function startRunnerPool(options: {
  url: string;
  store: Store;
  dataDir: string;
  count: number;
  cliPath: string | undefined;
  onError: (error: unknown) => void;
}): Promise<{ close(): Promise<void> }> {
  const token = await runnerToken(options.store, options.dataDir);
  const agent = new Agent({
    server: options.url,
    token,
    name: `${os.hostname()}-local`,
    labels: ["local"],
    concurrency: options.count,
    dataDir: path.join(options.dataDir, "runners"),
    cliPath: options.cliPath,
  });
  agent.start();
  return { close: () => agent.close({ cancel: false }).catch(options.onError) };
}

/** The pool's agent token, kept in the data directory and made again if it was revoked. */
async function runnerToken(store: Store, dataDir: string): Promise<string> {
  const file = path.join(dataDir, "runner-token");
  const existing = (await readFile(file, "utf8").catch(() => "")).trim();
  if (existing) {
    const record = await store.control.findToken(hashToken(existing));
    if (record && record.revokedAt === undefined && record.kind === "agent") return existing;
  }
  const { token } = await createToken(store.control, {
    kind: "agent",
    name: "local runner pool",
    createdBy: "slipway serve",
  });
  await writeSecretFile(file, `${token}\n`);
  return token;
}
