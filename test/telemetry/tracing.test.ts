import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EnvironmentError, UsageError } from "../../src/errors/index.js";
import { createTracing } from "../../src/telemetry/index.js";
import type { Tracing } from "../../src/telemetry/index.js";
import { startOtlpReceiver } from "../support/otlp-receiver.js";
import type { OtlpReceiver, ReceivedSpan } from "../support/otlp-receiver.js";

let receiver: OtlpReceiver;
const tracings: Tracing[] = [];

beforeEach(async () => {
  receiver = await startOtlpReceiver();
});

afterEach(async () => {
  await Promise.allSettled(tracings.splice(0).map((t) => t.shutdown()));
  await receiver.close();
});

function tracing(options: Parameters<typeof createTracing>[0]): Tracing {
  const created = createTracing(options);
  tracings.push(created);
  return created;
}

function byName(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const span = spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span named ${name} among ${spans.map((s) => s.name).join(", ")}`);
  return span;
}

/** Epoch milliseconds as OTLP's nanosecond string. */
const nanos = (ms: number) => (BigInt(ms) * 1_000_000n).toString();

describe("tracing", () => {
  it("exports a run → job → step tree with parents, attributes, times and status", async () => {
    const t = tracing({
      endpoint: receiver.url,
      serviceName: "slipway-test",
      headers: { authorization: "Bearer collector-token" },
    });
    // Before this process started: spans built from recorded events must keep their real times.
    const start = Date.UTC(2026, 0, 5, 9, 0, 0);
    const run = t.startSpan("run", { "slipway.run.id": "r-42", "slipway.project": "shop" }, undefined, {
      startTimeMs: start,
    });
    const job = t.startSpan("job build", { "slipway.job": "build", "slipway.attempt": 1 }, run, {
      startTimeMs: start + 1_000,
    });
    const step = t.startSpan("step npm test", { "slipway.step": "npm test" }, job, {
      startTimeMs: start + 2_000,
    });
    step.setAttribute("slipway.exit_code", 1);
    step.setAttribute("slipway.cached", false);
    step.setStatus(false, "exit code 1");
    step.end(start + 62_500);
    job.setStatus(false);
    job.end(start + 63_000);
    run.setStatus(true);
    run.end(start + 64_000);
    await t.flush();

    const spans = await receiver.waitForSpans(3, 10_000);
    expect(spans).toHaveLength(3);
    const [runSpan, jobSpan, stepSpan] = [
      byName(spans, "run"),
      byName(spans, "job build"),
      byName(spans, "step npm test"),
    ];
    expect(runSpan.parentSpanId).toBeUndefined();
    expect(jobSpan.parentSpanId).toBe(runSpan.spanId);
    expect(stepSpan.parentSpanId).toBe(jobSpan.spanId);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([runSpan.traceId]));
    expect(runSpan).toMatchObject({ traceId: run.traceId, spanId: run.spanId });
    expect(stepSpan).toMatchObject({ traceId: step.traceId, spanId: step.spanId });
    expect(run.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(run.spanId).toMatch(/^[0-9a-f]{16}$/);

    expect(runSpan.attributes).toEqual({ "slipway.run.id": "r-42", "slipway.project": "shop" });
    expect(jobSpan.attributes).toEqual({ "slipway.job": "build", "slipway.attempt": 1 });
    expect(stepSpan.attributes).toEqual({
      "slipway.step": "npm test",
      "slipway.exit_code": 1,
      "slipway.cached": false,
    });
    expect(stepSpan.startTimeUnixNano).toBe(nanos(start + 2_000));
    expect(stepSpan.endTimeUnixNano).toBe(nanos(start + 62_500));
    expect(runSpan.startTimeUnixNano).toBe(nanos(start));
    expect(runSpan.endTimeUnixNano).toBe(nanos(start + 64_000));
    expect(stepSpan.status).toEqual({ code: 2, message: "exit code 1" });
    expect(jobSpan.status).toEqual({ code: 2 });
    expect(runSpan.status).toEqual({ code: 1 });
    expect(runSpan.resource["service.name"]).toBe("slipway-test");
    expect(receiver.requests()[0]?.headers.authorization).toBe("Bearer collector-token");
    expect(receiver.requests()[0]?.headers["content-type"]).toMatch(/^application\/json/);
  });

  it("continues a trace from stored ids, as a restarted server does", async () => {
    const before = tracing({ endpoint: receiver.url });
    const run = before.startSpan("run");
    const stored = { traceId: run.traceId, spanId: run.spanId };
    run.end();
    await before.shutdown();

    const after = tracing({ endpoint: receiver.url });
    after.startSpan("job deploy", {}, stored).end();
    await after.flush();

    const job = byName(await receiver.waitForSpans(2, 10_000), "job deploy");
    expect(job.traceId).toBe(stored.traceId);
    expect(job.parentSpanId).toBe(stored.spanId);
  });

  it("without an endpoint, spans are no-ops and nothing is sent, even with OTEL_* set", async () => {
    // The exporter would read these; with no endpoint given no exporter may exist at all.
    const saved = {
      all: process.env.OTEL_EXPORTER_OTLP_ENDPOINT,
      traces: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    };
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${receiver.url}/v1/traces`;
    try {
      const t = tracing({});
      const run = t.startSpan("run", { "slipway.run.id": "r-1" });
      const job = t.startSpan("job", {}, run, { startTimeMs: Date.now() - 1_000 });
      job.setAttribute("a", 1);
      job.setStatus(false, "failed");
      job.end();
      run.end();
      expect(run.traceId).toBe("0".repeat(32));
      expect(job.spanId).toBe("0".repeat(16));
      // One shared handle: a span costs no allocation.
      expect(job).toBe(run);
      await t.flush();
      await t.shutdown();
    } finally {
      restoreEnv("OTEL_EXPORTER_OTLP_ENDPOINT", saved.all);
      restoreEnv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", saved.traces);
    }
    expect(receiver.requests()).toEqual([]);
    expect(receiver.spans()).toEqual([]);
  });

  it("sends ended spans on shutdown without an explicit flush", async () => {
    const t = tracing({ endpoint: receiver.url });
    const run = t.startSpan("run");
    t.startSpan("job", {}, run).end();
    run.end();
    // The batch processor waits seconds between exports; only shutdown can have sent these.
    await t.shutdown();
    expect(
      receiver
        .spans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(["job", "run"]);
  });

  it("accepts the full traces URL and a trailing slash as the endpoint", async () => {
    for (const endpoint of [`${receiver.url}/`, `${receiver.url}/v1/traces`]) {
      const t = tracing({ endpoint });
      t.startSpan(endpoint).end();
      await t.shutdown();
    }
    expect(receiver.spans()).toHaveLength(2);
  });

  it("reports an endpoint that refuses spans as an EnvironmentError", async () => {
    await receiver.close();
    receiver = await startOtlpReceiver();
    const t = tracing({ endpoint: `${receiver.url}/wrong-prefix` });
    t.startSpan("run").end();
    const flushed = t.flush();
    await expect(flushed).rejects.toThrow(EnvironmentError);
    await expect(flushed).rejects.toThrow(
      `could not export traces to ${receiver.url}/wrong-prefix/v1/traces`,
    );
  });

  it("refuses an endpoint that is not an http URL", () => {
    expect(() => createTracing({ endpoint: "127.0.0.1:4318" })).toThrow(UsageError);
    expect(() => createTracing({ endpoint: "not a url" })).toThrow(/invalid tracing endpoint/);
  });

  it("receiver answers protobuf with 415", async () => {
    const response = await fetch(`${receiver.url}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: new Uint8Array([0x0a, 0x00]),
    });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { message: string }).message).toMatch(/JSON only/);
  });
});

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
