import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { TerraformFailure } from "./errors.js";
import { PLAN_FILE, PLAN_META_FILE, defaultPlanDir } from "./paths.js";
import { sha256File } from "./plan.js";
import { TerraformDir } from "./working-dir.js";
import type { TerraformStepOptions } from "./working-dir.js";

export interface ApplyOptions extends TerraformStepOptions {
  /** The saved plan, relative to `cwd` (default .slipway/tf/<dir-slug>/plan.tfplan, where the plan step writes it). */
  plan?: string | undefined;
  /** The SHA-256 of the plan that was reviewed: any other plan file is refused. */
  checksum?: string | undefined;
}

export interface ApplyResult {
  checksum: string;
  workspace: string;
}

/**
 * Terraform's words when the state was written between plan and apply (its serial moved), and
 * when it is another state altogether (its lineage differs): internal/backend/local/backend_local.go.
 */
const STALE_PLAN = /Saved plan is stale/;
const OTHER_STATE = /Saved plan does not match the given state/;

const planMetaSchema = z.looseObject({ workspace: z.string().min(1) });

/**
 * Applies exactly a saved plan: the file must hash to the reviewed checksum, and Terraform itself
 * refuses a plan made against a state that has been written since (its serial or lineage moved).
 */
export async function terraformApply(options: ApplyOptions): Promise<ApplyResult> {
  const tf = new TerraformDir(options);
  const plan = options.plan ?? path.join(defaultPlanDir(options.dir), PLAN_FILE);
  const planPath = path.resolve(options.cwd, plan);
  if (!existsSync(planPath))
    throw new TerraformFailure(`no saved plan at ${plan}`, {
      hint: "publish the plan step's directory with the plan job's `artifacts:` and make the apply job need the plan job",
    });

  const checksum = await sha256File(planPath);
  if (options.checksum !== undefined) {
    const reviewed = normalizeChecksum(options.checksum);
    if (reviewed !== checksum)
      throw new TerraformFailure(
        `refusing to apply ${plan}: its SHA-256 is ${checksum}, not the reviewed ${reviewed || "(empty)"}`,
        { hint: "the plan file changed after it was reviewed; plan again and review the new plan" },
      );
  }

  // A saved plan does not choose its workspace when applied: Terraform applies it to whichever is
  // selected, so the workspace recorded by the plan step is selected first.
  const workspace = await recordedWorkspace(path.join(path.dirname(planPath), PLAN_META_FILE));
  if (workspace !== undefined) tf.ownWorkspaceSelection();
  await tf.init();
  if (workspace !== undefined) await tf.selectWorkspace(workspace, false);
  const applied = workspace ?? (await tf.currentWorkspace());

  const result = await tf.run(["apply", "-input=false", "-no-color", tf.fileArgument(planPath)], "apply", {
    accept: [0, 1],
  });
  if (result.status !== 0) {
    const said = `${result.stdout}\n${result.stderr}`;
    if (STALE_PLAN.test(said))
      throw new TerraformFailure(
        `the state changed since this plan (serial moved): plan again (${plan}, workspace ${applied})`,
        {
          hint: "another apply wrote the state after this plan was made; a new plan shows what would change now",
        },
      );
    if (OTHER_STATE.test(said))
      throw new TerraformFailure(
        `this plan was made for another state (lineage differs): plan again (${plan}, workspace ${applied})`,
        {
          hint: "the state was replaced since the plan, or the plan is applied to another backend or workspace",
        },
      );
    throw new TerraformFailure(`terraform apply failed (exit ${result.status}) in ${options.dir}`);
  }
  return { checksum, workspace: applied };
}

/** `sha256:ABC...` and `abc...` name the same plan. */
function normalizeChecksum(value: string): string {
  return value
    .trim()
    .replace(/^sha256:/i, "")
    .toLowerCase();
}

async function recordedWorkspace(file: string): Promise<string | undefined> {
  if (!existsSync(file)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch {
    value = undefined;
  }
  const parsed = planMetaSchema.safeParse(value);
  if (!parsed.success)
    throw new TerraformFailure(`${PLAN_META_FILE} next to the plan is not one the plan step wrote`);
  return parsed.data.workspace;
}
