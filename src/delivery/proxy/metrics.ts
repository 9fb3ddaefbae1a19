import { Counter, Histogram } from "prom-client";
import type { Registry } from "prom-client";
import { InternalError } from "../../errors/index.js";

/**
 * The proxy's per-release metrics. Canary analysis queries them by name and label
 * (`release`, `role`), so the names and labels are a contract with every analysis template.
 */

export const REQUESTS_METRIC = "slipway_proxy_requests_total";
export const DURATION_METRIC = "slipway_proxy_request_duration_seconds";

/** Web requests take milliseconds when healthy and seconds when not; past 10 s clients give up. */
export const PROXY_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export type RequestLabel = "service" | "environment" | "release" | "role" | "code";
export type DurationLabel = "service" | "environment" | "release" | "role";

export interface ProxyMetrics {
  /** `code` is the HTTP status, or "error" when the backend gave no (complete) answer. */
  requests: Counter<RequestLabel>;
  duration: Histogram<DurationLabel>;
}

/**
 * The instruments on `registry`, created on first use: proxies of several services share one
 * registry (and one scrape) with their own `service` label, and prom-client refuses a second
 * metric of the same name.
 */
export function proxyMetrics(registry: Registry): ProxyMetrics {
  return {
    requests:
      existing(registry, REQUESTS_METRIC, Counter) ??
      new Counter({
        name: REQUESTS_METRIC,
        help: "Requests the Slipway proxy answered, by service, environment, release, role (stable or canary) and code.",
        labelNames: ["service", "environment", "release", "role", "code"],
        registers: [registry],
      }),
    duration:
      existing(registry, DURATION_METRIC, Histogram) ??
      new Histogram({
        name: DURATION_METRIC,
        help: "Seconds from a request's arrival at the Slipway proxy to the end of its answer.",
        labelNames: ["service", "environment", "release", "role"],
        buckets: [...PROXY_DURATION_BUCKETS],
        registers: [registry],
      }),
  };
}

function existing<T>(
  registry: Registry,
  name: string,
  kind: abstract new (...args: never[]) => T,
): T | undefined {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return undefined;
  if (metric instanceof kind) return metric;
  throw new InternalError(`metric ${name} is already registered on this registry as another type`);
}
