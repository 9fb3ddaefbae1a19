import type { Store } from "../store/index.js";
import type { RunObserver } from "./engine.js";
import type { EngineEvent, LogLine } from "./events.js";

/** How long events wait to be batched into one store transaction. Bounds what a kill -9 can lose. */
const FLUSH_DELAY_MS = 20;

/**
 * Writes a run's events and log lines to the store in batches (one transaction per batch, one
 * batch in flight at a time, in order) and forwards them to other observers (the terminal)
 * immediately. Batching is what lets 400 short jobs run at process-spawn speed; the short delay
 * keeps what a crash can lose to a few milliseconds of output.
 */
export class Recorder implements RunObserver {
  private events: EngineEvent[] = [];
  private logs: LogLine[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly store: Store,
    private readonly forward: readonly RunObserver[] = [],
  ) {}

  event(event: EngineEvent): void {
    this.events.push(event);
    for (const observer of this.forward) observer.event(event);
    this.schedule();
  }

  log(line: LogLine): void {
    this.logs.push(line);
    for (const observer of this.forward) observer.log(line);
    this.schedule();
  }

  /** Waits until everything received so far is in the store; rethrows a write failure. */
  async drain(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing || this.events.length > 0 || this.logs.length > 0) {
      if (this.writing) await this.writing;
      else await this.write();
    }
    if (this.failure) throw this.failure;
  }

  private schedule(): void {
    if (this.timer || this.writing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, FLUSH_DELAY_MS);
  }

  private write(): Promise<void> {
    const events = this.events;
    const logs = this.logs;
    this.events = [];
    this.logs = [];
    this.writing = (async () => {
      try {
        // Events first: log lines belong to jobs and steps the events create.
        if (events.length > 0) await this.store.recordEvents(events);
        if (logs.length > 0) await this.store.appendLogs(logs);
      } catch (error) {
        this.failure ??= error;
      } finally {
        this.writing = undefined;
        if (this.events.length > 0 || this.logs.length > 0) this.schedule();
      }
    })();
    return this.writing;
  }
}
