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

/** Sloth's default catalog for 30 days (internal/alert/windows/google-30d.yaml). */
export const GOOGLE_30D_WINDOWS: Readonly<AlertWindows> = {
  period: 30 * DAY,
  page: {
    quick: { budgetPercent: 2, shortWindow: 5 * MINUTE, longWindow: 1 * HOUR },
    slow: { budgetPercent: 5, shortWindow: 30 * MINUTE, longWindow: 6 * HOUR },
  },
  ticket: {
    quick: { budgetPercent: 10, shortWindow: 2 * HOUR, longWindow: 1 * DAY },
    slow: { budgetPercent: 10, shortWindow: 6 * HOUR, longWindow: 3 * DAY },
  },
};

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
