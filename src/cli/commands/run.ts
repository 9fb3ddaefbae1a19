import { UsageError } from "../../errors/index.js";
import { runLocally } from "../../pipeline/index.js";
import type { RunObserver } from "../../pipeline/index.js";
import { exitCodeForRun, EXIT } from "../exit-codes.js";
import { JsonRenderer } from "../render/json.js";
import { LiveRenderer } from "../render/live.js";
import { PlainRenderer } from "../render/plain.js";
import { loadCommandPipeline } from "./load.js";
import type { SourceFlags, WorkflowFlags } from "./load.js";
import path from "node:path";

export interface RunFlags extends SourceFlags, WorkflowFlags {
  json?: boolean;
  plain?: boolean;
  concurrency?: number;
  secretFile?: string;
  cache: boolean;
  inPlace?: boolean;
  dataDir?: string;
  executor: "slots" | "process";
  env?: string[];
}

export async function runCommand(jobs: string[], flags: RunFlags): Promise<void> {
  const variables = flags.env ? parseVariables(flags.env) : undefined;
  const loaded = await loadCommandPipeline(flags, {
    mode: "run",
    jobs,
    dataDir: flags.dataDir ? path.resolve(flags.dataDir) : undefined,
    variables,
  });
  const { pipeline, projectDir, file } = loaded;
  for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning}\n`);
  const observer = chooseRenderer(flags);

  // First Ctrl-C or SIGTERM: stop the steps gracefully and record the run as cancelled.
  // A second Ctrl-C: leave at once.
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write("\ncancelling: stopping running steps (Ctrl-C again to quit now)\n");
      controller.abort();
    } else {
      process.exit(EXIT.cancelled);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const result = await runLocally({
      pipeline,
      projectDir,
      pipelineFile: file,
      ...(variables ? { variables } : {}),
      ...(process.argv[1] ? { cliPath: process.argv[1] } : {}),
      ...(flags.dataDir ? { dataDir: path.resolve(flags.dataDir) } : {}),
      jobs,
      ...(loaded.plan ? { plan: loaded.plan } : {}),
      ...(loaded.dialect ? { dialect: loaded.dialect } : {}),
      ...(loaded.trigger ? { trigger: loaded.trigger } : {}),
      ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
      useCache: flags.cache,
      inPlace: flags.inPlace ?? false,
      ...(flags.secretFile ? { secretFile: flags.secretFile } : {}),
      observers: [observer],
      executor: flags.executor,
      onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
      signal: controller.signal,
    });
    if (result.status !== "success" && !flags.json && !flags.inPlace) {
      process.stderr.write(`workspace kept for inspection: ${result.run.workspace}\n`);
    }
    process.exitCode = exitCodeForRun(result.status);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function chooseRenderer(flags: RunFlags): RunObserver {
  if (flags.json) return new JsonRenderer(process.stdout);
  const ci = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";
  if (!flags.plain && !ci && process.stdout.isTTY) return new LiveRenderer(process.stdout);
  return new PlainRenderer(process.stdout, Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
}

function parseVariables(pairs: string[]): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const pair of pairs) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(pair);
    if (!match?.[1]) {
      throw new UsageError(`--env ${pair}: expected NAME=VALUE`, {
        hint: "for example --env OVERRIDE='hotfix, approved'",
      });
    }
    variables[match[1]] = match[2] ?? "";
  }
  return variables;
}
