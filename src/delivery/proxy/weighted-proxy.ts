import { createServer, request as httpRequest } from "node:http";
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { Registry } from "prom-client";
import { EnvironmentError } from "../../errors/index.js";
import { BackendPool } from "./backend-pool.js";
import { endToEndHeaders, upstreamRequestHeaders } from "./headers.js";
import { proxyMetrics } from "./metrics.js";
import type { ProxyMetrics } from "./metrics.js";
import { RouteSelector, checkRouteTable, routesOf } from "./route-table.js";
import type { RouteTable, Target } from "./route-table.js";
import { ConditionWaiters } from "./waiters.js";

export interface WeightedProxyOptions {
  /** The `service` label of every metric, and the name in error bodies. */
  service: string;
  /** The `environment` label of every metric; default "". */
  environment?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port, read back from `proxy.port`. */
  port?: number;
  /** Default: a new registry, exposed as `proxy.registry`. */
  registry?: Registry;
  /** Header that pins a request to "stable", "canary" or a release name. Default x-slipway-release. */
  headerName?: string;
  /** Default: an empty stable route, answering 503 until `setRoutes()`. */
  routes?: RouteTable;
  /**
   * Request bodies of at most this many bytes with a Content-Length are read whole before they are
   * sent, so that a refused connection can be retried on another backend; larger and chunked bodies
   * stream through and are not retried. Default 64 KiB.
   */
  retryBodyLimit?: number;
  /** How long `close()` waits for requests in flight before cutting their connections. Default 10 s. */
  closeTimeoutMs?: number;
}

export interface DrainOptions {
  /** Wait for these backends; default: every backend no longer in the route table. */
  backendIds?: string[];
  /** Default 30 s. */
  timeoutMs?: number;
}

/** One request on its way through the proxy. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  startedAt: number;
  pin: string | undefined;
  headers: OutgoingHttpHeaders;
  /** The whole request body when it was read before sending (empty when none); undefined when it streams. */
  body: Buffer | undefined;
}

const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/**
 * The reverse proxy in front of one service's instances on hosts: it splits requests between the
 * stable and the canary release by weight, lets a header pin a release for testing, and counts
 * answers per release so that canary analysis has data without instrumenting the service. Route
 * table changes are atomic and lose no request: in-flight requests finish on the old backends,
 * and `drain()` says when those can be stopped.
 */
export class WeightedProxy {
  readonly registry: Registry;
  readonly service: string;
  readonly environment: string;
  private readonly server: Server;
  private readonly headerName: string;
  private readonly retryBodyLimit: number;
  private readonly closeTimeoutMs: number;
  private readonly metrics: ProxyMetrics;
  private readonly pool = new BackendPool();
  private readonly waiters = new ConditionWaiters();
  private selector: RouteSelector;
  private address: AddressInfo | undefined;
  /** Requests received and not yet answered, whatever stage they are in. */
  private active = 0;
  private closing: Promise<void> | undefined;

  private constructor(options: WeightedProxyOptions) {
    this.service = options.service;
    this.environment = options.environment ?? "";
    this.registry = options.registry ?? new Registry();
    this.metrics = proxyMetrics(this.registry);
    this.headerName = (options.headerName ?? "x-slipway-release").toLowerCase();
    this.retryBodyLimit = options.retryBodyLimit ?? 64 * 1024;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
    this.selector = new RouteSelector({ stable: { release: "", backends: [] } });
    if (options.routes !== undefined) this.setRoutes(options.routes);
    this.server = createServer((req, res) => this.handle(req, res));
  }

  static async start(options: WeightedProxyOptions): Promise<WeightedProxy> {
    const proxy = new WeightedProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once("error", reject);
      proxy.server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
        proxy.server.off("error", reject);
        resolve();
      });
    });
    proxy.address = proxy.server.address() as AddressInfo;
    return proxy;
  }

  get port(): number {
    return this.address?.port ?? 0;
  }

  get url(): string {
    const host = this.address?.family === "IPv6" ? `[${this.address.address}]` : this.address?.address;
    return `http://${host ?? "127.0.0.1"}:${this.port}`;
  }

  /** Atomic: every request that starts after the call is routed by `table`. */
  setRoutes(table: RouteTable): void {
    const checked = checkRouteTable(table);
    this.selector = new RouteSelector(checked);
    this.pool.update(routesOf(checked).flatMap((route) => route.backends));
    this.waiters.notify();
  }

  routes(): RouteTable {
    return structuredClone(this.selector.table);
  }

  /** Requests being forwarded to `backendId`, or to any backend. */
  inFlight(backendId?: string): number {
    return this.pool.inFlight(backendId === undefined ? undefined : new Set([backendId]));
  }

  /**
   * Resolves once no request is in flight to a backend no longer in the route table (or to the
   * given backends), so their instances can be stopped without cutting a request.
   */
  drain(options: DrainOptions = {}): Promise<void> {
    const { backendIds, timeoutMs = 30_000 } = options;
    const ids = backendIds === undefined ? undefined : new Set(backendIds);
    const busy = (): { count: number; ids: string[] } =>
      ids === undefined ? this.pool.retiredInFlight() : { count: this.pool.inFlight(ids), ids: [...ids] };
    return this.waiters.wait(
      () => busy().count === 0,
      timeoutMs,
      () => {
        const { count, ids: busyIds } = busy();
        return new EnvironmentError(
          `${count} request(s) of ${this.service} still in flight to ${busyIds.join(", ")} after ${timeoutMs} ms`,
          { hint: "a backend is answering slowly; stopping it now would cut those requests" },
        );
      },
    );
  }

  /** Stops accepting connections and waits (bounded by `closeTimeoutMs`) for requests in flight. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
      await this.waiters
        .wait(
          () => this.active === 0,
          this.closeTimeoutMs,
          () => new EnvironmentError("requests still in flight"),
        )
        .catch(() => undefined);
      this.server.closeAllConnections();
      await closed;
      this.pool.destroy();
    })();
    return this.closing;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.active += 1;
    res.once("close", () => {
      this.active -= 1;
      this.waiters.notify();
    });
    // Keep-alive connections would otherwise bring new requests while close() waits.
    if (this.closing !== undefined) res.setHeader("connection", "close");

    const exchange: Exchange = {
      req,
      res,
      startedAt: performance.now(),
      pin: pinOf(req.headers[this.headerName]),
      headers: upstreamRequestHeaders(req),
      body: undefined,
    };
    const length = replayableLength(req, this.retryBodyLimit);
    if (length === undefined) {
      // Framing headers were dropped as hop-by-hop; a streamed body of unknown length needs chunks.
      if (req.headers["transfer-encoding"] !== undefined) exchange.headers["transfer-encoding"] = "chunked";
      this.route(exchange);
      return;
    }
    readBody(req).then(
      (body) => {
        // The client may have gone while its body arrived.
        if (res.destroyed) return;
        this.route({ ...exchange, body });
      },
      () => res.destroy(),
    );
  }

  /** Chooses the backend with the table of this moment and sends the request. */
  private route(exchange: Exchange): void {
    const selection = this.selector.select(exchange.pin);
    switch (selection.kind) {
      case "unknown-pin":
        answer(
          exchange.res,
          400,
          `unknown release "${exchange.pin}" in ${this.headerName} for service ${this.service}; ` +
            `expected one of: ${selection.known.join(", ")}`,
        );
        return;
      case "no-instance":
        this.record(exchange, selection, "503");
        answer(
          exchange.res,
          503,
          `no ready instance of service ${this.service} (release ${selection.release || "none"})`,
        );
        return;
      case "target":
        this.forward(exchange, selection.target, true);
    }
  }

  private forward(exchange: Exchange, target: Target, firstAttempt: boolean): void {
    const { req, res } = exchange;
    const pooled = this.pool.acquire(target.backend);
    let finished = false;
    const finish = (code: string | undefined): void => {
      if (finished) return;
      finished = true;
      res.off("close", onClientClose);
      this.pool.release(pooled);
      this.waiters.notify();
      if (code !== undefined) this.record(exchange, target, code);
    };

    const upstream = httpRequest({
      agent: pooled.agent,
      hostname: pooled.hostname,
      port: pooled.port,
      method: req.method,
      path: req.url,
      headers: exchange.headers,
    });
    // Who broke an answer off first decides how it is counted: a backend that fails mid-body is
    // an error of its release, a client that leaves is not.
    let clientLeft = false;
    let backendBroke = false;
    const onClientClose = (): void => {
      if (res.writableFinished || backendBroke) return;
      clientLeft = true;
      upstream.destroy();
    };
    res.once("close", onClientClose);

    let answered = false;
    upstream.once("response", (upstreamRes) => {
      answered = true;
      upstreamRes.once("error", () => {
        if (!clientLeft) backendBroke = true;
        res.destroy();
      });
      res.writeHead(
        upstreamRes.statusCode ?? 502,
        upstreamRes.statusMessage,
        endToEndHeaders(upstreamRes.headers),
      );
      // pipe() and two listeners rather than stream.pipeline(), which costs an AbortController and
      // an error object per answer: a tenth of the proxy's time under load.
      const done = (): void => finish(backendBroke ? "error" : String(upstreamRes.statusCode));
      res.once("finish", done);
      res.once("close", done);
      upstreamRes.pipe(res);
    });
    // `on`, not `once`: a streamed body may still be written to the request after it failed.
    upstream.on("error", (error: NodeJS.ErrnoException) => {
      if (answered) return; // the pipeline above ends that exchange
      if (clientLeft) {
        finish(undefined);
        return;
      }
      const alternative =
        firstAttempt && exchange.body !== undefined && notActedOn(error, upstream.reusedSocket, req.method)
          ? this.selector.alternative(target, exchange.pin !== undefined)
          : undefined;
      if (alternative !== undefined) {
        // The failed attempt is not counted: the client never sees it.
        finish(undefined);
        this.forward(exchange, alternative, false);
        return;
      }
      finish("error");
      answer(
        res,
        502,
        `bad gateway: service ${this.service} (release ${target.release}, instance ${target.backend.id}) ` +
          `did not answer: ${error.code ?? error.message}`,
      );
    });

    if (exchange.body === undefined) req.pipe(upstream);
    else if (exchange.body.length === 0) upstream.end();
    else upstream.end(exchange.body);
  }

  private record(exchange: Exchange, target: Pick<Target, "role" | "release">, code: string): void {
    const labels = {
      service: this.service,
      environment: this.environment,
      release: target.release,
      role: target.role,
    };
    this.metrics.requests.inc({ ...labels, code });
    this.metrics.duration.observe(labels, (performance.now() - exchange.startedAt) / 1000);
  }
}

/**
 * Whether the backend certainly did not act on the request, so that sending it to another one
 * cannot do it twice. That is what makes replacing an instance safe: its port refuses
 * connections once it stops, and a keep-alive connection it closed can meet our next request.
 * - ECONNREFUSED: nothing was listening (an instance stopped, or not started yet).
 * - ECONNRESET or EPIPE on a reused keep-alive connection: the backend closed the idle connection
 *   as the request was written, the race every keep-alive client meets
 *   (https://nodejs.org/api/http.html#requestreusedsocket).
 * - ECONNRESET or EPIPE on a new connection, for an idempotent method only: the instance went
 *   away as the request arrived; repeating a GET is harmless, a POST might have been acted on.
 * Anything else (a timeout, a reset after the answer began) may come after the backend acted.
 */
function notActedOn(
  error: NodeJS.ErrnoException,
  reusedSocket: boolean,
  method: string | undefined,
): boolean {
  if (error.code === "ECONNREFUSED") return true;
  if (error.code !== "ECONNRESET" && error.code !== "EPIPE") return false;
  return reusedSocket || IDEMPOTENT_METHODS.has(method ?? "GET");
}

/** The body's length when it can be read whole before sending, undefined when it must stream. */
function replayableLength(req: IncomingMessage, limit: number): number | undefined {
  if (req.headers["transfer-encoding"] !== undefined) return undefined;
  const length = Number(req.headers["content-length"] ?? 0);
  return length <= limit ? length : undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function pinOf(value: string | string[] | undefined): string | undefined {
  const pin = (Array.isArray(value) ? value.join(", ") : value)?.trim();
  return pin === undefined || pin === "" ? undefined : pin;
}

function answer(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = text + "\n";
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}
