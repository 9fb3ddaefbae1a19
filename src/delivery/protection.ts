import { Cron } from "croner";
import picomatch from "picomatch";
import { sloGate } from "../reliability/gate.js";
import type { SloSet } from "../reliability/model.js";
import type { EnvironmentConfig, FreezeWindow } from "./model.js";

export interface ProtectionInput {
  environment: EnvironmentConfig;
  /** The branch the release was built from, when known. */
  branch: string | undefined;
  now: Date;
  /** The SLOs the environment's gate judges; required when it has one. */
  slos?: SloSet;
  /** A reason to deploy through a freeze or an exhausted budget; recorded with the deployment. */
  overrideReason?: string;
}

export interface ProtectionDecision {
  allowed: boolean;
  /** One sentence per rule that blocks, e.g. "prod is frozen until 2026-11-30 06:00 UTC: release freeze". */
  reasons: string[];
  overridden: boolean;
}

/**
 * The checks an environment makes before a deployment starts: the branch, the freeze windows and
 * the SLO budget. Approval is not here: it waits for a person, where these answer at once. A
 * branch rule cannot be overridden (it is who may deploy, not when); a freeze or a budget can,
 * with a reason that goes into the record.
 */
export async function checkProtection(input: ProtectionInput): Promise<ProtectionDecision> {
  const { environment, now } = input;
  const hard: string[] = [];
  const soft: string[] = [];
  if (environment.branches.length > 0) {
    const allowed = input.branch !== undefined && picomatch.isMatch(input.branch, environment.branches);
    if (!allowed) {
      hard.push(
        `${environment.name} accepts deployments from ${environment.branches.join(", ")} only, ` +
          `not from ${input.branch === undefined ? "an unknown branch" : `branch ${input.branch}`}`,
      );
    }
  }
  const frozen = freezeReason(environment.name, environment.freeze, now);
  if (frozen) soft.push(frozen);
  if (environment.sloGate) {
    if (!input.slos) {
      soft.push(`${environment.name} has an SLO gate but no SLOs were found to judge`);
    } else {
      const decision = await sloGate(input.slos, environment.sloGate.prometheus, {
        ...(environment.sloGate.slos ? { slos: environment.sloGate.slos } : {}),
        ...(environment.sloGate.minBudgetRemaining === undefined
          ? {}
          : { minBudgetRemaining: environment.sloGate.minBudgetRemaining }),
      });
      soft.push(...decision.reasons.map((r) => `error budget: ${r}`));
    }
  }
  const override = input.overrideReason?.trim();
  const overridden = hard.length === 0 && soft.length > 0 && !!override;
  return {
    allowed: hard.length === 0 && (soft.length === 0 || overridden),
    reasons: [...hard, ...soft],
    overridden,
  };
}

/**
 * Why the environment is frozen at `now`, or undefined. A deny window that is open freezes; when
 * allow windows exist, being outside all of them freezes too.
 */
export function freezeReason(
  environment: string,
  windows: readonly FreezeWindow[],
  now: Date,
): string | undefined {
  const open = (w: FreezeWindow) => openWindow(w, now);
  for (const w of windows.filter((w) => w.kind === "deny")) {
    const until = open(w);
    if (until)
      return `${environment} is frozen until ${until.toISOString()}${w.reason ? `: ${w.reason}` : ""}`;
  }
  const allows = windows.filter((w) => w.kind === "allow");
  if (allows.length > 0 && !allows.some((w) => open(w))) {
    const next = allows
      .map((w) =>
        new Cron(w.cron, { paused: true, ...(w.timezone ? { timezone: w.timezone } : {}) }).nextRun(now),
      )
      .filter((d): d is Date => d !== null)
      .sort((a, b) => a.getTime() - b.getTime())[0];
    const reason = allows.find((w) => w.reason)?.reason;
    return `${environment} accepts deployments only in its allowed windows${next ? `; the next opens ${next.toISOString()}` : ""}${reason ? `: ${reason}` : ""}`;
  }
  return undefined;
}

/** When the window is open at `now`, the time it closes. */
function openWindow(w: FreezeWindow, now: Date): Date | undefined {
  const cron = new Cron(w.cron, { paused: true, ...(w.timezone ? { timezone: w.timezone } : {}) });
  // The window that may hold `now` is the one that opened last within its duration: the first
  // firing after (now - duration), if that is not after now.
  const opened = cron.nextRun(new Date(now.getTime() - w.durationMs - 1));
  if (!opened || opened.getTime() > now.getTime()) return undefined;
  // A later firing may also have opened before now; the window lasts from the latest one.
  let latest = opened;
  for (let next = cron.nextRun(latest); next && next.getTime() <= now.getTime(); next = cron.nextRun(next))
    latest = next;
  return new Date(latest.getTime() + w.durationMs);
}
