import type { AnalysisResult, AnalysisSpec } from "./analysis/index.js";
import { runAnalysis } from "./analysis/index.js";
import type { RolloutControl } from "./control.js";
import type {
  AnalysisRef,
  BlueGreenStrategy,
  CanaryStrategy,
  Release,
  RollingStrategy,
  Strategy,
} from "./model.js";
import { resolveAnalysis } from "./resolve-analysis.js";
import type { DeployTarget, TrafficSplit } from "./target.js";

/** One entry of a deployment's history. */
export type RolloutEvent =
  | { type: "started"; strategy: Strategy["kind"]; from?: string; to: string; mode: RolloutMode }
  | { type: "step"; index: number; description: string }
  | { type: "scaled"; version: string; instances: number }
  | { type: "traffic"; split: TrafficSplit }
  | { type: "paused"; reason: string; durationMs?: number }
  | { type: "resumed"; by: "promote" | "timer" }
  | { type: "analysis"; templates: string[]; result: AnalysisResult }
  | { type: "finished"; outcome: "succeeded" | "aborted" | "failed"; reason?: string };

/** `rollback` returns to a known release at once: no pauses, no analysis (as Argo's rollback window). */
export type RolloutMode = "deploy" | "rollback";

export interface RolloutInput {
  target: DeployTarget;
  environment: string;
  release: Release;
  /** The release serving now; none for an environment's first deployment. */
  stable: Release | undefined;
  instances: number;
  control: RolloutControl;
  mode: RolloutMode;
  record(event: RolloutEvent): void;
  /** Runs an analysis; the default measures for real. Tests of strategies may script results. */
  analyze?: (spec: AnalysisSpec, signal: AbortSignal) => Promise<AnalysisResult>;
}

export interface RolloutResult {
  outcome: "succeeded" | "aborted" | "failed";
  reason?: string;
}

class Aborted extends Error {}

/**
 * Moves an environment from `stable` to `release` with the release's strategy, recording every
 * step. An analysis that fails or errors, or a person's abort, puts all traffic back on the
 * stable release and stops the new one's instances; an inconclusive analysis pauses for a person.
 * A target error fails the deployment after the same return to stable.
 */
export async function runRollout(input: RolloutInput): Promise<RolloutResult> {
  const { release, stable, record } = input;
  const strategy = release.config.strategy;
  record({
    type: "started",
    strategy: strategy.kind,
    ...(stable ? { from: stable.version } : {}),
    to: release.version,
    mode: input.mode,
  });
  let result: RolloutResult;
  try {
    if (!stable || stable.version === release.version) await firstDeployment(input);
    else if (strategy.kind === "canary") await canary(input, stable, strategy);
    else if (strategy.kind === "blueGreen") await blueGreen(input, stable, strategy);
    else await rolling(input, stable, strategy);
    result = { outcome: "succeeded" };
  } catch (error) {
    const aborted = error instanceof Aborted || input.control.abortReason !== undefined;
    const reason = aborted
      ? (input.control.abortReason ?? (error as Error).message)
      : `the target failed: ${(error as Error).message}`;
    if (stable && stable.version !== release.version) await backToStable(input, stable);
    result = { outcome: aborted ? "aborted" : "failed", reason };
  }
  record({ type: "finished", ...result });
  return result;
}

async function firstDeployment(input: RolloutInput): Promise<void> {
  await scale(input, input.release, input.instances);
  await traffic(input, { stable: input.release.version });
}

async function canary(input: RolloutInput, stable: Release, strategy: CanaryStrategy): Promise<void> {
  const { release, control } = input;
  const canaryMax = strategy.canaryInstances ?? input.instances;
  const steps = input.mode === "rollback" ? [] : strategy.steps;
  let weight = 0;
  for (const [index, step] of steps.entries()) {
    if (control.fullyPromoted) break;
    checkAborted(control);
    if ("setWeight" in step) {
      weight = step.setWeight;
      input.record({ type: "step", index, description: `set weight ${weight}%` });
      // As Argo with a traffic router: the canary gets instances in proportion to its weight,
      // at least one, while the stable keeps all of its own.
      const instances = Math.min(canaryMax, Math.max(1, Math.ceil((canaryMax * weight) / 100)));
      await scale(input, release, instances);
      await traffic(input, { stable: stable.version, canary: release.version, canaryWeight: weight });
    } else if ("pause" in step) {
      input.record({ type: "step", index, description: describePause(step.pause.durationMs) });
      await pause(input, "pause step", step.pause.durationMs);
    } else {
      input.record({ type: "step", index, description: `analysis ${step.analysis.templates.join(", ")}` });
      await analysis(input, step.analysis, stable);
    }
  }
  checkAborted(control);
  await scale(input, release, input.instances);
  await traffic(input, { stable: release.version });
  await scale(input, stable, 0);
}

async function blueGreen(input: RolloutInput, stable: Release, strategy: BlueGreenStrategy): Promise<void> {
  const { release, control } = input;
  const analyses = input.mode === "deploy";
  await scale(input, release, input.instances);
  await traffic(input, { stable: stable.version, preview: release.version });
  if (analyses && strategy.prePromotionAnalysis) await analysis(input, strategy.prePromotionAnalysis, stable);
  if (analyses && !strategy.autoPromotion && !control.fullyPromoted) {
    await pause(input, "waiting for promote to switch to the preview", undefined);
  }
  checkAborted(control);
  await traffic(input, { stable: release.version });
  if (analyses && strategy.postPromotionAnalysis)
    await analysis(input, strategy.postPromotionAnalysis, stable);
  if (strategy.scaleDownDelayMs > 0) {
    input.record({
      type: "paused",
      reason: "keeping the old release for the scale-down delay",
      durationMs: strategy.scaleDownDelayMs,
    });
    // An abort during the delay still switches back: the old release is there for that.
    if ((await control.wait(strategy.scaleDownDelayMs)) === "aborted") checkAborted(control);
  }
  await scale(input, stable, 0);
}

/**
 * Replaces instances a few at a time: never more than instances + maxSurge running, never fewer
 * than instances - maxUnavailable ready. The new release's share of traffic follows its share of
 * ready instances.
 */
async function rolling(input: RolloutInput, stable: Release, strategy: RollingStrategy): Promise<void> {
  const { release, instances } = input;
  const oldStatus = (await input.target.status()).releases.find((r) => r.version === stable.version);
  let old = oldStatus?.desired ?? instances;
  let fresh = 0;
  const share = () => Math.round((100 * fresh) / Math.max(1, fresh + old));
  while (fresh < instances || old > 0) {
    checkAborted(input.control);
    const up = Math.min(instances - fresh, instances + strategy.maxSurge - (fresh + old));
    if (up > 0) {
      fresh += up;
      await scale(input, release, fresh);
    }
    const down = Math.min(old, fresh + old - (instances - strategy.maxUnavailable));
    if (down > 0) {
      old -= down;
      // Traffic first: the instances about to stop get none, then they drain and stop.
      await traffic(
        input,
        old === 0
          ? { stable: release.version }
          : { stable: stable.version, canary: release.version, canaryWeight: share() },
      );
      await scale(input, stable, old);
    } else if (up <= 0) {
      throw new Error("the rolling update cannot make progress: maxSurge and maxUnavailable are both 0");
    } else {
      await traffic(input, { stable: stable.version, canary: release.version, canaryWeight: share() });
    }
  }
}

async function analysis(input: RolloutInput, ref: AnalysisRef, stable: Release): Promise<void> {
  const { release, control } = input;
  const spec = resolveAnalysis(ref, release.analysis, {
    service: release.service,
    environment: input.environment,
    stable: stable.version,
    canary: release.version,
  });
  const analyze = input.analyze ?? ((s, signal) => runAnalysis(s, { signal }));
  const result = await analyze(spec, control.signal);
  input.record({ type: "analysis", templates: ref.templates, result });
  checkAborted(control);
  if (result.phase === "Failed" || result.phase === "Error") {
    const failing = result.metrics.filter((m) => m.phase === "Failed" || m.phase === "Error");
    control.abort(
      `analysis ${ref.templates.join(", ")} ${result.phase.toLowerCase()}: ${failing
        .map((m) => `${m.name} ${m.phase.toLowerCase()}${m.message ? ` (${m.message})` : ""}`)
        .join("; ")}`,
    );
    checkAborted(control);
  }
  if (result.phase === "Inconclusive") {
    await pause(input, `analysis ${ref.templates.join(", ")} was inconclusive: promote to go on`, undefined);
  }
}

async function pause(input: RolloutInput, reason: string, durationMs: number | undefined): Promise<void> {
  input.record({ type: "paused", reason, ...(durationMs === undefined ? {} : { durationMs }) });
  const how = await input.control.wait(durationMs);
  checkAborted(input.control);
  input.record({ type: "resumed", by: how === "promoted" ? "promote" : "timer" });
}

async function backToStable(input: RolloutInput, stable: Release): Promise<void> {
  await traffic(input, { stable: stable.version });
  const running = (await input.target.status()).releases.find((r) => r.version === stable.version);
  if ((running?.ready ?? 0) < input.instances) await scale(input, stable, input.instances);
  await scale(input, input.release, 0);
}

async function scale(input: RolloutInput, release: Release, instances: number): Promise<void> {
  await input.target.scale(release, instances);
  input.record({ type: "scaled", version: release.version, instances });
}

async function traffic(input: RolloutInput, split: TrafficSplit): Promise<void> {
  await input.target.setTraffic(split);
  input.record({ type: "traffic", split });
}

function checkAborted(control: RolloutControl): void {
  if (control.abortReason !== undefined) throw new Aborted(control.abortReason);
}

function describePause(durationMs: number | undefined): string {
  return durationMs === undefined ? "pause until promoted" : `pause ${Math.round(durationMs / 1000)}s`;
}
