import { UsageError } from "../errors/index.js";
import type { SloSet } from "./model.js";
import { sloStatus } from "./status.js";
import type { SloStatus, SloStatusOptions } from "./status.js";

export interface GatePolicy {
  /** Fraction 0..1 of the period's error budget that must be left. Default 0: block only once spent. */
  minBudgetRemaining?: number;
  /** Block while an SLO's page alert fires. Default true. */
  blockOnPageAlert?: boolean;
  /** Sloth IDs (`<service>-<name>`) or SLO names to consider. Default: every SLO of the set. */
  slos?: string[];
  /** Deploy even though the gate blocks; kept with the decision for the record. */
  overrideReason?: string;
}

export interface GateDecision {
  allowed: boolean;
  /** Allowed only because of `overrideReason`; never true for a gate that does not block. */
  overridden: boolean;
  /** The trimmed override reason, when one was given. */
  overrideReason?: string;
  /** One line per blocking SLO, also when overridden. Empty when nothing blocks. */
  reasons: string[];
  /** The status of every SLO considered. */
  statuses: SloStatus[];
}

/**
 * The deploy budget gate: blocks a deploy while an SLO has less error budget left than the policy
 * requires or (by default) its page alert fires. An SLO without data blocks too: a gate that
 * cannot see the service must not wave a deploy through. An override reason turns a block into
 * an allowed, recorded exception.
 */
export async function sloGate(
  set: SloSet,
  prometheusUrl: string,
  policy: GatePolicy = {},
  options: SloStatusOptions = {},
): Promise<GateDecision> {
  const minBudgetRemaining = policy.minBudgetRemaining ?? 0;
  if (!Number.isFinite(minBudgetRemaining) || minBudgetRemaining < 0 || minBudgetRemaining > 1) {
    throw new UsageError(
      `the minimum budget remaining must be a fraction between 0 and 1, got ${minBudgetRemaining}`,
      { hint: "e.g. 0.25 to require a quarter of the error budget left" },
    );
  }
  const override = policy.overrideReason?.trim();
  if (override === "") {
    throw new UsageError("the override reason is empty", {
      hint: "say why the deploy must go out despite the error budget, e.g. the incident it fixes",
    });
  }
  const considered = selectSlos(set, policy.slos);
  const statuses = await sloStatus(considered, prometheusUrl, options);
  const blockOnPageAlert = policy.blockOnPageAlert ?? true;
  const reasons = statuses.flatMap((status) => {
    const reason = blockingReason(status, considered, minBudgetRemaining, blockOnPageAlert);
    return reason === undefined ? [] : [reason];
  });
  const blocked = reasons.length > 0;
  return {
    allowed: !blocked || override !== undefined,
    overridden: blocked && override !== undefined,
    ...(override === undefined ? {} : { overrideReason: override }),
    reasons,
    statuses,
  };
}

function selectSlos(set: SloSet, wanted: string[] | undefined): SloSet {
  if (wanted === undefined) return set;
  if (wanted.length === 0) {
    throw new UsageError("the SLO filter names no SLO", {
      hint: "leave the filter out to consider every SLO",
    });
  }
  const unknown = wanted.filter((w) => !set.slos.some((s) => s.id === w || s.name === w));
  if (unknown.length > 0) {
    throw new UsageError(`no SLO with the ID or name ${unknown.map((u) => JSON.stringify(u)).join(", ")}`, {
      hint: `known SLOs: ${set.slos.map((s) => s.id).join(", ") || "none"}`,
    });
  }
  return { ...set, slos: set.slos.filter((s) => wanted.includes(s.id) || wanted.includes(s.name)) };
}

function blockingReason(
  status: SloStatus,
  set: SloSet,
  minBudgetRemaining: number,
  blockOnPageAlert: boolean,
): string | undefined {
  if (status.health === "unknown" || status.budgetRemaining === null) {
    return (
      `${status.id}: no data in Prometheus (error budget remaining unknown), so the gate fails closed; ` +
      "check that Prometheus loads the generated rules and scrapes the service, or give an override reason to deploy anyway"
    );
  }
  const problems: string[] = [];
  if (status.budgetRemaining < minBudgetRemaining) {
    const [left, required] = percents(status.budgetRemaining, minBudgetRemaining);
    problems.push(`error budget remaining ${left} is below the required ${required}`);
  }
  if (blockOnPageAlert && status.alerts.page === "firing") {
    const alert = set.slos.find((s) => s.id === status.id)?.pageAlert.name ?? "";
    problems.push(`page alert ${alert} is firing`);
  }
  return problems.length === 0 ? undefined : `${status.id}: ${problems.join("; ")}`;
}

/** Percentages with one decimal, or more when one decimal would print a value below its threshold as equal. */
function percents(value: number, threshold: number): [string, string] {
  for (let digits = 1; ; digits++) {
    const pair: [string, string] = [
      `${(value * 100).toFixed(digits)}%`,
      `${(threshold * 100).toFixed(digits)}%`,
    ];
    if (pair[0] !== pair[1] || digits >= 6) return pair;
  }
}

/** For people: the verdict on the first line, then one indented line per blocking SLO. */
export function formatGateDecision(decision: GateDecision): string {
  const verdict = decision.overridden
    ? `deploy allowed by override: ${decision.overrideReason ?? ""}`
    : decision.allowed
      ? "deploy allowed"
      : "deploy blocked";
  const details =
    decision.reasons.length > 0
      ? decision.reasons.map((reason) => `  blocked by ${reason}`)
      : [`  ${decision.statuses.length} SLO${decision.statuses.length === 1 ? "" : "s"} within policy`];
  return [verdict, ...details].join("\n");
}
