import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../src/server/index.js";
import type { RunningServer } from "../src/server/index.js";
import { createLogger } from "../src/telemetry/index.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const SLIPWAY = path.join(ROOT, "bin", "slipway.js");

/** Wall time of one command in milliseconds; throws with its output when it fails. */
export function timeCommand(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return ms;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Runs the measurements interleaved (a, b, a, b...) so load changes on the machine hit both alike. */
export function sideBySide(rounds: number, a: () => number, b: () => number): { a: number; b: number } {
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    as.push(a());
    bs.push(b());
  }
  return { a: median(as), b: median(bs) };
}

export function report(result: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export const round = (n: number, digits = 3) => Number(n.toFixed(digits));

/**
 * `slipway serve` in the bench's own process, in a new directory under `base`, without built-in
 * runners and logging warnings only: what every server benchmark measures against.
 */
export async function startBenchServer(base: string, database: string | undefined): Promise<RunningServer> {
  return startServer({
    dataDir: path.join(base, "server"),
    database,
    port: 0,
    runners: 0,
    version: "bench",
    logger: createLogger({ level: "warn", destination: 2 }),
  });
}

/** A table of text columns, the first row giving their headers, padded to the widest cell. */
export function printTable<K extends string>(
  header: Readonly<Record<K, string>>,
  rows: readonly Readonly<Record<K, string>>[],
): void {
  const keys = Object.keys(header) as K[];
  const width = (key: K) => Math.max(...[header, ...rows].map((r) => r[key].length));
  for (const row of [header, ...rows]) {
    process.stdout.write(`${keys.map((k) => row[k].padEnd(width(k))).join("  ")}\n`);
  }
}
