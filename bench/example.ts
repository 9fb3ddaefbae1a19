import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { median, report, ROOT, round, SLIPWAY, timeCommand } from "./util.js";

/**
 * The example pipeline cold (empty cache) against warm (nothing changed since the last run),
 * end to end through the CLI, in a git copy of examples/node-service.
 */
export function benchExample(rounds = 3): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-bench-example-"));
  try {
    cpSync(path.join(ROOT, "examples", "node-service"), dir, {
      recursive: true,
      filter: (src) => !/[/\\](\.slipway|dist|reports|\.smoke|node_modules)$/.test(src),
    });
    const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "ignore" });
    git("init", "-q");
    git("add", ".");
    git("-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm", "example");
    const env = { ...process.env, CI: "true" };
    const run = () => timeCommand("node", [SLIPWAY, "run", "--plain"], dir, env);
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < rounds; i++) {
      rmSync(path.join(dir, ".slipway"), { recursive: true, force: true });
      cold.push(run());
      warm.push(run());
      warm.push(run());
    }
    const c = median(cold);
    const w = median(warm);
    report({
      case: "example.cold-vs-warm",
      baseline: "cold run (empty cache)",
      cold_ms: round(c, 1),
      warm_ms: round(w, 1),
      ratio: round(w / c, 3),
      goal: 0.05,
      required: 0.1,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
