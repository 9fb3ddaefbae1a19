import { planPipeline, toDot, toMermaid } from "../../pipeline/index.js";
import { loadCommandPipeline } from "./load.js";
import type { SourceFlags, WorkflowFlags } from "./load.js";

export async function graphCommand(
  jobs: string[],
  flags: SourceFlags & WorkflowFlags & { format: "mermaid" | "dot" },
): Promise<void> {
  const { pipeline, plan: options } = await loadCommandPipeline(flags, { mode: "inspect", jobs });
  const plan = planPipeline(pipeline, jobs, options);
  process.stdout.write(flags.format === "dot" ? toDot(plan) : toMermaid(plan));
}
