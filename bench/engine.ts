import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runLocally } from "../src/pipeline/local-run.js";
import { compileNativePipeline } from "../src/pipeline/native/compile.js";
import { median, report, round, SLIPWAY, timeCommand } from "./util.js";

const CONCURRENCY = 2;

function graph(shape: "independent" | "chain", count: number): { yaml: string; makefile: string } {
  const jobs: string[] = ["jobs:"];
  const make: string[] = [];
  const targets = Array.from({ length: count }, (_, i) => `t${i}`);
  for (let i = 0; i < count; i++) {
    const need = shape === "chain" && i > 0 ? `t${i - 1}` : undefined;
    jobs.push(`  t${i}:`);
    if (need) jobs.push(`    needs: ${need}`);
    jobs.push("    steps:", '      - run: "true"');
    make.push(`t${i}:${need ? ` ${need}` : ""}`, "\ttrue");
  }
  make.unshift(`all: ${targets.join(" ")}`, `.PHONY: all ${targets.join(" ")}`);
  return { yaml: jobs.join("\n") + "\n", makefile: make.join("\n") + "\n" };
}

/**
 * The engine's scheduling and process overhead against GNU make running the same graph with the
 * same concurrency: 400 independent no-op steps, and a chain of 200. Measured two ways, each
 * interleaved with make: the whole `slipway run` command as a user runs it (start-up, parsing,
 * store and workspace included), and the engine alone (`runLocally` in this process, pipeline
 * already compiled), which is what a server with a warm process pays.
 */
export async function benchEngine(rounds = 5): Promise<void> {
  for (const [shape, count] of [
    ["independent", 400],
    ["chain", 200],
  ] as const) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `slipway-bench-${shape}-`));
    const dataDir = path.join(os.tmpdir(), `slipway-bench-data-${shape}-${process.pid}`);
    try {
      const { yaml, makefile } = graph(shape, count);
      writeFileSync(path.join(dir, "slipway.yaml"), yaml);
      writeFileSync(path.join(dir, "Makefile"), makefile);
      const pipeline = compileNativePipeline(yaml, "slipway.yaml");
      const env = { ...process.env, CI: "true" };
      const make: number[] = [];
      const cli: number[] = [];
      const engine: number[] = [];
      for (let i = 0; i < rounds; i++) {
        make.push(timeCommand("make", ["-s", `-j${CONCURRENCY}`], dir));
        // The data directory is kept between rounds, as it is between a user's runs (history and
        // the compiled pipeline stay); the median is taken over the rounds.
        cli.push(
          timeCommand(
            "node",
            [SLIPWAY, "run", "--plain", `--concurrency=${CONCURRENCY}`, `--data-dir=${dataDir}`],
            dir,
            env,
          ),
        );
        const start = performance.now();
        const result = await runLocally({
          pipeline,
          projectDir: dir,
          dataDir: `${dataDir}-engine`,
          concurrency: CONCURRENCY,
        });
        engine.push(performance.now() - start);
        if (result.status !== "success") throw new Error(`engine run ${result.status}`);
      }
      const m = median(make);
      report({
        case: `engine.${shape}-${count}`,
        baseline: `make -j${CONCURRENCY}`,
        make_ms: round(m, 1),
        cli_ms: round(median(cli), 1),
        cli_ratio: round(median(cli) / m, 2),
        engine_ms: round(median(engine), 1),
        engine_ratio: round(median(engine) / m, 2),
        goal: 1.5,
        required: 3,
      });
    } finally {
      for (const d of [dir, dataDir, `${dataDir}-engine`]) rmSync(d, { recursive: true, force: true });
    }
  }
}
