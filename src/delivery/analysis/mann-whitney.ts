/**
 * The Mann-Whitney U test, one-sided, with the normal approximation, the tie correction of the
 * variance and a continuity correction: the same numbers as SciPy's
 * `scipy.stats.mannwhitneyu(canary, baseline, alternative=..., method="asymptotic")`.
 * It needs no assumption about the distribution of the samples (latencies and error ratios are
 * far from normal), which is why Kayenta-style canary judges use it.
 */

export type Alternative = "greater" | "less";

export interface MannWhitneyResult {
  /** U of the canary sample (SciPy's statistic, whichever the alternative). */
  u: number;
  z: number;
  /** Probability of a U at least this extreme if canary and baseline came from one distribution. */
  pValue: number;
}

/**
 * "greater": is the canary stochastically greater than the baseline (worse, when larger is
 * worse)? "less": is it smaller? Samples must not contain NaN; both must be non-empty.
 */
export function mannWhitneyU(
  canary: readonly number[],
  baseline: readonly number[],
  alternative: Alternative,
): MannWhitneyResult {
  const n1 = canary.length;
  const n2 = baseline.length;
  if (n1 === 0 || n2 === 0) throw new RangeError("Mann-Whitney U needs at least one sample on each side");
  if ([...canary, ...baseline].some(Number.isNaN)) throw new RangeError("Mann-Whitney U cannot rank NaN");

  const all = [...canary.map((v) => ({ v, canary: true })), ...baseline.map((v) => ({ v, canary: false }))];
  all.sort((a, b) => (a.v < b.v ? -1 : a.v > b.v ? 1 : 0));
  const n = n1 + n2;
  let canaryRankSum = 0;
  let tieTerm = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && all[j + 1]?.v === all[i]?.v) j++;
    // Ranks are 1-based; a run of ties shares the average of the ranks it spans.
    const rank = (i + j + 2) / 2;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    for (let k = i; k <= j; k++) if (all[k]?.canary === true) canaryRankSum += rank;
    i = j + 1;
  }
  const u1 = canaryRankSum - (n1 * (n1 + 1)) / 2;
  // "less" is "greater" seen from the baseline's side.
  const directed = alternative === "greater" ? u1 : n1 * n2 - u1;
  const mean = (n1 * n2) / 2;
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  // Every value equal: no ranking at all, so no evidence either way.
  if (!(sd > 0)) return { u: u1, z: 0, pValue: 1 };
  const z = (directed - mean - 0.5) / sd;
  return { u: u1, z, pValue: normalSf(z) };
}

/** P(Z > z) for a standard normal Z. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** The complementary error function, to about 1e-13 relative error (checked against Python's math.erfc). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    // erf's Maclaurin series; below 2 its terms stay small enough that cancellation costs
    // only two or three of the sixteen digits.
    let term = x;
    let sum = x;
    for (let k = 1; k < 100; k++) {
      term *= (-x * x) / k;
      const next = term / (2 * k + 1);
      sum += next;
      if (Math.abs(next) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (x > 27) return 0;
  // Laplace's continued fraction erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
  // evaluated from the tail; at x ≥ 2 two hundred terms are far more than enough.
  let f = x;
  for (let k = 200; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}
