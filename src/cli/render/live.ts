import type { EngineEvent, JobStatus, LogLine, PlannedJobInfo, RunObserver } from "../../pipeline/index.js";
import { colours, formatDuration, statusIcon, stripControl, truncate } from "./format.js";
import { displayLogText, RunNotes } from "./workflow.js";

interface JobView {
  info: PlannedJobInfo;
  status: JobStatus;
  startedAt: number | undefined;
  durationMs: number | undefined;
  cacheHit: boolean;
  reason: string | undefined;
  /** The last lines of output, for the running line and the failure report. */
  tail: string[];
}

const TAIL_LINES = 12;
const FRAME_MS = 80;

/**
 * The terminal view: the jobs as a tree (matrix children under their job) with status,
 * duration and cache hits, redrawn in place; the failing jobs' last lines printed at the end.
 */
export class LiveRenderer implements RunObserver {
  private readonly c = colours(true);
  private readonly jobs = new Map<string, JobView>();
  private header = "";
  private drawnLines = 0;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;
  private readonly notes = new RunNotes();

  constructor(private readonly out: NodeJS.WriteStream) {}

  event(event: EngineEvent): void {
    this.notes.observe(event);
    switch (event.type) {
      case "run.queued":
        this.header = `${this.c.bold(event.run.pipelineName)} ${this.c.dim(`${event.run.file} · run ${event.run.id}`)}`;
        for (const info of event.jobs) {
          this.jobs.set(info.key, {
            info,
            status: "queued",
            startedAt: undefined,
            durationMs: undefined,
            cacheHit: false,
            reason: undefined,
            tail: [],
          });
        }
        this.out.write("\x1b[?25l");
        this.timer = setInterval(() => this.draw(), FRAME_MS);
        break;
      case "job.started": {
        const job = this.jobs.get(event.jobKey);
        if (job) {
          job.status = "running";
          job.startedAt = event.at;
        }
        break;
      }
      case "job.finished": {
        const job = this.jobs.get(event.jobKey);
        if (job) {
          job.status = event.status;
          job.durationMs = event.durationMs;
          job.cacheHit = event.cacheHit;
          job.reason = event.reason;
        }
        break;
      }
      case "run.finished":
        this.finished = true;
        clearInterval(this.timer);
        this.draw();
        this.out.write("\x1b[?25h");
        this.report(event.status, event.durationMs);
        break;
      default:
        break;
    }
  }

  log(line: LogLine): void {
    const job = this.jobs.get(line.jobKey);
    if (!job) return;
    const text =
      line.stream === "system" ? `[slipway] ${line.text}` : displayLogText(line.text, colours(false));
    if (text === undefined) return;
    job.tail.push(stripControl(text));
    if (job.tail.length > TAIL_LINES) job.tail.shift();
  }

  private draw(): void {
    const width = this.out.columns || 100;
    const lines = [this.header];
    const now = Date.now();
    const seenGroups = new Set<string>();
    for (const job of this.jobs.values()) {
      const isChild = job.info.matrix !== undefined;
      if (isChild && !seenGroups.has(job.info.jobId)) {
        seenGroups.add(job.info.jobId);
        const children = [...this.jobs.values()].filter((j) => j.info.jobId === job.info.jobId);
        lines.push(
          `${statusIcon(groupStatus(children), this.c)} ${job.info.jobId} ${this.c.dim(`(matrix, ${children.length})`)}`,
        );
      }
      const indent = isChild ? "  " : "";
      const elapsed = job.durationMs ?? (job.startedAt !== undefined ? now - job.startedAt : undefined);
      const parts = [`${indent}${statusIcon(job.status, this.c)} ${job.info.name}`];
      if (elapsed !== undefined && job.status !== "skipped") parts.push(this.c.dim(formatDuration(elapsed)));
      if (job.cacheHit) parts.push(this.c.green("cached"));
      if (job.status === "running" && job.tail.length > 0)
        parts.push(this.c.dim(`› ${job.tail.at(-1) ?? ""}`));
      if (job.status === "skipped" && job.reason) parts.push(this.c.dim(job.reason));
      lines.push(truncate(parts.join(" "), width));
    }
    // Move to the start of what was drawn last time and clear below, then draw the new frame.
    const up = this.drawnLines > 0 ? `\x1b[${this.drawnLines}F\x1b[J` : "";
    this.out.write(up + lines.join("\n") + "\n");
    this.drawnLines = lines.length;
    if (this.finished) this.drawnLines = 0;
  }

  private report(status: string, durationMs: number): void {
    for (const job of this.jobs.values()) {
      if (job.status !== "failure" && job.status !== "timed_out") continue;
      this.out.write(`\n${this.c.red(`✗ ${job.info.key}`)}${job.reason ? `: ${job.reason}` : ""}\n`);
      for (const line of job.tail) this.out.write(`  ${this.c.dim("│")} ${line}\n`);
    }
    this.out.write(this.notes.render(this.c));
    const jobs = [...this.jobs.values()];
    const cached = jobs.filter((j) => j.cacheHit).length;
    const icon =
      status === "success"
        ? this.c.green("✓")
        : status === "cancelled"
          ? this.c.yellow("⊘")
          : this.c.red("✗");
    this.out.write(
      `\n${icon} ${status} in ${formatDuration(durationMs)} · ${jobs.length} job(s)${cached > 0 ? `, ${cached} cached` : ""}\n`,
    );
  }
}

function groupStatus(children: JobView[]): JobStatus {
  const s = children.map((c) => c.status);
  if (s.includes("running")) return "running";
  if (s.includes("failure")) return "failure";
  if (s.includes("timed_out")) return "timed_out";
  if (s.every((x) => x === "success")) return "success";
  if (s.includes("cancelled")) return "cancelled";
  if (s.every((x) => x === "skipped")) return "skipped";
  return "queued";
}
