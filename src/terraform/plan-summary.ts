import { actionOf } from "./plan-json.js";
import type { ChangeAction, PlanJson } from "./plan-json.js";

/** The actions a summary lists, in the order a reviewer reads them: what is destroyed comes last, in bold. */
const LISTED = ["create", "update", "replace", "forget", "read", "delete"] as const;
type ListedAction = (typeof LISTED)[number];

export interface PlanSummary {
  /** As Terraform counts them in "Plan: N to add, N to change, N to destroy": a replacement adds one and destroys one. */
  add: number;
  change: number;
  destroy: number;
  replace: number;
  /** Resources removed from the state without being destroyed (`removed` blocks). */
  forget: number;
  /** Any resource or output would change when the plan is applied. */
  hasChanges: boolean;
  /** Resource addresses by action. */
  resources: Record<ListedAction, string[]>;
  /** Root module outputs whose value would change. */
  outputs: string[];
}

export function summarizePlan(plan: PlanJson): PlanSummary {
  const resources: Record<ListedAction, string[]> = {
    create: [],
    update: [],
    replace: [],
    forget: [],
    read: [],
    delete: [],
  };
  for (const change of plan.resource_changes ?? []) {
    const action: ChangeAction = actionOf(change.change.actions);
    if (action !== "no-op") resources[action].push(change.address);
  }
  for (const list of Object.values(resources)) list.sort();
  const outputs = Object.entries(plan.output_changes ?? {})
    .filter(([, change]) => actionOf(change.actions) !== "no-op")
    .map(([name]) => name)
    .sort();
  const replace = resources.replace.length;
  const summary = {
    add: resources.create.length + replace,
    change: resources.update.length,
    destroy: resources.delete.length + replace,
    replace,
    forget: resources.forget.length,
    resources,
    outputs,
  };
  return {
    ...summary,
    hasChanges: summary.add + summary.change + summary.destroy + summary.forget + outputs.length > 0,
  };
}

const SYMBOL: Record<ListedAction, string> = {
  create: "+",
  update: "~",
  replace: "-/+",
  forget: ".",
  read: "<=",
  delete: "-",
};

const HEADING: Record<ListedAction, string> = {
  create: "create",
  update: "update in place",
  replace: "replace",
  forget: "forget (removed from state, not destroyed)",
  read: "read during apply",
  delete: "destroy",
};

export interface PlanContext {
  dir: string;
  workspace: string;
  checksum: string;
}

/** "3 to add, 1 to change, 1 to destroy (1 replaced)": Terraform's own counts first. */
export function planCounts(summary: PlanSummary): string {
  const extra = [
    summary.replace > 0 ? `${summary.replace} replaced` : "",
    summary.forget > 0 ? `${summary.forget} to forget` : "",
  ].filter(Boolean);
  return `${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy${extra.length > 0 ? ` (${extra.join(", ")})` : ""}`;
}

export function planSummaryText(summary: PlanSummary, context: PlanContext): string {
  const lines = [
    `Terraform plan of ${context.dir} (workspace ${context.workspace}): ${summary.hasChanges ? planCounts(summary) : "no changes"}`,
  ];
  for (const action of LISTED) {
    const addresses = summary.resources[action];
    if (addresses.length === 0) continue;
    lines.push(`  ${HEADING[action]} (${addresses.length}):`);
    for (const address of addresses) lines.push(`    ${SYMBOL[action]} ${address}`);
  }
  if (summary.outputs.length > 0) lines.push(`  outputs changing: ${summary.outputs.join(", ")}`);
  lines.push(`  plan sha256: ${context.checksum}`);
  return `${lines.join("\n")}\n`;
}

/** The same summary as Markdown, for the step summary shown with the run. */
export function planSummaryMarkdown(summary: PlanSummary, context: PlanContext): string {
  const lines = [
    `### Terraform plan: \`${context.dir}\` (workspace \`${context.workspace}\`)`,
    "",
    summary.hasChanges ? `**${planCounts(summary)}**` : "**No changes.**",
  ];
  for (const action of LISTED) {
    const addresses = summary.resources[action];
    if (addresses.length === 0) continue;
    const heading = `${HEADING[action]} (${addresses.length})`;
    lines.push("", action === "delete" || action === "replace" ? `**${heading}**` : heading, "");
    for (const address of addresses) lines.push(`- \`${SYMBOL[action]} ${address}\``);
  }
  if (summary.outputs.length > 0)
    lines.push("", `Outputs changing: ${summary.outputs.map((name) => `\`${name}\``).join(", ")}`);
  lines.push("", `Plan SHA-256: \`${context.checksum}\``, "");
  return lines.join("\n");
}
