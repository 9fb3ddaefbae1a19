import type { RunObserver } from "../pipeline/index.js";
import type { EngineEvent, LogLine } from "../pipeline/events.js";
import type { LogChunk } from "../pipeline/log-chunks.js";
import { toChunks } from "../pipeline/log-chunks.js";
import type { ApiClient } from "./client.js";
import { ServerError } from "./client.js";

/** A batch goes at least this often while a job writes output... */
const FLUSH_MS = 1_000;
/** ...or as soon as this much is buffered. */
const FLUSH_BYTES = 1024 * 1024;

/** What one POST of .../batches carries: the lines travel as chunks (src/pipeline/log-chunks.ts). */
interface Batch {
  batch: number;
  events: EngineEvent[];
  logs: LogChunk[];
}

/**
 * Streams a job's events and log lines to the server in numbered batches, in order, one in
 * flight at a time. A batch is built once and retried as is until the server takes it, so a
 * server restart loses nothing and the number lets the server drop a batch it already applied.
 * Step attempt numbers are shifted by `attemptOffset`, so a job's second attempt is recorded
 * beside the first instead of over it.
 */
export class BatchUploader implements RunObserver {
  #events: EngineEvent[] = [];
  #logs: LogLine[] = [];
  #bytes = 0;
  #next = 1;
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> = Promise.resolve();
  /** Set when the server said the lease is gone: nothing more is sent. */
  lost = false;

  constructor(
    private readonly client: ApiClient,
    private readonly leaseId: string,
    private readonly attemptOffset: number,
    private readonly onLost: () => void,
  ) {}

  event(event: EngineEvent): void {
    // The run is announced and ended by the server; an agent reports its job only.
    if (event.type.startsWith("run.")) return;
    const shifted = "attempt" in event ? { ...event, attempt: event.attempt + this.attemptOffset } : event;
    this.#events.push(shifted);
    this.#bytes += 200;
    this.#schedule();
  }

  log(line: LogLine): void {
    this.#logs.push({ ...line, attempt: line.attempt + this.attemptOffset });
    this.#bytes += line.text.length + 8;
    this.#schedule();
  }

  /** Sends everything buffered and waits until the server has it. */
  async drain(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#cut();
    await this.#sending;
  }

  #schedule(): void {
    if (this.#bytes >= FLUSH_BYTES) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#cut();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#cut();
    }, FLUSH_MS);
  }

  /** Closes the current batch and queues it behind the ones in flight. */
  /**
   * Waits for the batches in flight and hands back what is still buffered as the last batch,
   * to send with the job's result; undefined when nothing is left.
   */
  async takeFinal(): Promise<Batch | undefined> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#sending;
    if (this.#events.length === 0 && this.#logs.length === 0) return undefined;
    const batch: Batch = { batch: this.#next++, events: this.#events, logs: toChunks(this.#logs) };
    this.#events = [];
    this.#logs = [];
    this.#bytes = 0;
    return batch;
  }

  #cut(): void {
    if (this.#events.length === 0 && this.#logs.length === 0) return;
    const batch: Batch = { batch: this.#next++, events: this.#events, logs: toChunks(this.#logs) };
    this.#events = [];
    this.#logs = [];
    this.#bytes = 0;
    this.#sending = this.#sending.then(() => this.#send(batch));
  }

  async #send(batch: Batch): Promise<void> {
    if (this.lost) return;
    try {
      await this.client.call("POST", `/api/agent/leases/${this.leaseId}/batches`, { body: batch });
    } catch (error) {
      if (error instanceof ServerError && error.status === 409) {
        this.lost = true;
        this.onLost();
        return;
      }
      throw error;
    }
  }
}
