import { planPipeline } from "../../pipeline/index.js";
import { loadProjectPipeline } from "./load.js";
import path from "node:path";

export async function validateCommand(flags: { file?: string }): Promise<void> {
  const { pipeline, file } = await loadProjectPipeline(flags.file);
  const plan = planPipeline(pipeline);
  const steps = pipeline.jobs.reduce((n, job) => n + job.steps.length, 0);
  process.stdout.write(
    `✓ ${path.relative(process.cwd(), file) || file}: ${pipeline.jobs.length} job(s), ${plan.jobs.length} after matrix expansion, ${steps} step(s)\n`,
  );
}
