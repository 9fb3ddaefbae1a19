import type { EngineEvent, LogLine, RunObserver } from "../../pipeline/index.js";
import { colours, formatDuration, statusIcon } from "./format.js";
import type { Colours } from "./format.js";
import { displayLogText, RunNotes } from "./workflow.js";

/** One line per event and per log line, prefixed with the job: for CI logs, pipes and files. */
export class PlainRenderer implements RunObserver {
  private readonly c: Colours;
  private width = 0;
  private readonly notes = new RunNotes();

  constructor(
    private readonly out: NodeJS.WritableStream,
    colour = false,
  ) {
    this.c = colours(colour);
  }

  event(event: EngineEvent): void {
    this.notes.observe(event);
    switch (event.type) {
      case "run.queued":
        this.width = Math.min(32, Math.max(...event.jobs.map((j) => j.key.length)));
        this.write(
          this.c.bold(
            `run ${event.run.id} · ${event.run.pipelineName} (${event.run.file}) · ${event.jobs.length} job(s)`,
          ),
        );
        break;
      case "job.started":
        this.write(`${this.c.blue("▶")} ${event.jobKey}`);
        break;
      case "job.finished": {
        const details = [formatDuration(event.durationMs)];
        if (event.cacheHit) details.push("cache hit");
        const reason = event.reason && event.status !== "success" ? `: ${event.reason}` : "";
        this.write(
          `${statusIcon(event.status, this.c)} ${event.jobKey} ${event.status} (${details.join(", ")})${reason}`,
        );
        break;
      }
      case "run.finished":
        this.out.write(this.notes.render(this.c));
        this.write(
          `${statusIcon(event.status === "interrupted" ? "interrupted" : event.status, this.c)} run ${event.status} in ${formatDuration(event.durationMs)}`,
        );
        break;
      default:
        break;
    }
  }

  log(line: LogLine): void {
    const prefix = line.jobKey.padEnd(this.width).slice(0, Math.max(this.width, 1));
    const text =
      line.stream === "system" ? this.c.dim(`[slipway] ${line.text}`) : displayLogText(line.text, this.c);
    if (text === undefined) return;
    this.write(`${this.c.dim(`${prefix} |`)} ${text}`);
  }

  private write(s: string): void {
    this.out.write(`${s}\n`);
  }
}
