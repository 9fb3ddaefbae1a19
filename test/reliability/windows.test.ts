import { describe, expect, it } from "vitest";
import {
  burnRateFactor,
  formatGoFloat,
  formatPromDuration,
  GOOGLE_30D_WINDOWS,
  sliWindows,
} from "../../src/reliability/index.js";

describe("alert windows", () => {
  it("derives the SRE workbook factors for 30 days from budget fractions", () => {
    const w = GOOGLE_30D_WINDOWS;
    expect(burnRateFactor(w.period, w.page.quick)).toBe(14.4);
    expect(burnRateFactor(w.period, w.page.slow)).toBe(6);
    expect(burnRateFactor(w.period, w.ticket.quick)).toBe(3);
    expect(burnRateFactor(w.period, w.ticket.slow)).toBe(1);
  });

  it("scales the factors with the period", () => {
    expect(burnRateFactor(28 * 86_400, GOOGLE_30D_WINDOWS.page.quick)).toBeCloseTo(13.44, 10);
  });

  it("lists each recording window once, shortest first", () => {
    expect(sliWindows(GOOGLE_30D_WINDOWS).map(formatPromDuration)).toEqual([
      "5m",
      "30m",
      "1h",
      "2h",
      "6h",
      "1d",
      "3d",
    ]);
  });
});

describe("Go-compatible formatting", () => {
  it("prints floats like Go's %g", () => {
    expect(formatGoFloat(99.9 / 100)).toBe("0.9990000000000001");
    expect(formatGoFloat((100 - 99.9) / 100)).toBe("0.0009999999999999432");
    expect(formatGoFloat((100 - 99.999) / 100)).toBe("1.0000000000047748e-05");
    expect(formatGoFloat(14.4)).toBe("14.4");
    expect(formatGoFloat(30)).toBe("30");
    expect(formatGoFloat(1_000_000)).toBe("1e+06");
    expect(formatGoFloat(0.95)).toBe("0.95");
  });

  it("prints durations like Prometheus", () => {
    expect(formatPromDuration(30 * 86_400)).toBe("30d");
    expect(formatPromDuration(28 * 86_400)).toBe("4w");
    expect(formatPromDuration(90 * 60)).toBe("1h30m");
  });
});
