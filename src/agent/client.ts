import { EnvironmentError } from "../errors/index.js";

/** The server answered with an error status; `status` tells a lost lease (409) from the rest. */
export class ServerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Response<T> {
  status: number;
  body: T;
}

/** Waits before retry number `attempt` (from 1): exponential with full jitter, capped. */
export function backoff(attempt: number, baseMs = 250, maxMs = 10_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 16));
  return Math.floor(ceiling / 2 + Math.random() * (ceiling / 2));
}

/**
 * A small HTTP client for Slipway's API. Calls that the server applies at most once (every agent
 * call is: batches are numbered, finishing is conditional) are retried through network errors and
 * 5xx answers with backoff, so an agent rides out a server restart.
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  async call<T>(method: string, path: string, options: CallOptions = {}): Promise<Response<T>> {
    return this.#send(method, path, options, async (response) => {
      const text = await response.text();
      const body = (
        text && response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text
      ) as T;
      if (response.status >= 400) throw new ServerError(response.status, describe(body));
      return { status: response.status, body };
    });
  }

  /** The bytes at `path`, or undefined when the server has none (404). */
  async download(path: string, options: CallOptions = {}): Promise<Buffer | undefined> {
    return this.#send("GET", path, options, async (response) => {
      if (response.status === 404) return undefined;
      if (response.status >= 400) throw new ServerError(response.status, describe(await response.text()));
      return Buffer.from(await response.arrayBuffer());
    });
  }

  async #send<T>(
    method: string,
    path: string,
    options: CallOptions,
    read: (response: globalThis.Response) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const signals = [AbortSignal.timeout(options.timeoutMs ?? 30_000)];
        if (options.signal) signals.push(options.signal);
        const response = await fetch(new URL(path, this.baseUrl), {
          method,
          headers: {
            authorization: `Bearer ${this.token}`,
            ...(options.raw
              ? { "content-type": "application/octet-stream" }
              : options.body !== undefined
                ? { "content-type": "application/json" }
                : {}),
          },
          ...(options.raw
            ? { body: options.raw }
            : options.body !== undefined
              ? { body: JSON.stringify(options.body) }
              : {}),
          signal: AbortSignal.any(signals),
        });
        return await read(response);
      } catch (error) {
        if (options.signal?.aborted) throw error;
        const retryable = !(error instanceof ServerError) || error.status >= 500;
        if (!retryable || options.retry === false) {
          if (error instanceof ServerError) throw error;
          throw new EnvironmentError(
            `cannot reach the Slipway server at ${this.baseUrl}: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        }
        await sleep(backoff(attempt), options.signal);
      }
    }
  }
}

interface CallOptions {
  body?: unknown;
  raw?: Buffer;
  retry?: boolean;
  signal?: AbortSignal;
  /** Per-request timeout; long polls pass theirs. */
  timeoutMs?: number;
}

function describe(body: unknown): string {
  if (body && typeof body === "object" && "error" in body) return String((body as { error: unknown }).error);
  return typeof body === "string" ? body.slice(0, 500) : JSON.stringify(body).slice(0, 500);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
