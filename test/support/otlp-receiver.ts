import { createServer } from "node:http";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/**
 * An OTLP/HTTP trace receiver on 127.0.0.1 that keeps what it is sent, so tests can check the
 * spans an exporter really put on the wire. Only the JSON encoding is understood
 * (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding); protobuf gets a 415 that
 * says so.
 */

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
  /** Attributes of the resource the span came with (`service.name`...). */
  resource: Record<string, unknown>;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
}

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
}

export interface OtlpReceiver {
  /** Base URL, to give as the exporter's endpoint. */
  url: string;
  spans(): ReceivedSpan[];
  /** Every accepted or refused POST, in arrival order. */
  requests(): ReceivedRequest[];
  /** Resolves once `n` spans have arrived; rejects after `timeoutMs` saying how many did. */
  waitForSpans(n: number, timeoutMs: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      reply(res, 400, { message: error instanceof Error ? error.message : String(error) });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url !== "/v1/traces") return reply(res, 404, { message: "only /v1/traces is served" });
    if (req.method !== "POST") return reply(res, 405, { message: "POST only" });
    requests.push({ headers: req.headers });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const contentType = req.headers["content-type"] ?? "";
    if (!contentType.startsWith("application/json")) {
      return reply(res, 415, {
        message: `this receiver reads OTLP/HTTP JSON only, got "${contentType}"; configure the exporter for JSON`,
      });
    }
    let body = Buffer.concat(chunks);
    if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
    spans.push(...parseSpans(JSON.parse(body.toString("utf8")) as ExportRequest));
    reply(res, 200, {});
    for (const wake of waiters) wake();
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...spans],
    requests: () => [...requests],
    waitForSpans(n, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (spans.length < n) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve([...spans]);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${n} spans within ${timeoutMs} ms, received ${spans.length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      // Exporters keep connections alive; without this, close waits for them to time out.
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function reply(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

interface KeyValue {
  key: string;
  value: AnyValue;
}
interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
}
interface ExportRequest {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        attributes?: KeyValue[];
        startTimeUnixNano: string | number;
        endTimeUnixNano: string | number;
        status?: { code?: number; message?: string };
      }[];
    }[];
  }[];
}

function parseSpans(request: ExportRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = attributeRecord(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        // OTLP/JSON may send an empty string for a root span.
        ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
        name: span.name,
        attributes: attributeRecord(span.attributes),
        resource,
        startTimeUnixNano: String(span.startTimeUnixNano),
        endTimeUnixNano: String(span.endTimeUnixNano),
        status: {
          code: span.status?.code ?? 0,
          ...(span.status?.message ? { message: span.status.message } : {}),
        },
      })),
    );
  });
}

function attributeRecord(attributes: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((attributes ?? []).map(({ key, value }) => [key, anyValue(value)]));
}

function anyValue(value: AnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  // int64 is a string in OTLP/JSON so that it survives JavaScript numbers; tests use small ones.
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(anyValue);
  if (value.kvlistValue) return attributeRecord(value.kvlistValue.values);
  return undefined;
}
