import { Agent, request } from "node:http";

/**
 * Continuous HTTP load for deployment tests and benchmarks: `concurrency` loops, each sending a
 * request as soon as its previous one ended, over keep-alive connections (node:http with its own
 * Agent, so the sockets are ours to reuse and to close, unlike fetch's global pool). A request
 * fails when it errors, is cut short, or is answered with a status of 500 or more.
 */

export interface LoadOptions {
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  /** Path and query, replacing the URL's. */
  path?: string;
  headers?: Record<string, string>;
  /** A request unanswered this long fails. Default 10 s. */
  timeoutMs?: number;
}

export interface LoadStats {
  sent: number;
  ok: number;
  failed: number;
  /** By HTTP status, and "error" for requests that got no complete answer. */
  byStatus: Record<string, number>;
  /** By the `x-release` header of the answer, where there was one. */
  byRelease: Record<string, number>;
  /** The first 20 failures. */
  errors: string[];
}

export interface Load {
  /** A copy of the counts so far. */
  stats(): LoadStats;
  /** Stops sending, waits for the requests in flight, closes the connections. */
  stop(): Promise<LoadStats>;
}

const MAX_ERRORS = 20;

export function startLoad(url: string, options: LoadOptions = {}): Load {
  const concurrency = options.concurrency ?? 4;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const target = options.path === undefined ? new URL(url) : new URL(options.path, url);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const counts: LoadStats = { sent: 0, ok: 0, failed: 0, byStatus: {}, byRelease: {}, errors: [] };
  let stopping = false;

  const fail = (message: string): void => {
    counts.failed += 1;
    if (counts.errors.length < MAX_ERRORS) counts.errors.push(message);
  };

  const once = (): Promise<void> =>
    new Promise((resolve) => {
      let settled = false;
      const settle = (status: string, failure: string | undefined): void => {
        if (settled) return;
        settled = true;
        counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
        if (failure === undefined) counts.ok += 1;
        else fail(failure);
        resolve();
      };
      counts.sent += 1;
      const req = request(target, { agent, headers: options.headers, timeout: timeoutMs }, (res) => {
        const status = res.statusCode ?? 0;
        const release = res.headers["x-release"];
        if (typeof release === "string") counts.byRelease[release] = (counts.byRelease[release] ?? 0) + 1;
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (body.length < 200) body += chunk;
        });
        res.on("end", () =>
          settle(String(status), status >= 500 ? `HTTP ${status}: ${body.trim()}` : undefined),
        );
        res.on("close", () => {
          if (!res.complete) settle("error", `HTTP ${status}: answer cut short`);
        });
      });
      req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on("error", (error: NodeJS.ErrnoException) =>
        settle("error", `${error.code ?? "error"}: ${error.message}`),
      );
      req.end();
    });

  const loop = async (): Promise<void> => {
    while (!stopping) {
      const failedBefore = counts.failed;
      await once();
      // A target that is down fails at once; pausing keeps the loop from spinning a core.
      if (counts.failed > failedBefore) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const loops = Array.from({ length: concurrency }, () => loop());

  const stats = (): LoadStats => structuredClone(counts);
  return {
    stats,
    async stop() {
      stopping = true;
      await Promise.all(loops);
      agent.destroy();
      return stats();
    },
  };
}
