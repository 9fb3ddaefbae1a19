import path from "node:path";

/** The files a plan step writes into its `out` directory, which the plan job publishes as artifacts. */
export const PLAN_FILE = "plan.tfplan";
export const PLAN_JSON_FILE = "plan.json";
export const PLAN_META_FILE = "plan.meta.json";

export const DEFAULT_DRIFT_REPORT = ".slipway/tf/drift.json";

/**
 * `infra/prod` to `infra-prod`: one directory per configuration under `.slipway/tf`, so two plan
 * steps of one job (or of one workspace shared by jobs) never overwrite each other's plan.
 */
export function configurationSlug(dir: string): string {
  const slug = path
    .normalize(dir)
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "");
  return slug === "" ? "root" : slug;
}

/** Where a plan step writes, and an apply step looks, when the pipeline names no directory. */
export function defaultPlanDir(dir: string): string {
  return path.join(".slipway", "tf", configurationSlug(dir));
}
