import { EventEmitter } from "node:events";

/**
 * Wakes waiters in this process the moment something changes: long-polling agents when a job is
 * queued, coordinators when a job finishes, live streams when a run gets events or log lines.
 * It only shortens waits: every waiter also polls the store, because on PostgreSQL the change
 * may have been made by another server.
 */
export class Live {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  notify(topic: string): void {
    this.#emitter.emit(topic);
  }

  /** Resolves when `topic` is notified, after `ms`, or when `signal` aborts, whichever comes first. */
  wait(topic: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#emitter.off(topic, done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#emitter.once(topic, done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}

export const topics = {
  queue: "queue",
  job: (runId: string, jobKey: string) => `job:${runId}:${jobKey}`,
  run: (runId: string) => `run:${runId}`,
};
