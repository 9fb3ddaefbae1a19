import { describe, expect, it } from "vitest";
import { parsePromDuration } from "../../src/reliability/duration.js";
import {
  builtInWindows,
  burnRateFactor,
  GOOGLE_28D_WINDOWS,
  GOOGLE_30D_WINDOWS,
  workbookWindows,
} from "../../src/reliability/windows.js";
import type { AlertWindows } from "../../src/reliability/windows.js";

const DAY = 86_400;
const factors = (w: AlertWindows) =>
  [w.page.quick, w.page.slow, w.ticket.quick, w.ticket.slow].map((b) => burnRateFactor(w.period, b));

describe("SLO periods", () => {
  it("derives factor = budget fraction × period / long window for 30d and 28d", () => {
    expect(factors(GOOGLE_30D_WINDOWS)).toEqual([14.4, 6, 3, 1]);
    const f28 = factors(GOOGLE_28D_WINDOWS);
    [13.44, 5.6, 2.8, 28 / 30].forEach((want, i) => expect(f28[i]).toBeCloseTo(want, 12));
    for (const [w, period] of [
      [GOOGLE_28D_WINDOWS.page.slow, 28 * DAY],
      [GOOGLE_30D_WINDOWS.ticket.quick, 30 * DAY],
    ] as const) {
      expect(burnRateFactor(period, w)).toBeCloseTo(((w.budgetPercent / 100) * period) / w.longWindow, 12);
    }
  });

  it("has built-in windows only for 30d and 28d", () => {
    expect(builtInWindows(30 * DAY)).toBe(GOOGLE_30D_WINDOWS);
    expect(builtInWindows(28 * DAY)).toBe(GOOGLE_28D_WINDOWS);
    expect(builtInWindows(7 * DAY)).toBeUndefined();
    expect(workbookWindows(7 * DAY).page.quick).toEqual(GOOGLE_30D_WINDOWS.page.quick);
  });

  it("reads Prometheus durations in whole seconds", () => {
    expect(parsePromDuration("28d")).toBe(28 * DAY);
    expect(parsePromDuration("4w")).toBe(28 * DAY);
    expect(parsePromDuration("1h30m")).toBe(5400);
    for (const bad of ["", "30", "1M", "500ms", "30m1h", "0d"])
      expect(parsePromDuration(bad)).toBeUndefined();
  });
});
