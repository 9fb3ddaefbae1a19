import type { EngineEvent, LogLine, RunObserver } from "../../pipeline/index.js";

/** The event stream as NDJSON: one event or log line per line, for other programs. */
export class JsonRenderer implements RunObserver {
  constructor(private readonly out: NodeJS.WritableStream) {}

  event(event: EngineEvent): void {
    this.out.write(`${JSON.stringify(event)}\n`);
  }

  log(line: LogLine): void {
    this.out.write(`${JSON.stringify({ type: "log", ...line })}\n`);
  }
}
