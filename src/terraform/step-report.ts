import { realpathSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { DriftReport } from "./drift.js";
import type { PlanResult } from "./plan.js";

/*
 * What `slipway tf drift` and `slipway tf plan` report to the engine through `$SLIPWAY_REPORT`
 * (a step.report event each): a server records drift status per directory and workspace from
 * them. The server reads them with these schemas, so both sides agree on the shape.
 */

export const DRIFT_REPORT_KIND = "terraform-drift";
export const PLAN_REPORT_KIND = "terraform-plan";

/** Directory and workspace names as the store keeps them; longer ones are not a configuration's. */
const dir = z.string().min(1).max(1024);
const workspace = z.string().min(1).max(256);

const driftedResource = z.object({
  address: z.string(),
  action: z.string(),
  attributes: z.array(z.string()),
});

export const workspaceDriftSchema = z.object({
  workspace,
  drifted: z.boolean(),
  changedOutside: z.array(driftedResource),
  configurationChanges: z.array(driftedResource),
  outputs: z.array(z.string()),
});

export const driftStepReportSchema = z.object({ dir, workspaces: z.array(workspaceDriftSchema) });
export type DriftStepReport = z.infer<typeof driftStepReportSchema>;

export const planStepReportSchema = z.object({
  dir,
  workspace,
  hasChanges: z.boolean(),
  add: z.number(),
  change: z.number(),
  destroy: z.number(),
  checksum: z.string(),
});
export type PlanStepReport = z.infer<typeof planStepReportSchema>;

export function driftStepReport(report: DriftReport, configurationDir: string): DriftStepReport {
  return {
    dir: configurationDir,
    workspaces: report.workspaces.map((w) => ({
      workspace: w.workspace,
      drifted: w.drifted,
      changedOutside: w.changedOutside,
      configurationChanges: w.configurationChanges,
      outputs: w.outputs,
    })),
  };
}

export function planStepReport(result: PlanResult, configurationDir: string): PlanStepReport {
  return {
    dir: configurationDir,
    workspace: result.meta.workspace,
    hasChanges: result.summary.hasChanges,
    add: result.summary.add,
    change: result.summary.change,
    destroy: result.summary.destroy,
    checksum: result.meta.checksum,
  };
}

/**
 * The configuration directory relative to the run's workspace (the repository's root), with `/`
 * separators: a step with a working-directory and `dir: .` and another with `dir: infra` name the
 * same configuration alike. A directory outside the workspace is named as given.
 */
export function configurationDir(given: string, cwd: string, workspaceRoot: string | undefined): string {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  if (!workspaceRoot) return toPosix(path.normalize(given));
  const relative = path.relative(real(workspaceRoot), real(path.resolve(cwd, given)));
  if (relative === "") return ".";
  if (relative.startsWith("..") || path.isAbsolute(relative)) return toPosix(path.normalize(given));
  return toPosix(relative);
}

function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}
