import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Executor } from "../src/executors/index.js";
import { ProcessExecutor } from "../src/executors/process-executor.js";
import { SlotExecutor } from "../src/executors/slot-executor.js";
import { median, report, round } from "./util.js";

/** Runs `count` `true` steps through `executor`, `concurrency` at a time; wall time in ms. */
async function timeExecutor(
  executor: Executor,
  count: number,
  concurrency: number,
  cwd: string,
  env: Record<string, string>,
): Promise<number> {
  const signal = new AbortController().signal;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const outcome = await executor.run({
        script: "true",
        shell: "bash",
        cwd,
        env: { ...env, SLIPWAY_STEP: String(index) },
        scriptFile: path.join(cwd, `${index}.script`),
        timeoutMs: undefined,
        signal,
        onOutput: () => {},
      });
      if (outcome.exitCode !== 0) throw new Error(`step ${index} failed: ${JSON.stringify(outcome)}`);
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * The executors alone, without the engine: 400 `true` steps at concurrency 2 through
 * ProcessExecutor and SlotExecutor in this process, interleaved, and `make -jN` on 400 targets.
 * Steps get this process's environment without `_`, which bash cannot pass through `exec`
 * (SlotExecutor then falls back to `env -i`, one more exec per step: measured as slot_env_i).
 */
export async function benchExecutor(rounds = 7, count = 400, concurrency = 2): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-bench-executor-"));
  const slot = new SlotExecutor();
  try {
    const targets = Array.from({ length: count }, (_, i) => `t${i}`);
    const makefile = [`all: ${targets.join(" ")}`, `.PHONY: all ${targets.join(" ")}`];
    for (const target of targets) makefile.push(`${target}:`, "\ttrue");
    writeFileSync(path.join(dir, "Makefile"), makefile.join("\n") + "\n");
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
    const withUnderscore = { ...env, _: env._ ?? "/usr/bin/env" };
    delete env._;
    const processExecutor = new ProcessExecutor();
    await timeExecutor(slot, concurrency, concurrency, dir, env); // Start the slots outside the timing.
    const times = {
      process: [] as number[],
      slot: [] as number[],
      slotEnvI: [] as number[],
      make: [] as number[],
    };
    for (let i = 0; i < rounds; i++) {
      times.process.push(await timeExecutor(processExecutor, count, concurrency, dir, env));
      times.slot.push(await timeExecutor(slot, count, concurrency, dir, env));
      times.slotEnvI.push(await timeExecutor(slot, count, concurrency, dir, withUnderscore));
      const start = process.hrtime.bigint();
      const make = spawnSync("make", ["-s", `-j${concurrency}`], { cwd: dir });
      if (make.status !== 0) throw new Error(`make failed: ${String(make.stderr)}`);
      times.make.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    const processMs = median(times.process);
    const slotMs = median(times.slot);
    const makeMs = median(times.make);
    report({
      case: `executor.true-${count}-j${concurrency}`,
      process_ms: round(processMs, 1),
      slot_ms: round(slotMs, 1),
      slot_env_i_ms: round(median(times.slotEnvI), 1),
      make_ms: round(makeMs, 1),
      process_over_slot: round(processMs / slotMs, 2),
      slot_over_make: round(slotMs / makeMs, 2),
    });
  } finally {
    await slot.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
