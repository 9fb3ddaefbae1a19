import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  JsonPathError,
  parseJsonPath,
  readJsonPath,
  runAnalysis,
} from "../../src/delivery/analysis/index.js";
import type { MetricSpec, WebProviderSpec } from "../../src/delivery/analysis/index.js";

/** The web provider against a real HTTP server on a free loopback port. */

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let base: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      seen.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body });
      const path = (request.url ?? "").split("?")[0];
      const json = (status: number, value: unknown) => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify(value));
      };
      if (path === "/status")
        json(200, { results: { ok: true, successPercent: 0.97, checks: [{ name: "db", up: false }] } });
      else if (path === "/echo")
        json(200, { method: request.method, auth: request.headers.authorization ?? null, body });
      else if (path === "/unavailable") json(503, { error: "warming up" });
      else if (path === "/html") {
        response.writeHead(200, { "content-type": "text/html" });
        response.end("<html>hello</html>");
      } else if (path === "/hang") {
        // Never answers: the provider's timeout has to end the measurement.
      } else json(404, { error: "no such path" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const web = (
  spec: Partial<WebProviderSpec> & { url: string },
  extra: Partial<MetricSpec> = {},
): MetricSpec => ({
  name: "web",
  provider: { web: spec },
  consecutiveErrorLimit: 0,
  ...extra,
});

async function measureOnce(metric: MetricSpec) {
  const result = await runAnalysis({ metrics: [metric] });
  const measurement = result.metrics[0]?.measurements[0];
  if (measurement === undefined) throw new Error(`no measurement: ${JSON.stringify(result)}`);
  return { result, measurement };
}

describe("web provider", () => {
  it("picks a typed value out of the JSON body with Argo's braced jsonPath", async () => {
    const { result, measurement } = await measureOnce(
      web({ url: `${base}/status`, jsonPath: "{$.results.ok}" }, { successCondition: "result == true" }),
    );
    expect(result.phase).toBe("Successful");
    expect(measurement.value).toBe(true);

    const percent = await measureOnce(
      web(
        { url: `${base}/status`, jsonPath: "$.results.successPercent" },
        { successCondition: "result >= 0.99" },
      ),
    );
    expect(percent.measurement).toMatchObject({ phase: "Failed", value: 0.97 });

    const whole = await measureOnce(
      web({ url: `${base}/status` }, { successCondition: "result.results.checks[0].up" }),
    );
    expect(whole.measurement.phase).toBe("Failed");
  });

  it("sends the method, headers and body, with args substituted", async () => {
    const { measurement } = await runAnalysis({
      args: { token: "s3cret", service: "web" },
      metrics: [
        web(
          {
            url: `${base}/echo?service={{ args.service }}`,
            method: "POST",
            headers: { authorization: "Bearer {{args.token}}" },
            body: '{"service":"{{args.service}}"}',
          },
          { successCondition: "result.method == 'POST' && result.auth == 'Bearer s3cret'" },
        ),
      ],
    }).then((r) => ({ measurement: r.metrics[0]?.measurements[0] }));
    expect(measurement?.phase).toBe("Successful");
    const request = seen.find((s) => s.url.startsWith("/echo"));
    expect(request).toMatchObject({ method: "POST", url: "/echo?service=web", body: '{"service":"web"}' });
  });

  it("makes a non-2xx answer an Error measurement, as Argo does", async () => {
    const { result, measurement } = await measureOnce(
      web({ url: `${base}/unavailable` }, { successCondition: "true" }),
    );
    expect(measurement).toMatchObject({
      phase: "Error",
      message: 'received non 2xx response code: 503: {"error":"warming up"}',
    });
    expect(measurement.value).toBeUndefined();
    expect(result.phase).toBe("Error");
  });

  it("makes a body that is not JSON, or a path that matches nothing, an Error measurement", async () => {
    const html = await measureOnce(web({ url: `${base}/html` }));
    expect(html.measurement.phase).toBe("Error");
    expect(html.measurement.message).toMatch(/^could not parse the JSON body: /);

    const missing = await measureOnce(web({ url: `${base}/status`, jsonPath: "$.results.checks[3].up" }));
    expect(missing.measurement.message).toBe(
      "could not find jsonPath $.results.checks[3].up in the body: $.results.checks[3] is outside a list of 1",
    );
  });

  it("gives up after the timeout", async () => {
    const { measurement } = await measureOnce(web({ url: `${base}/hang`, timeoutMs: 100 }));
    expect(measurement).toMatchObject({ phase: "Error", message: `GET ${base}/hang timed out after 100 ms` });
  });

  it("says why a connection failed", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { measurement } = await measureOnce(web({ url: `http://127.0.0.1:${port}/` }));
    expect(measurement.phase).toBe("Error");
    expect(measurement.message).toMatch(/^fetch failed: .*ECONNREFUSED/);
  });
});

describe("jsonPath subset", () => {
  const doc = { a: { "b-c": [10, { d: "x" }] }, list: [1, 2, 3] };

  it("reads fields, quoted fields and indexes, negative from the end", () => {
    expect(readJsonPath(doc, parseJsonPath("{$.a['b-c'][1].d}"))).toEqual({ found: true, value: "x" });
    expect(readJsonPath(doc, parseJsonPath("$.list[-1]"))).toEqual({ found: true, value: 3 });
    expect(readJsonPath(doc, parseJsonPath(".a.b-c[0]"))).toEqual({ found: true, value: 10 });
    expect(readJsonPath(doc, parseJsonPath("$"))).toEqual({ found: true, value: doc });
  });

  it("says where a path stops matching", () => {
    expect(readJsonPath(doc, parseJsonPath("$.a.nope.x"))).toEqual({
      found: false,
      missing: '$.a has no field "nope"',
    });
    expect(readJsonPath(doc, parseJsonPath("$.list.x"))).toEqual({
      found: false,
      missing: '$.list has no field "x"',
    });
    expect(readJsonPath(doc, parseJsonPath("$.a[0]"))).toEqual({
      found: false,
      missing: "$.a is not a list",
    });
  });

  it("refuses what it does not support", () => {
    expect(() => parseJsonPath("$..a")).toThrow(
      new JsonPathError("jsonPath `$..a`: recursive descent (`..`) is not supported"),
    );
    expect(() => parseJsonPath("$.list[*]")).toThrow("wildcards are not supported");
    expect(() => parseJsonPath("$.list[?(@ > 1)]")).toThrow("filters are not supported");
    expect(() => parseJsonPath("$.list[0:2]")).toThrow("slices and unions are not supported");
    expect(() => parseJsonPath("$ a")).toThrow("unexpected ` a` at character 1");
  });
});
