export { CI_DURATION_BUCKETS, HTTP_DURATION_BUCKETS, createServerMetrics } from "./metrics.js";
export type { JobLabel, ServerMetrics, WebhookOutcome, WebhookSource } from "./metrics.js";
export { REDACTED, REDACT_PATHS, createLogger } from "./logger.js";
export type { Logger, LoggerOptions } from "./logger.js";
export { createTracing } from "./tracing.js";
export type {
  AttributeValue,
  SpanHandle,
  SpanRef,
  StartSpanOptions,
  Tracing,
  TracingOptions,
} from "./tracing.js";
