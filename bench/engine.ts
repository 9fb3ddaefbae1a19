import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { report, round, sideBySide, SLIPWAY, timeCommand } from "./util.js";

/**
 * The engine's scheduling and process overhead against GNU make running the same graph with the
 * same concurrency: 400 independent no-op steps, and a chain of 200.
 */
export function benchEngine(rounds = 5): void {
  const concurrency = 2;
  for (const shape of ["independent", "chain"] as const) {
    const count = shape === "independent" ? 400 : 200;
    const dir = mkdtempSync(path.join(os.tmpdir(), `slipway-bench-${shape}-`));
    try {
      const jobs: string[] = ["jobs:"];
      const make: string[] = [];
      const targets = Array.from({ length: count }, (_, i) => `t${i}`);
      for (let i = 0; i < count; i++) {
        jobs.push(`  t${i}:`);
        if (shape === "chain" && i > 0) jobs.push(`    needs: t${i - 1}`);
        jobs.push("    steps:", '      - run: "true"');
        make.push(`t${i}:${shape === "chain" && i > 0 ? ` t${i - 1}` : ""}`, "\ttrue");
      }
      make.unshift(`all: ${targets.join(" ")}`, `.PHONY: all ${targets.join(" ")}`);
      writeFileSync(path.join(dir, "slipway.yaml"), jobs.join("\n") + "\n");
      writeFileSync(path.join(dir, "Makefile"), make.join("\n") + "\n");
      const dataDir = path.join(os.tmpdir(), `slipway-bench-data-${process.pid}`);
      const env = { ...process.env, CI: "true" };
      const result = sideBySide(
        rounds,
        () => timeCommand("make", ["-s", `-j${concurrency}`], dir),
        () => {
          rmSync(dataDir, { recursive: true, force: true });
          return timeCommand(
            "node",
            [SLIPWAY, "run", "--plain", `--concurrency=${concurrency}`, `--data-dir=${dataDir}`],
            dir,
            env,
          );
        },
      );
      rmSync(dataDir, { recursive: true, force: true });
      report({
        case: `engine.${shape}-${count}`,
        baseline: `make -j${concurrency}`,
        make_ms: round(result.a, 1),
        slipway_ms: round(result.b, 1),
        ratio: round(result.b / result.a, 2),
        goal: 1.5,
        required: 3,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
