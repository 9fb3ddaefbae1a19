/**
 * Analysis runs after Argo Rollouts' AnalysisTemplate / AnalysisRun
 * (https://argoproj.github.io/argo-rollouts/features/analysis/): metrics measured by a provider,
 * each measurement judged by conditions, each metric judged by its limits, the run taking the
 * worst metric phase. Durations are milliseconds where Argo has duration strings.
 */

export type AnalysisPhase = "Pending" | "Running" | "Successful" | "Failed" | "Error" | "Inconclusive";

export type MeasurementPhase = "Successful" | "Failed" | "Error" | "Inconclusive";

export interface PrometheusProviderSpec {
  /** Base URL, e.g. `http://127.0.0.1:9090`. */
  address: string;
  /** An instant query; a vector becomes `number[]`, a scalar a `number`. */
  query: string;
  /** Default 30 000 (Argo's). */
  timeoutMs?: number;
}

export interface WebProviderSpec {
  url: string;
  /** Default GET. */
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** The part of the JSON body that becomes `result`; see json-path.ts. Default: the whole body. */
  jsonPath?: string;
  /** Default 10 000 (Argo's). */
  timeoutMs?: number;
}

export interface JobProviderSpec {
  /** Run with `bash -c`; exit 0 is Successful, anything else Failed (Argo's job provider). */
  command: string;
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** A job still running after this is killed and Failed, like a Kubernetes Job past its deadline. Default: none. */
  timeoutMs?: number;
}

export interface MannWhitneyProviderSpec {
  /** Prometheus base URL; both queries run as range queries over the last `lookbackMs`. */
  address: string;
  baselineQuery: string;
  canaryQuery: string;
  /** One-sided: "greater" (default) when a larger canary value is worse (errors, latency), "less" when smaller is. */
  alternative?: "greater" | "less";
  /** Failed when the p-value is below this. Default 0.05. */
  alpha?: number;
  /** Fewer samples than this on either side make the measurement Inconclusive. Default 10. */
  minSamples?: number;
  /** Default 300 000 (five minutes). */
  lookbackMs?: number;
  /** Range query resolution. Default 15 000. */
  stepMs?: number;
  /** Per query. Default 30 000. */
  timeoutMs?: number;
}

export type ProviderSpec =
  | { prometheus: PrometheusProviderSpec }
  | { web: WebProviderSpec }
  | { job: JobProviderSpec }
  | { mannWhitney: MannWhitneyProviderSpec };

export interface MetricSpec {
  name: string;
  provider: ProviderSpec;
  /** Time between the end of one measurement and the start of the next. */
  intervalMs?: number;
  /**
   * Measurements to take (Error measurements do not count, as in Argo). Neither count nor
   * interval: one measurement. Interval without count: until the run is stopped.
   */
  count?: number;
  /** Wait this long after the run starts before the first measurement. */
  initialDelayMs?: number;
  /** A condition on `result`, see conditions.ts. */
  successCondition?: string;
  failureCondition?: string;
  /** The metric fails when Failed measurements exceed this. Default 0. */
  failureLimit?: number;
  /** The metric is Inconclusive when Inconclusive measurements exceed this. Default 0. */
  inconclusiveLimit?: number;
  /** The metric errs when consecutive Error measurements exceed this. Default 4. */
  consecutiveErrorLimit?: number;
  /**
   * Wait after an Error measurement before trying again. Default: the interval, at most
   * 10 000 (Argo's DefaultErrorRetryInterval).
   */
  errorRetryIntervalMs?: number;
}

export interface AnalysisSpec {
  metrics: MetricSpec[];
  /** Substituted into provider strings and conditions as `{{args.NAME}}` (spaces inside the braces allowed). */
  args?: Record<string, string>;
}

export interface Measurement {
  phase: MeasurementPhase;
  /** As the provider returned it, e.g. `number[]` for a Prometheus vector. */
  value?: unknown;
  message?: string;
  startedAt: string;
  finishedAt: string;
}

export interface MetricResult {
  name: string;
  phase: AnalysisPhase;
  measurements: Measurement[];
  /** Measurements that were not Error: what `count` compares against. */
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  consecutiveError: number;
  message?: string;
}

export interface AnalysisResult {
  phase: AnalysisPhase;
  metrics: MetricResult[];
  message?: string;
}

export interface RunAnalysisOptions {
  /** Stops the run; it then ends with what it has, like Argo's terminate. */
  signal?: AbortSignal;
  /** Called after each measurement with the metric's result so far (a copy). */
  onMeasurement?: (metric: string, measurement: Measurement, result: MetricResult) => void;
  /** For the Prometheus, web and Mann-Whitney providers. Default: the global fetch. */
  fetch?: typeof fetch;
}
