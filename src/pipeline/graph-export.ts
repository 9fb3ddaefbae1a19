import type { Plan } from "./plan.js";

/** The planned DAG (matrix children included) as a Mermaid flowchart. */
export function toMermaid(plan: Plan): string {
  const ids = nodeIds(plan);
  const lines = ["flowchart LR"];
  for (const job of plan.jobs) lines.push(`  ${ids.get(job.key)}["${job.key.replaceAll('"', "#quot;")}"]`);
  for (const job of plan.jobs)
    for (const need of job.needs) lines.push(`  ${ids.get(need)} --> ${ids.get(job.key)}`);
  return lines.join("\n") + "\n";
}

/** The planned DAG as Graphviz DOT. */
export function toDot(plan: Plan): string {
  const quote = (s: string) => `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  const lines = [`digraph ${quote(plan.pipeline.name)} {`, "  rankdir=LR;", "  node [shape=box];"];
  for (const job of plan.jobs) lines.push(`  ${quote(job.key)};`);
  for (const job of plan.jobs)
    for (const need of job.needs) lines.push(`  ${quote(need)} -> ${quote(job.key)};`);
  lines.push("}");
  return lines.join("\n") + "\n";
}

function nodeIds(plan: Plan): Map<string, string> {
  return new Map(plan.jobs.map((job, i) => [job.key, `j${i}`]));
}
