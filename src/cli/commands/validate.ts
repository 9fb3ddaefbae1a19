import { planPipeline } from "../../pipeline/index.js";
import { loadCommandPipeline } from "./load.js";
import type { SourceFlags, WorkflowFlags } from "./load.js";
import path from "node:path";

export async function validateCommand(flags: SourceFlags & WorkflowFlags): Promise<void> {
  const { pipeline, file, plan: options } = await loadCommandPipeline(flags, { mode: "inspect" });
  const plan = planPipeline(pipeline, [], options);
  const steps = pipeline.jobs.reduce((n, job) => n + job.steps.length, 0);
  process.stdout.write(
    `✓ ${path.relative(process.cwd(), file) || file}: ${pipeline.jobs.length} job(s), ${plan.jobs.length} after matrix expansion, ${steps} step(s)\n`,
  );
}
