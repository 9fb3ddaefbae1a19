/**
 * The parts of `terraform show -json` a plan step and a drift check read, and what a change does
 * to one resource. https://developer.hashicorp.com/terraform/internals/json-format
 */
import { z } from "zod";
import { TerraformFailure } from "./errors.js";

const changeSchema = z.looseObject({
  actions: z.array(z.string()),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  after_unknown: z.unknown().optional(),
});

const resourceChangeSchema = z.looseObject({
  address: z.string(),
  mode: z.string().optional(),
  type: z.string().optional(),
  previous_address: z.string().optional(),
  change: changeSchema,
});

const planJsonSchema = z.looseObject({
  format_version: z.string(),
  terraform_version: z.string().optional(),
  resource_changes: z.array(resourceChangeSchema).optional(),
  resource_drift: z.array(resourceChangeSchema).optional(),
  output_changes: z.record(z.string(), z.looseObject({ actions: z.array(z.string()) })).optional(),
});

export type PlanJson = z.infer<typeof planJsonSchema>;
export type ResourceChange = z.infer<typeof resourceChangeSchema>;

export function parsePlanJson(text: string, what: string): PlanJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TerraformFailure(`${what} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = planJsonSchema.safeParse(value);
  if (!parsed.success)
    throw new TerraformFailure(`${what} is not a plan rendered by terraform show -json`, {
      hint: parsed.error.issues[0]?.message,
    });
  return parsed.data;
}

/** What happens to a resource, in the words of Terraform's plan output. */
export type ChangeAction = "create" | "update" | "replace" | "delete" | "forget" | "read" | "no-op";

/**
 * Terraform lists a replacement as ["delete", "create"] (or ["create", "delete"] with
 * create_before_destroy); 1.7's `removed` blocks add "forget".
 */
export function actionOf(actions: readonly string[]): ChangeAction {
  const has = (action: string) => actions.includes(action);
  if (has("create") && (has("delete") || has("forget"))) return "replace";
  if (has("create")) return "create";
  if (has("delete")) return "delete";
  if (has("update")) return "update";
  if (has("forget")) return "forget";
  if (has("read")) return "read";
  return "no-op";
}

/**
 * The attribute paths whose values differ between `before` and `after` (`tags.owner`,
 * `ingress[0].cidr_blocks`), counting a value only known after apply as different. Only paths,
 * never values: plans carry secrets, and reports and logs must not.
 */
export function changedAttributes(before: unknown, after: unknown, afterUnknown: unknown): string[] {
  // A resource created or deleted changes as a whole; listing every attribute would be noise.
  if (before === null || before === undefined || after === null || after === undefined) return [];
  const out: string[] = [];
  diff(before, after, afterUnknown, "", out);
  return out;
}

function diff(before: unknown, after: unknown, unknown: unknown, at: string, out: string[]): void {
  if (unknown === true) {
    out.push(at);
    return;
  }
  if (isObject(before) && isObject(after)) {
    const unknownObject = isObject(unknown) ? unknown : {};
    const keys = new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknownObject)]);
    for (const key of [...keys].sort()) diff(before[key], after[key], unknownObject[key], join(at, key), out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    const unknownList = Array.isArray(unknown) ? unknown : [];
    before.forEach((item, index) => diff(item, after[index], unknownList[index], `${at}[${index}]`, out));
    return;
  }
  if (!sameValue(before, after)) out.push(at);
}

function join(at: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return at === "" ? key : `${at}.${key}`;
  return `${at}[${JSON.stringify(key)}]`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Absent and null are the same value in a plan: Terraform writes either for an unset attribute. */
function sameValue(a: unknown, b: unknown): boolean {
  if ((a === undefined || a === null) && (b === undefined || b === null)) return true;
  return JSON.stringify(a) === JSON.stringify(b);
}
