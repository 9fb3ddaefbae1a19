import type { Annotation, EngineEvent, PlannedJobInfo } from "../../pipeline/index.js";
import type { Colours } from "./format.js";

/**
 * How log markers of workflow commands are shown: GitHub's runner keeps `##[group]name`,
 * `##[error]message`... in its raw logs; a reader wants the group's name and a labelled message.
 * Undefined: the line is not shown (the end of a group).
 */
export function displayLogText(text: string, c: Colours): string | undefined {
  if (!text.startsWith("##[")) return text;
  const match = /^##\[(group|endgroup|error|warning|notice|debug)\](.*)$/s.exec(text);
  if (!match) return text;
  const body = match[2] ?? "";
  switch (match[1]) {
    case "group":
      return c.bold(`▸ ${body}`);
    case "endgroup":
      return undefined;
    case "error":
      return c.red(`Error: ${body}`);
    case "warning":
      return c.yellow(`Warning: ${body}`);
    case "notice":
      return c.blue(`Notice: ${body}`);
    default:
      return c.dim(`Debug: ${body}`);
  }
}

type AnnotationEvent = Extract<EngineEvent, { type: "step.annotation" }>;
type SummaryEvent = Extract<EngineEvent, { type: "step.summary" }>;

/** Collects a run's annotations and step summaries, shown together once the run is over. */
export class RunNotes {
  private readonly annotations: AnnotationEvent[] = [];
  private readonly summaries: SummaryEvent[] = [];
  private readonly stepNames = new Map<string, string>();

  observe(event: EngineEvent): void {
    if (event.type === "run.queued") this.names(event.jobs);
    else if (event.type === "step.annotation") this.annotations.push(event);
    else if (event.type === "step.summary") this.summaries.push(event);
  }

  names(jobs: readonly PlannedJobInfo[]): void {
    for (const job of jobs)
      for (const step of job.steps) this.stepNames.set(`${job.key}\0${step.index}`, step.name);
  }

  /** The block printed after a run (empty when the run had neither). */
  render(c: Colours): string {
    const out: string[] = [];
    if (this.annotations.length > 0) {
      out.push("", c.bold("Annotations"));
      for (const { jobKey, stepIndex, annotation } of this.annotations) {
        out.push(
          `  ${formatAnnotation(annotation, c)}  ${c.dim(`${jobKey} › ${this.step(jobKey, stepIndex)}`)}`,
        );
      }
    }
    for (const { jobKey, stepIndex, markdown } of this.summaries) {
      out.push("", c.bold(`Summary · ${jobKey} › ${this.step(jobKey, stepIndex)}`));
      for (const line of markdown.replace(/\n+$/, "").split("\n")) out.push(`  ${line}`);
    }
    return out.length > 0 ? `${out.join("\n")}\n` : "";
  }

  private step(jobKey: string, index: number): string {
    return this.stepNames.get(`${jobKey}\0${index}`) ?? `step ${index + 1}`;
  }
}

export function formatAnnotation(annotation: Annotation, c: Colours): string {
  const label =
    annotation.level === "error"
      ? c.red("error")
      : annotation.level === "warning"
        ? c.yellow("warning")
        : c.blue("notice");
  const where = annotation.file
    ? ` ${annotation.file}${annotation.line ? `:${annotation.line}${annotation.column ? `:${annotation.column}` : ""}` : ""}`
    : "";
  const title = annotation.title ? `${annotation.title}: ` : "";
  return `${label}${where}: ${title}${annotation.message.replaceAll("\n", " ")}`;
}
