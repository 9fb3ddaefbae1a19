/**
 * Prometheus durations (`5m`, `1h30m`, `28d`, `4w`), as written in SLO periods and windows, in
 * whole seconds. Milliseconds are refused: rule ranges and `slo:time_period:days` want seconds,
 * and no SLO window is shorter than a minute anyway. Units must come largest first, as in
 * Prometheus (https://prometheus.io/docs/prometheus/latest/querying/basics/#time-durations).
 */
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const SIZES = [365 * 86_400, 7 * 86_400, 86_400, 3600, 60, 1];

export function parsePromDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match || text.trim() === "") return undefined;
  const seconds = SIZES.reduce((sum, size, i) => sum + Number(match[i + 1] ?? 0) * size, 0);
  return seconds > 0 ? seconds : undefined;
}

export const DURATION_EXPECTED = "a Prometheus duration in whole seconds or more, e.g. 5m, 6h, 28d";
