import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { writeFileAtomic } from "../config/atomic-write.js";
import { DEFAULT_DRIFT_REPORT } from "./paths.js";
import { actionOf, changedAttributes, parsePlanJson } from "./plan-json.js";
import type { ChangeAction, PlanJson, ResourceChange } from "./plan-json.js";
import { TerraformDir } from "./working-dir.js";
import type { TerraformStepOptions } from "./working-dir.js";

export interface DriftOptions extends TerraformStepOptions {
  /** Checked one after the other; default: the directory's current workspace. */
  workspaces?: readonly string[] | undefined;
  /** The JSON report, relative to `cwd` (default .slipway/tf/drift.json). */
  report?: string | undefined;
  varFiles?: readonly string[] | undefined;
  vars?: Readonly<Record<string, string>> | undefined;
}

export interface DriftedResource {
  address: string;
  action: ChangeAction;
  /** Attribute paths that differ; empty when the resource appears or disappears as a whole. */
  attributes: string[];
}

export interface WorkspaceDrift {
  workspace: string;
  drifted: boolean;
  /** Objects that changed outside Terraform: the refresh-only plan's `resource_drift`. */
  changedOutside: DriftedResource[];
  /** What applying the configuration now would do: the plan's `resource_changes`. */
  configurationChanges: DriftedResource[];
  /** Root outputs the plan would change. */
  outputs: string[];
}

export interface DriftReport {
  dir: string;
  checkedAt: string;
  drifted: boolean;
  workspaces: WorkspaceDrift[];
}

export interface DriftResult {
  report: DriftReport;
  /** As given (relative to `cwd` unless absolute). */
  reportFile: string;
}

/** `-detailed-exitcode`: 0 no changes, 1 error, 2 changes. */
const CHANGES = 2;

/**
 * Per workspace, a refresh-only plan (what changed in the real world since the last apply) and
 * a normal plan (what the configuration would change now), both with -detailed-exitcode; the
 * workspace has drifted when either has changes. Plans are saved only to be read by
 * `show -json`, in a temporary directory, and never applied.
 */
export async function terraformDrift(options: DriftOptions): Promise<DriftResult> {
  const tf = new TerraformDir(options);
  const workspaces = options.workspaces && options.workspaces.length > 0 ? options.workspaces : undefined;
  if (workspaces) tf.ownWorkspaceSelection();
  await tf.init();

  const variables: string[] = [];
  for (const file of options.varFiles ?? []) variables.push(`-var-file=${tf.fileArgument(file)}`);
  for (const [name, value] of Object.entries(options.vars ?? {})) variables.push("-var", `${name}=${value}`);

  const scratch = await mkdtemp(path.join(os.tmpdir(), "slipway-tf-drift-"));
  const results: WorkspaceDrift[] = [];
  try {
    for (const name of workspaces ?? [undefined]) {
      if (name !== undefined) await tf.selectWorkspace(name, false);
      const workspace = name ?? (await tf.currentWorkspace());
      const plan = async (kind: string, extra: string[]): Promise<{ changed: boolean; json: PlanJson }> => {
        const file = path.join(scratch, `${results.length}-${kind}.tfplan`);
        const args = ["plan", "-detailed-exitcode", ...extra, "-input=false", "-no-color", `-out=${file}`];
        const result = await tf.run(
          [...args, ...variables],
          `plan ${extra.join(" ")} (workspace ${workspace})`,
          {
            accept: [0, CHANGES],
          },
        );
        return { changed: result.status === CHANGES, json: parsePlanJson(await tf.showJson(file), file) };
      };
      const refresh = await plan("refresh", ["-refresh-only"]);
      const full = await plan("plan", []);
      results.push({
        workspace,
        drifted: refresh.changed || full.changed,
        changedOutside: resources(refresh.json.resource_drift),
        configurationChanges: resources(full.json.resource_changes),
        outputs: Object.entries(full.json.output_changes ?? {})
          .filter(([, change]) => actionOf(change.actions) !== "no-op")
          .map(([output]) => output)
          .sort(),
      });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  const report: DriftReport = {
    dir: options.dir,
    checkedAt: new Date().toISOString(),
    drifted: results.some((r) => r.drifted),
    workspaces: results,
  };
  const reportFile = options.report ?? DEFAULT_DRIFT_REPORT;
  await writeFileAtomic(path.resolve(options.cwd, reportFile), `${JSON.stringify(report, null, 2)}\n`);
  return { report, reportFile };
}

function resources(changes: readonly ResourceChange[] | undefined): DriftedResource[] {
  return (changes ?? [])
    .map((change) => ({
      address: change.address,
      action: actionOf(change.change.actions),
      attributes: changedAttributes(change.change.before, change.change.after, change.change.after_unknown),
    }))
    .filter((resource) => resource.action !== "no-op" && resource.action !== "read")
    .sort((a, b) => a.address.localeCompare(b.address));
}
