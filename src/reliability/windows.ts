/**
 * Multiwindow, multi-burn-rate alert windows (Google SRE workbook, "Alerting on SLOs",
 * https://sre.google/workbook/alerting-on-slos/#6-multiwindow-multi-burn-rate-alerts).
 *
 * The burn-rate factors are not constants: each is derived from "this alert fires once X% of the
 * period's error budget is spent within the long window", the way Sloth does it
 * (internal/alert/window.go), so the same table works for any period.
 */

export interface BudgetWindow {
  /** Percentage of the whole period's error budget that, spent within `longWindow`, should alert. */
  budgetPercent: number;
  /** Seconds. Stops the alert soon after the problem is gone. */
  shortWindow: number;
  /** Seconds. Where the budget consumption is measured. */
  longWindow: number;
}

export interface AlertWindows {
  /** The SLO period in seconds (30 days by default). */
  period: number;
  page: { quick: BudgetWindow; slow: BudgetWindow };
  ticket: { quick: BudgetWindow; slow: BudgetWindow };
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The SRE workbook's window pairs and the share of the budget each may burn before it alerts
 * (https://sre.google/workbook/alerting-on-slos/#recommended_parameters_for_an_slo_based_a):
 * page on 2% in 1h (checked again over 5m) or 5% in 6h (30m); ticket on 10% in 1d (2h) or 10%
 * in 3d (6h). Only the period changes between Sloth's google-30d and google-28d catalogs.
 */
export function workbookWindows(period: number): AlertWindows {
  return {
    period,
    page: {
      quick: { budgetPercent: 2, shortWindow: 5 * MINUTE, longWindow: 1 * HOUR },
      slow: { budgetPercent: 5, shortWindow: 30 * MINUTE, longWindow: 6 * HOUR },
    },
    ticket: {
      quick: { budgetPercent: 10, shortWindow: 2 * HOUR, longWindow: 1 * DAY },
      slow: { budgetPercent: 10, shortWindow: 6 * HOUR, longWindow: 3 * DAY },
    },
  };
}

/** Sloth's default catalog for 30 days (internal/alert/windows/google-30d.yaml). */
export const GOOGLE_30D_WINDOWS: Readonly<AlertWindows> = workbookWindows(30 * DAY);

/** Sloth's catalog for 28 days (internal/alert/windows/google-28d.yaml, `--default-slo-period=28d`). */
export const GOOGLE_28D_WINDOWS: Readonly<AlertWindows> = workbookWindows(28 * DAY);

/**
 * The windows of a period that needs no windows definition (30d, 28d), or undefined. Other
 * periods need their own: the workbook's 1h and 3d windows make little sense for, say, 7 days.
 */
export function builtInWindows(period: number): AlertWindows | undefined {
  return [GOOGLE_30D_WINDOWS, GOOGLE_28D_WINDOWS].find((w) => w.period === period);
}

/**
 * How many times faster than "exactly on budget" errors must arrive so that `budgetPercent` of the
 * period's budget is gone within `longWindow`: fraction × period / longWindow. For 30 days, 2% in
 * 1h gives 14.4. Written in Sloth's order of operations so the floats (and so the rule text) match.
 */
export function burnRateFactor(period: number, window: BudgetWindow): number {
  const hoursToConsume = (window.budgetPercent * (period / HOUR)) / 100;
  return hoursToConsume / (window.longWindow / HOUR);
}

/** Every window a recording rule is needed for, shortest first, without duplicates. */
export function sliWindows(windows: AlertWindows): number[] {
  const all = [windows.page.quick, windows.page.slow, windows.ticket.quick, windows.ticket.slow].flatMap(
    (w) => [w.shortWindow, w.longWindow],
  );
  return [...new Set(all)].sort((a, b) => a - b);
}
