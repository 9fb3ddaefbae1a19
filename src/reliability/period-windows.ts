import { z } from "zod";
import type { YamlPath } from "../config/yaml-source.js";
import { DURATION_EXPECTED, parsePromDuration } from "./duration.js";
import type { SloChecker } from "./slo-checks.js";
import { builtInWindows } from "./windows.js";
import type { AlertWindows, BudgetWindow } from "./windows.js";

const budgetWindowSchema = z.strictObject({
  short: z.string(),
  long: z.string(),
  budget_percent: z.number(),
});
const pairSchema = z.strictObject({ quick: budgetWindowSchema, slow: budgetWindowSchema });

/**
 * A windows definition as written in a spec, for periods without built-in windows:
 *
 *     windows:
 *       page:   { quick: { short: 5m, long: 1h, budget_percent: 8 },  slow: { short: 30m, long: 6h, budget_percent: 20 } }
 *       ticket: { quick: { short: 2h, long: 1d, budget_percent: 40 }, slow: { short: 6h, long: 2d, budget_percent: 30 } }
 *
 * Each entry alerts once `budget_percent` of the period's budget is spent within `long` (and is
 * still being spent over `short`); the burn-rate factor is budget_percent/100 × period / long.
 */
export const windowsSchema = z.strictObject({ page: pairSchema, ticket: pairSchema });
export type WindowsSpec = z.infer<typeof windowsSchema>;

export const WINDOWS_KEYS: Record<string, readonly string[]> = {
  windows: Object.keys(windowsSchema.shape),
  page: Object.keys(pairSchema.shape),
  ticket: Object.keys(pairSchema.shape),
  quick: Object.keys(budgetWindowSchema.shape),
  slow: Object.keys(budgetWindowSchema.shape),
};

/**
 * The period's alert windows: the spec's own definition when it has one, else the built-in
 * workbook windows of 30d and 28d. Anything else is reported at `periodPath`/`windowsPath`.
 */
export function resolveWindows(
  checker: SloChecker,
  period: { text: string; path: YamlPath },
  windows: { spec: WindowsSpec | undefined; path: YamlPath } | undefined,
): AlertWindows | undefined {
  const seconds = parsePromDuration(period.text);
  if (seconds === undefined) {
    checker.report(period.path, `invalid period "${period.text}"`, { expected: DURATION_EXPECTED });
    return undefined;
  }
  if (!windows?.spec) {
    const builtIn = builtInWindows(seconds);
    if (!builtIn) {
      checker.report(period.path, `period ${period.text} has no built-in alert windows`, {
        expected: "30d or 28d, or a period with its own windows definition",
        hint: windows
          ? "add a windows: block (page and ticket, each quick and slow: short, long, budget_percent)"
          : "periods other than 30d and 28d need their own windows, which only Slipway's native slos: format can define",
      });
    }
    return builtIn;
  }
  const spec = windows.spec;
  const entries: Array<[string[], WindowsSpec["page"]["quick"]]> = [
    [["page", "quick"], spec.page.quick],
    [["page", "slow"], spec.page.slow],
    [["ticket", "quick"], spec.ticket.quick],
    [["ticket", "slow"], spec.ticket.slow],
  ];
  const parsed = entries.map(([at, entry]) =>
    budgetWindow(checker, seconds, entry, [...windows.path, ...at]),
  );
  const [pageQuick, pageSlow, ticketQuick, ticketSlow] = parsed;
  if (!pageQuick || !pageSlow || !ticketQuick || !ticketSlow) return undefined;
  return {
    period: seconds,
    page: { quick: pageQuick, slow: pageSlow },
    ticket: { quick: ticketQuick, slow: ticketSlow },
  };
}

function budgetWindow(
  checker: SloChecker,
  period: number,
  entry: WindowsSpec["page"]["quick"],
  path: YamlPath,
): BudgetWindow | undefined {
  const shortWindow = parsePromDuration(entry.short);
  const longWindow = parsePromDuration(entry.long);
  let ok = true;
  for (const [key, text, value] of [
    ["short", entry.short, shortWindow],
    ["long", entry.long, longWindow],
  ] as const) {
    if (value === undefined) {
      checker.report([...path, key], `invalid window "${text}"`, { expected: DURATION_EXPECTED });
      ok = false;
    }
  }
  if (!(entry.budget_percent > 0 && entry.budget_percent <= 100)) {
    checker.report([...path, "budget_percent"], `budget_percent ${entry.budget_percent} is out of range`, {
      expected: "a percentage of the period's error budget, greater than 0 and at most 100",
    });
    ok = false;
  }
  if (shortWindow === undefined || longWindow === undefined || !ok) return undefined;
  if (shortWindow >= longWindow) {
    checker.report(
      [...path, "short"],
      `short window ${entry.short} is not shorter than long window ${entry.long}`,
      {
        hint: "the short window only confirms that the long window's burn is still going on",
      },
    );
    return undefined;
  }
  if (longWindow > period) {
    checker.report([...path, "long"], `long window ${entry.long} is longer than the period`);
    return undefined;
  }
  return { budgetPercent: entry.budget_percent, shortWindow, longWindow };
}
