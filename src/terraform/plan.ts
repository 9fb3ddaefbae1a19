import { createHash } from "node:crypto";
import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../config/atomic-write.js";
import { PLAN_FILE, PLAN_JSON_FILE, PLAN_META_FILE, defaultPlanDir } from "./paths.js";
import { parsePlanJson } from "./plan-json.js";
import { summarizePlan } from "./plan-summary.js";
import type { PlanSummary } from "./plan-summary.js";
import { TerraformDir } from "./working-dir.js";
import type { TerraformStepOptions } from "./working-dir.js";

export interface PlanOptions extends TerraformStepOptions {
  /** Selected, or created, before planning; default: the directory's current workspace. */
  workspace?: string | undefined;
  /** -var-file files, relative to `cwd`, in order. */
  varFiles?: readonly string[] | undefined;
  /** -var NAME=VALUE, after the files (Terraform: later wins). */
  vars?: Readonly<Record<string, string>> | undefined;
  /** Where plan.tfplan, plan.json and plan.meta.json go, relative to `cwd` (default .slipway/tf/<dir-slug>). */
  out?: string | undefined;
}

/** Written next to the plan, so an apply elsewhere applies it to the workspace it was made for. */
export interface PlanMeta {
  dir: string;
  workspace: string;
  /** SHA-256 of plan.tfplan, hex. */
  checksum: string;
  terraformVersion: string | undefined;
  createdAt: string;
}

export interface PlanResult {
  summary: PlanSummary;
  meta: PlanMeta;
  /** Paths as given to the step (relative to `cwd` when `out` was). */
  planFile: string;
  jsonFile: string;
}

/**
 * init, plan -out, show -json: the saved plan is what an apply job applies, the JSON is what
 * `slipway check` and reviewers read, and the summary is what the run shows.
 */
export async function terraformPlan(options: PlanOptions): Promise<PlanResult> {
  const tf = new TerraformDir(options);
  const out = options.out ?? defaultPlanDir(options.dir);
  const outDir = path.resolve(options.cwd, out);
  const planPath = path.join(outDir, PLAN_FILE);
  const jsonPath = path.join(outDir, PLAN_JSON_FILE);
  // A plan left by an earlier run must not outlive a failed plan and be applied as if current.
  await mkdir(outDir, { recursive: true });
  await Promise.all(
    [PLAN_FILE, PLAN_JSON_FILE, PLAN_META_FILE].map((file) => rm(path.join(outDir, file), { force: true })),
  );

  if (options.workspace !== undefined) tf.ownWorkspaceSelection();
  await tf.init();
  if (options.workspace !== undefined) await tf.selectWorkspace(options.workspace, true);
  const workspace = await tf.currentWorkspace();

  const args = ["plan", "-input=false", "-no-color", `-out=${tf.fileArgument(planPath)}`];
  for (const file of options.varFiles ?? []) args.push(`-var-file=${tf.fileArgument(file)}`);
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push("-var", `${name}=${value}`);
  await tf.run(args, "plan");

  const json = await tf.showJson(tf.fileArgument(planPath));
  const plan = parsePlanJson(json, `terraform show -json ${PLAN_FILE}`);
  await writeFileAtomic(jsonPath, json.endsWith("\n") ? json : `${json}\n`);
  const meta: PlanMeta = {
    dir: options.dir,
    workspace,
    checksum: await sha256File(planPath),
    terraformVersion: plan.terraform_version,
    createdAt: new Date().toISOString(),
  };
  await writeFileAtomic(path.join(outDir, PLAN_META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
  return {
    summary: summarizePlan(plan),
    meta,
    planFile: path.join(out, PLAN_FILE),
    jsonFile: path.join(out, PLAN_JSON_FILE),
  };
}

export async function sha256File(file: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(file))
    .digest("hex");
}
