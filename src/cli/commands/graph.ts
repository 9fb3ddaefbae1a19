import { planPipeline, toDot, toMermaid } from "../../pipeline/index.js";
import { loadProjectPipeline } from "./load.js";

export async function graphCommand(
  jobs: string[],
  flags: { file?: string; format: "mermaid" | "dot" },
): Promise<void> {
  const { pipeline } = await loadProjectPipeline(flags.file);
  const plan = planPipeline(pipeline, jobs);
  process.stdout.write(flags.format === "dot" ? toDot(plan) : toMermaid(plan));
}
