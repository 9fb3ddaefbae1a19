export { WeightedProxy } from "./weighted-proxy.js";
export type { DrainOptions, WeightedProxyOptions } from "./weighted-proxy.js";
export type { Backend, ReleaseRoute, Role, RouteTable } from "./route-table.js";
export { startMetricsEndpoint } from "./metrics-endpoint.js";
export type { MetricsEndpoint } from "./metrics-endpoint.js";
export { DURATION_METRIC, PROXY_DURATION_BUCKETS, REQUESTS_METRIC } from "./metrics.js";
