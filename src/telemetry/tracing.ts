import { ROOT_CONTEXT, SpanStatusCode, TraceFlags, isSpanContextValid, trace } from "@opentelemetry/api";
import type { Span, Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { EnvironmentError, UsageError } from "../errors/index.js";

export type AttributeValue = string | number | boolean;

/** Identifies a span; a `SpanHandle` is one, and so are ids read back from the store. */
export interface SpanRef {
  readonly traceId: string;
  readonly spanId: string;
}

export interface SpanHandle extends SpanRef {
  setAttribute(key: string, value: AttributeValue): void;
  /** `ok: false` marks the span as an error, with `message` as its description. */
  setStatus(ok: boolean, message?: string): void;
  /** Ends the span now, or at `endTimeMs` (milliseconds since the epoch). Later calls do nothing. */
  end(endTimeMs?: number): void;
}

export interface StartSpanOptions {
  /**
   * When the span started, in milliseconds since the epoch. Default: now. The server records
   * status events first and may build spans from them later, so a span can start in the past.
   */
  startTimeMs?: number;
}

export interface Tracing {
  /**
   * Starts a span, as a child of `parent` when given, else as the root of a new trace. `parent` may
   * be a live handle or ids kept from one (for example across a server restart); a parent with
   * invalid ids, such as a no-op handle, starts a new trace.
   */
  startSpan(
    name: string,
    attributes?: Record<string, AttributeValue>,
    parent?: SpanRef,
    options?: StartSpanOptions,
  ): SpanHandle;
  /** Exports every ended span now. Rejects with an EnvironmentError when the endpoint refuses them. */
  flush(): Promise<void>;
  /** Exports every ended span, then stops; spans started afterwards are not exported. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /**
   * Base URL of an OTLP/HTTP receiver (`http://127.0.0.1:4318`); spans are sent as JSON to
   * `<endpoint>/v1/traces`. Default: none, and then every span is a no-op that costs nothing.
   */
  endpoint?: string;
  /** `service.name` of the exported spans. Default `slipway`. */
  serviceName?: string;
  /** Sent with every export, for receivers that need authentication. Default: none. */
  headers?: Record<string, string>;
}

const TRACES_PATH = "/v1/traces";

export function createTracing(options: TracingOptions = {}): Tracing {
  if (options.endpoint === undefined) return NOOP_TRACING;
  const url = tracesUrl(options.endpoint);

  // A provider per call and never the global one: several servers (and tests) share a process,
  // and registering globally would also let third-party instrumentation export through it.
  const provider = new TracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({ "service.name": options.serviceName ?? "slipway" }),
    ),
    spanProcessors: [
      // Batching keeps exporting off the path of the job that ended the span.
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url, headers: { ...options.headers } }),
      }),
    ],
  });
  const tracer = provider.getTracer("slipway");
  const exportFailed = (cause: unknown) =>
    new EnvironmentError(`could not export traces to ${url}`, {
      hint: "check that an OpenTelemetry collector accepts OTLP/HTTP JSON at this address",
      cause,
    });

  return {
    startSpan: (name, attributes, parent, startOptions) =>
      startOtelSpan(tracer, name, attributes, parent, startOptions),
    flush: () => provider.forceFlush().catch((cause: unknown) => Promise.reject(exportFailed(cause))),
    shutdown: () => provider.shutdown().catch((cause: unknown) => Promise.reject(exportFailed(cause))),
  };
}

function tracesUrl(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (cause) {
    throw new UsageError(`invalid tracing endpoint "${endpoint}"`, {
      hint: "give the receiver's base URL, for example http://127.0.0.1:4318",
      cause,
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`tracing endpoint "${endpoint}" is not an http or https URL`, {
      hint: "give the receiver's base URL, for example http://127.0.0.1:4318",
    });
  }
  // Accept the full traces URL too: it is what OTEL_EXPORTER_OTLP_TRACES_ENDPOINT holds.
  const base = url.pathname.replace(/\/+$/, "");
  url.pathname = base.endsWith(TRACES_PATH) ? base : base + TRACES_PATH;
  return url.toString();
}

function startOtelSpan(
  tracer: Tracer,
  name: string,
  attributes: Record<string, AttributeValue> | undefined,
  parent: SpanRef | undefined,
  options: StartSpanOptions | undefined,
): SpanHandle {
  const parentContext = parent
    ? { traceId: parent.traceId, spanId: parent.spanId, traceFlags: TraceFlags.SAMPLED, isRemote: false }
    : undefined;
  const context =
    parentContext && isSpanContextValid(parentContext)
      ? trace.setSpanContext(ROOT_CONTEXT, parentContext)
      : ROOT_CONTEXT;
  const span = tracer.startSpan(
    name,
    {
      ...(attributes === undefined ? {} : { attributes }),
      ...(options?.startTimeMs === undefined ? {} : { startTime: epochTime(options.startTimeMs) }),
    },
    context,
  );
  return wrap(span);
}

function wrap(span: Span): SpanHandle {
  const { traceId, spanId } = span.spanContext();
  return {
    traceId,
    spanId,
    setAttribute: (key, value) => void span.setAttribute(key, value),
    setStatus: (ok, message) =>
      void span.setStatus(
        ok
          ? { code: SpanStatusCode.OK }
          : { code: SpanStatusCode.ERROR, ...(message === undefined ? {} : { message }) },
      ),
    end: (endTimeMs) => span.end(endTimeMs === undefined ? undefined : epochTime(endTimeMs)),
  };
}

/**
 * The SDK reads a bare number as either epoch or `performance.now()` milliseconds, guessing from
 * its size; a Date is always epoch time.
 */
function epochTime(ms: number): Date {
  return new Date(ms);
}

const INVALID_TRACE_ID = "0".repeat(32);
const INVALID_SPAN_ID = "0".repeat(16);

/** One shared handle: without an endpoint, starting a span allocates nothing. */
const NOOP_SPAN: SpanHandle = Object.freeze({
  traceId: INVALID_TRACE_ID,
  spanId: INVALID_SPAN_ID,
  setAttribute: () => undefined,
  setStatus: () => undefined,
  end: () => undefined,
});

const NOOP_TRACING: Tracing = Object.freeze({
  startSpan: () => NOOP_SPAN,
  flush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
});
