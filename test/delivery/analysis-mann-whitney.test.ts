import { describe, expect, it } from "vitest";
import { erfc, mannWhitneyU, median, normalSf } from "../../src/delivery/analysis/index.js";

/**
 * Expected U statistics and p-values were computed with SciPy 1.17.1:
 *   scipy.stats.mannwhitneyu(canary, baseline, alternative=ALT, method="asymptotic")
 * (normal approximation with tie correction and continuity correction, U of the first sample).
 * erfc values are Python's math.erfc.
 */
const CASES: Record<
  string,
  { canary: number[]; baseline: number[]; greater: number; less: number; u: number }
> = {
  ties: {
    canary: [3, 4, 4, 5, 6, 7, 7, 8],
    baseline: [1, 2, 2, 3, 4, 5, 5, 6, 6],
    u: 53.5,
    greater: 0.04936199417187642,
    less: 0.9597847183463376,
  },
  separated: {
    canary: [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
    baseline: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    u: 100,
    greater: 9.133589555477501e-5,
    less: 0.9999325785388228,
  },
  errorRatios: {
    canary: [0.051, 0.048, 0.055, 0.047, 0.052, 0.05, 0.049, 0.053, 0.046, 0.054, 0.05, 0.051],
    baseline: [0.001, 0.0, 0.002, 0.0, 0.001, 0.003, 0.0, 0.001, 0.002, 0.0, 0.001, 0.0],
    u: 144,
    greater: 1.6052915035646946e-5,
    less: 0.9999875742991216,
  },
  overlap: {
    canary: [1.2, 3.4, 2.2, 5.1, 0.7, 2.9, 3.3],
    baseline: [2.0, 1.1, 4.4, 0.9, 2.5, 3.0, 1.7, 2.8],
    u: 34,
    greater: 0.26222486090304215,
    less: 0.7740432708604634,
  },
};

describe("mannWhitneyU", () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(`matches SciPy on ${name}`, () => {
      const greater = mannWhitneyU(c.canary, c.baseline, "greater");
      const less = mannWhitneyU(c.canary, c.baseline, "less");
      expect(greater.u).toBe(c.u);
      expect(less.u).toBe(c.u);
      expect(greater.pValue).toBeCloseTo(c.greater, 12);
      expect(less.pValue).toBeCloseTo(c.less, 12);
      expect(Math.abs(greater.pValue - c.greater) / c.greater).toBeLessThan(1e-9);
    });
  }

  it("does not depend on the order of the samples", () => {
    const c = CASES["ties"];
    if (c === undefined) throw new Error("missing case");
    const shuffled = mannWhitneyU([...c.canary].reverse(), [...c.baseline].reverse(), "greater");
    expect(shuffled.pValue).toBe(mannWhitneyU(c.canary, c.baseline, "greater").pValue);
  });

  it("finds no evidence when every value is the same", () => {
    expect(mannWhitneyU([1, 1, 1], [1, 1], "greater")).toEqual({ u: 3, z: 0, pValue: 1 });
  });

  it("refuses empty samples and NaN", () => {
    expect(() => mannWhitneyU([], [1], "greater")).toThrow(RangeError);
    expect(() => mannWhitneyU([NaN], [1], "greater")).toThrow(RangeError);
  });
});

describe("erfc and the normal tail", () => {
  it("matches Python's math.erfc across its range", () => {
    const reference: Array<[number, number]> = [
      [-1, 1.842700792949715],
      [0, 1],
      [0.5, 0.4795001221869535],
      [1.99, 0.004888586800383003],
      [2, 0.004677734981047265],
      [3, 2.2090496998585438e-5],
      [6, 2.1519736712498916e-17],
      [10, 2.088487583762545e-45],
      [26, 5.663192408856143e-296],
    ];
    for (const [x, expected] of reference)
      expect(Math.abs(erfc(x) - expected) / expected).toBeLessThan(1e-12);
  });

  it("gives the standard normal's upper tail", () => {
    expect(normalSf(0)).toBe(0.5);
    // scipy.stats.norm.sf(1.959963984540054) == 0.025
    expect(normalSf(1.959963984540054)).toBeCloseTo(0.025, 15);
  });

  it("takes medians", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
