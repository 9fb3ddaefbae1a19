import { createServer, request } from "node:http";
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { WeightedProxy, startMetricsEndpoint } from "../../src/delivery/proxy/index.js";
import type { Backend, RouteTable, WeightedProxyOptions } from "../../src/delivery/proxy/index.js";
import { startLoad } from "../support/load-generator.js";
import { freePort } from "../support/server-process.js";
import { until } from "../support/delivery.js";

/** A real HTTP server standing in for one instance of a service. */
interface TestBackend {
  backend: Backend;
  server: Server;
  /** Requests that reached it. */
  hits: number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Answers with its id as body and its release in `x-release`, unless `handler` answers. */
async function startBackend(id: string, release: string, handler?: Handler): Promise<TestBackend> {
  const server = createServer((req, res) => {
    state.hits += 1;
    res.setHeader("x-release", release);
    res.setHeader("x-instance", id);
    if (handler !== undefined) return handler(req, res);
    req.resume();
    req.on("end", () => res.end(id));
  });
  // Longer than any test: only the proxy may close its pooled connections.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  const state: TestBackend = {
    backend: { id, url: `http://127.0.0.1:${port}` },
    server,
    hits: 0,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
  cleanups.push(state.close);
  return state;
}

/** A backend address where nothing listens: connections are refused. */
async function deadBackend(id: string): Promise<Backend> {
  return { id, url: `http://127.0.0.1:${await freePort()}` };
}

async function startProxy(
  options: Partial<WeightedProxyOptions> & { routes: RouteTable },
): Promise<WeightedProxy> {
  const proxy = await WeightedProxy.start({ service: "web", ...options });
  cleanups.push(() => proxy.close());
  return proxy;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request over a new connection, so that no test depends on another's pooled sockets. */
function send(
  url: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(options.path ?? "/", url),
      { method: options.method ?? "GET", headers: options.headers ?? {}, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** `n` requests, `parallel` at a time; the bodies in completion order. */
async function sendMany(url: string, n: number, headers: Record<string, string> = {}): Promise<Answer[]> {
  const answers: Answer[] = [];
  const parallel = 8;
  for (let i = 0; i < n; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, n - i) }, () => send(url, { headers }));
    answers.push(...(await Promise.all(batch)));
  }
  return answers;
}

function countBy(answers: Answer[], key: (answer: Answer) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) counts[key(answer)] = (counts[key(answer)] ?? 0) + 1;
  return counts;
}

const release = (answer: Answer): string => String(answer.headers["x-release"] ?? `status ${answer.status}`);

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with this name and exactly these labels; undefined when absent. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const matches = samples.filter(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (matches.length > 1)
    throw new Error(`${matches.length} samples of ${name} with ${JSON.stringify(labels)}`);
  return matches[0]?.value;
}

describe("WeightedProxy", () => {
  it("sends exactly the canary weight's share of requests to the canary", async () => {
    const v1 = [await startBackend("v1-0", "v1"), await startBackend("v1-1", "v1")];
    const v2 = await startBackend("v2-0", "v2");
    const table = (weight: number): RouteTable => ({
      stable: { release: "v1", backends: v1.map((b) => b.backend) },
      canary: { release: "v2", backends: [v2.backend], weight },
    });
    const proxy = await startProxy({ routes: table(0) });

    for (const weight of [0, 10, 50, 100]) {
      proxy.setRoutes(table(weight));
      const counts = countBy(await sendMany(proxy.url, 1000), release);
      expect({ weight, counts }).toEqual({
        weight,
        counts: { ...(weight < 100 && { v1: 1000 - weight * 10 }), ...(weight > 0 && { v2: weight * 10 }) },
      });
    }
    expect(proxy.routes().canary?.weight).toBe(100);
  });

  it("takes turns between the backends of a release", async () => {
    const backends = [
      await startBackend("v1-0", "v1"),
      await startBackend("v1-1", "v1"),
      await startBackend("v1-2", "v1"),
    ];
    const proxy = await startProxy({
      routes: { stable: { release: "v1", backends: backends.map((b) => b.backend) } },
    });
    const bodies: string[] = [];
    for (let i = 0; i < 9; i++) bodies.push((await send(proxy.url)).body);
    expect(bodies).toEqual(["v1-0", "v1-1", "v1-2", "v1-0", "v1-1", "v1-2", "v1-0", "v1-1", "v1-2"]);
  });

  it("routes by the pinning header and refuses a release it does not know", async () => {
    const v1 = await startBackend("v1-0", "v1");
    const v2 = await startBackend("v2-0", "v2");
    const proxy = await startProxy({
      routes: {
        stable: { release: "v1", backends: [v1.backend] },
        canary: { release: "v2", backends: [v2.backend], weight: 0 },
      },
    });
    const pinned = async (value: string): Promise<string> =>
      release(await send(proxy.url, { headers: { "x-slipway-release": value } }));
    expect(await pinned("canary")).toBe("v2");
    expect(await pinned("v2")).toBe("v2");
    expect(await pinned("stable")).toBe("v1");
    expect(await pinned("v1")).toBe("v1");

    const unknown = await send(proxy.url, { headers: { "x-slipway-release": "v9" } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toBe(
      'unknown release "v9" in x-slipway-release for service web; expected one of: stable, canary, v1, v2\n',
    );

    proxy.setRoutes({ stable: { release: "v1", backends: [v1.backend] } });
    const noCanary = await send(proxy.url, { headers: { "x-slipway-release": "canary" } });
    expect(noCanary.status).toBe(400);
    expect(noCanary.body).toContain("expected one of: stable, v1\n");
    expect(v1.hits + v2.hits).toBe(4);
  });

  it("counts answers per service, release, role and code on a shared registry", async () => {
    const registry = new Registry();
    const v1 = await startBackend("v1-0", "v1");
    const v2 = await startBackend("v2-0", "v2", (_req, res) => {
      res.statusCode = 500;
      res.end("boom");
    });
    const web = await startProxy({
      registry,
      environment: "prod",
      routes: {
        stable: { release: "v1", backends: [v1.backend] },
        canary: { release: "v2", backends: [v2.backend], weight: 50 },
      },
    });
    const api = await startProxy({
      service: "api",
      registry,
      routes: { stable: { release: "a1", backends: [await deadBackend("a1-0")] } },
    });
    expect(web.registry).toBe(registry);

    await sendMany(web.url, 10);
    expect((await send(api.url)).status).toBe(502);

    const samples = parseExposition(await registry.metrics());
    const requests = "slipway_proxy_requests_total";
    expect(
      valueOf(samples, requests, {
        service: "web",
        environment: "prod",
        release: "v1",
        role: "stable",
        code: "200",
      }),
    ).toBe(5);
    expect(
      valueOf(samples, requests, {
        service: "web",
        environment: "prod",
        release: "v2",
        role: "canary",
        code: "500",
      }),
    ).toBe(5);
    expect(
      valueOf(samples, requests, {
        service: "api",
        environment: "",
        release: "a1",
        role: "stable",
        code: "error",
      }),
    ).toBe(1);
    const count = "slipway_proxy_request_duration_seconds_count";
    expect(
      valueOf(samples, count, { service: "web", environment: "prod", release: "v2", role: "canary" }),
    ).toBe(5);
    const buckets = samples.filter(
      (s) => s.name === "slipway_proxy_request_duration_seconds_bucket" && s.labels["release"] === "v1",
    );
    expect(buckets.map((s) => s.labels["le"])).toEqual([
      "0.005",
      "0.01",
      "0.025",
      "0.05",
      "0.1",
      "0.25",
      "0.5",
      "1",
      "2.5",
      "5",
      "10",
      "+Inf",
    ]);
    expect(buckets.at(-1)?.value).toBe(5);
  });

  it("answers 502 naming the service when the only backend is down", async () => {
    const proxy = await startProxy({
      routes: { stable: { release: "v1", backends: [await deadBackend("v1-0")] } },
    });
    const answer = await send(proxy.url);
    expect(answer.status).toBe(502);
    expect(answer.body).toBe(
      "bad gateway: service web (release v1, instance v1-0) did not answer: ECONNREFUSED\n",
    );
  });

  it("answers 503 when the stable release has no instance", async () => {
    const proxy = await startProxy({ routes: { stable: { release: "v1", backends: [] } } });
    const answer = await send(proxy.url);
    expect(answer.status).toBe(503);
    expect(answer.body).toBe("no ready instance of service web (release v1)\n");
  });

  it("retries a refused connection on another backend, in the same release first", async () => {
    const live = await startBackend("v1-1", "v1", (req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (body += chunk));
      req.on("end", () => res.end(`${req.method} ${body}`));
    });
    const other = await startBackend("v2-0", "v2");
    const proxy = await startProxy({
      routes: {
        stable: { release: "v1", backends: [await deadBackend("v1-0"), live.backend] },
        canary: { release: "v2", backends: [other.backend], weight: 0 },
      },
    });
    const load = startLoad(proxy.url, { concurrency: 4 });
    await until(() => load.stats().ok >= 200, "200 answers");
    const stats = await load.stop();
    expect(stats.errors).toEqual([]);
    expect(stats.failed).toBe(0);
    expect(stats.byRelease).toEqual({ v1: stats.sent });
    expect(other.hits).toBe(0);

    // A body read whole before sending is sent again intact.
    const post = await send(proxy.url, { method: "POST", body: "order=42" });
    const post2 = await send(proxy.url, { method: "POST", body: "order=43" });
    expect([post.body, post2.body].sort()).toEqual(["POST order=42", "POST order=43"]);

    // The canary's only instance is down: its requests go to the stable release.
    proxy.setRoutes({
      stable: { release: "v1", backends: [live.backend] },
      canary: { release: "v2", backends: [await deadBackend("v2-0")], weight: 50 },
    });
    expect(countBy(await sendMany(proxy.url, 20), release)).toEqual({ v1: 20 });
  });

  it("loses no request when an instance stops under load without a route change", async () => {
    const v1 = [await startBackend("v1-0", "v1"), await startBackend("v1-1", "v1")];
    const proxy = await startProxy({
      routes: { stable: { release: "v1", backends: v1.map((b) => b.backend) } },
    });
    const load = startLoad(proxy.url, { concurrency: 4 });
    await until(() => load.stats().ok >= 100, "100 answers");
    await v1[0]!.close();
    const hitsAfterStop = v1[1]!.hits;
    await until(() => v1[1]!.hits >= hitsAfterStop + 200, "200 more answers from v1-1");
    const stats = await load.stop();
    expect(stats.errors).toEqual([]);
    expect(stats.failed).toBe(0);
  });

  it("moves traffic from removed backends with zero failed requests and closes their connections", async () => {
    const v1 = [await startBackend("v1-0", "v1"), await startBackend("v1-1", "v1")];
    const v2 = [await startBackend("v2-0", "v2"), await startBackend("v2-1", "v2")];
    const proxy = await startProxy({
      routes: { stable: { release: "v1", backends: v1.map((b) => b.backend) } },
    });
    const load = startLoad(proxy.url, { concurrency: 4 });
    await until(() => (load.stats().byRelease["v1"] ?? 0) >= 100, "100 answers from v1");

    proxy.setRoutes({ stable: { release: "v2", backends: v2.map((b) => b.backend) } });
    await proxy.drain();
    const v1Hits = v1[0]!.hits + v1[1]!.hits;
    expect(proxy.inFlight("v1-0") + proxy.inFlight("v1-1")).toBe(0);
    // The proxy closes its keep-alive connections to the removed instances (the instances would
    // keep them for a minute), so stopping them cuts nothing.
    const connections = (server: Server): Promise<number> =>
      new Promise((resolve, reject) =>
        server.getConnections((error, n) => (error ? reject(error) : resolve(n))),
      );
    await until(
      async () => (await connections(v1[0]!.server)) + (await connections(v1[1]!.server)) === 0,
      "the proxy to close its connections to v1",
    );
    await Promise.all(v1.map((b) => b.close()));

    const v2Before = load.stats().byRelease["v2"] ?? 0;
    await until(() => (load.stats().byRelease["v2"] ?? 0) >= v2Before + 100, "100 more answers from v2");
    const stats = await load.stop();
    expect(stats.errors).toEqual([]);
    expect(stats.failed).toBe(0);
    expect(stats.byRelease["v1"]).toBeGreaterThan(0);
    expect(stats.byRelease["v2"]).toBeGreaterThan(0);
    expect(v1[0]!.hits + v1[1]!.hits).toBe(v1Hits);
  });

  it("drains: waits for a slow request to a removed backend, which completes", async () => {
    const arrived = deferred();
    const gate = deferred();
    const slow = await startBackend("v1-0", "v1", (_req, res) => {
      arrived.resolve();
      void gate.promise.then(() => res.end("slow answer"));
    });
    const v2 = await startBackend("v2-0", "v2");
    const proxy = await startProxy({ routes: { stable: { release: "v1", backends: [slow.backend] } } });

    const pending = send(proxy.url);
    await arrived.promise;
    expect(proxy.inFlight("v1-0")).toBe(1);
    proxy.setRoutes({ stable: { release: "v2", backends: [v2.backend] } });
    let drained = false;
    const draining = proxy.drain().then(() => (drained = true));

    expect((await send(proxy.url)).body).toBe("v2-0");
    expect(drained).toBe(false);
    await expect(proxy.drain({ timeoutMs: 50 })).rejects.toThrow(
      "1 request(s) of web still in flight to v1-0 after 50 ms",
    );
    await expect(proxy.drain({ backendIds: ["v2-0"] })).resolves.toBeUndefined();

    gate.resolve();
    await draining;
    expect(await pending).toMatchObject({ status: 200, body: "slow answer" });
    expect(proxy.inFlight()).toBe(0);
  });

  it("streams bodies both ways and forwards the request as sent, with X-Forwarded headers", async () => {
    const firstPart = deferred<string>();
    const gate = deferred();
    const echo = await startBackend("v1-0", "v1", (req, res) => {
      if (req.url === "/stream") {
        // Answers part of the body, then waits: a buffering proxy would show nothing yet.
        res.write("first ");
        void gate.promise.then(() => res.end("second"));
        return;
      }
      if (req.url === "/upload") {
        req.setEncoding("utf8");
        req.once("data", (chunk: string) => firstPart.resolve(chunk));
        req.on("end", () => res.end("uploaded"));
        return;
      }
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (body += chunk));
      req.on("end", () =>
        res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body })),
      );
    });
    const proxy = await startProxy({ routes: { stable: { release: "v1", backends: [echo.backend] } } });

    const echoed = await send(proxy.url, {
      method: "PATCH",
      path: "/orders/7?expand=lines&x=%20y",
      headers: {
        "x-custom": "kept",
        connection: "keep-alive, x-hop",
        "x-hop": "dropped",
        "x-forwarded-for": "203.0.113.9",
      },
      body: "qty=3",
    });
    const seen = JSON.parse(echoed.body) as {
      method: string;
      url: string;
      headers: IncomingHttpHeaders;
      body: string;
    };
    expect(seen.method).toBe("PATCH");
    expect(seen.url).toBe("/orders/7?expand=lines&x=%20y");
    expect(seen.body).toBe("qty=3");
    expect(seen.headers).toMatchObject({
      "x-custom": "kept",
      "x-forwarded-for": "203.0.113.9, 127.0.0.1",
      "x-forwarded-proto": "http",
      "x-forwarded-host": `127.0.0.1:${proxy.port}`,
      host: `127.0.0.1:${proxy.port}`,
    });
    expect(seen.headers["x-hop"]).toBeUndefined();
    expect(echoed.headers["x-instance"]).toBe("v1-0");

    // The response's first part arrives while the backend still holds the rest.
    const streamed = await fetch(`${proxy.url}/stream`);
    const reader = streamed.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("first ");
    gate.resolve();
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += new TextDecoder().decode(chunk.value);
    }
    expect(rest).toBe("second");

    // A chunked upload's first part reaches the backend before the client has finished it.
    const uploaded = new Promise<string>((resolve, reject) => {
      const req = request(`${proxy.url}/upload`, { method: "POST", agent: false }, (res) => {
        res.setEncoding("utf8");
        let body = "";
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve(body));
      });
      req.on("error", reject);
      req.write("part one");
      void firstPart.promise.then(() => req.end("part two"));
    });
    expect(await firstPart.promise).toBe("part one");
    expect(await uploaded).toBe("uploaded");
  });

  it("close() lets a request in flight finish, then refuses connections", async () => {
    const arrived = deferred();
    const gate = deferred();
    const slow = await startBackend("v1-0", "v1", (_req, res) => {
      arrived.resolve();
      void gate.promise.then(() => res.end("finished"));
    });
    const proxy = await WeightedProxy.start({
      service: "web",
      routes: { stable: { release: "v1", backends: [slow.backend] } },
    });
    const pending = send(proxy.url);
    await arrived.promise;
    const closing = proxy.close();
    await expect(send(proxy.url)).rejects.toThrow(/ECONNREFUSED/);
    gate.resolve();
    expect(await pending).toMatchObject({ status: 200, body: "finished" });
    await closing;
  });

  it("rejects a route table it cannot route", async () => {
    const proxy = await startProxy({ routes: { stable: { release: "v1", backends: [] } } });
    const backend = await deadBackend("v1-0");
    expect(() =>
      proxy.setRoutes({
        stable: { release: "v1", backends: [] },
        canary: { release: "v2", backends: [], weight: 101 },
      }),
    ).toThrow("canary weight must be between 0 and 100, got 101");
    expect(() =>
      proxy.setRoutes({
        stable: { release: "v1", backends: [backend] },
        canary: { release: "v2", backends: [backend], weight: 1 },
      }),
    ).toThrow('backend id "v1-0" appears twice in the route table');
    expect(proxy.routes()).toEqual({ stable: { release: "v1", backends: [] } });
  });
});

describe("startMetricsEndpoint", () => {
  it("serves the registry at /metrics in the Prometheus text format", async () => {
    const v1 = await startBackend("v1-0", "v1");
    const proxy = await startProxy({ routes: { stable: { release: "v1", backends: [v1.backend] } } });
    await send(proxy.url);
    const endpoint = await startMetricsEndpoint(proxy.registry);
    cleanups.push(endpoint.close);

    const scraped = await send(endpoint.url, { path: "/metrics" });
    expect(scraped.status).toBe(200);
    expect(scraped.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    const samples = parseExposition(scraped.body);
    expect(
      valueOf(samples, "slipway_proxy_requests_total", {
        service: "web",
        environment: "",
        release: "v1",
        role: "stable",
        code: "200",
      }),
    ).toBe(1);
    expect((await send(endpoint.url, { path: "/" })).status).toBe(404);
    expect(endpoint.url).toBe(`http://127.0.0.1:${endpoint.port}`);
  });
});
