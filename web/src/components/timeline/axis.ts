/** Tick spacings people read at a glance, from a second to a day. */
const STEPS_MS = [
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
];

/** Offsets from the start for about `count` ticks over `span` milliseconds. */
export function ticks(span: number, count = 6): number[] {
  if (!(span > 0)) return [0];
  const step = STEPS_MS.find((s) => span / s <= count) ?? STEPS_MS[STEPS_MS.length - 1] ?? span;
  const out: number[] = [];
  for (let t = 0; t <= span + 1e-9; t += step) out.push(t);
  return out;
}

/** An offset on the axis: 45s, 2m, 2m 30s, 1h 05m. */
export function tickLabel(ms: number): string {
  const s = Math.round(ms / 1_000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m}m` : `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h}h` : `${h}h ${String(m % 60).padStart(2, "0")}m`;
}
