import type { DriftReport, DriftedResource } from "./drift.js";

const SYMBOL: Record<string, string> = {
  create: "+",
  update: "~",
  replace: "-/+",
  delete: "-",
  forget: ".",
};

/** `~ aws_instance.web: tags, instance_type`: a resource, how it differs, and which attributes. */
export function driftedResourceLine(
  resource: Pick<DriftedResource, "address" | "attributes"> & { action: string },
): string {
  const attributes = resource.attributes.length > 0 ? `: ${resource.attributes.join(", ")}` : "";
  return `${SYMBOL[resource.action] ?? resource.action} ${resource.address}${attributes}`;
}

function headline(report: DriftReport): string {
  const drifted = report.workspaces.filter((w) => w.drifted).map((w) => w.workspace);
  return drifted.length === 0
    ? `no drift in ${report.dir} (${report.workspaces.length} workspace${report.workspaces.length === 1 ? "" : "s"} checked)`
    : `DRIFT in ${report.dir}: workspace${drifted.length === 1 ? "" : "s"} ${drifted.join(", ")}`;
}

export function driftSummaryText(report: DriftReport, reportFile: string): string {
  const lines = [`Terraform drift check: ${headline(report)}`];
  for (const w of report.workspaces) {
    lines.push(`  workspace ${w.workspace}: ${w.drifted ? "drifted" : "clean"}`);
    if (!w.drifted) continue;
    if (w.changedOutside.length > 0) {
      lines.push("    changed outside Terraform (refresh-only plan):");
      for (const r of w.changedOutside) lines.push(`      ${driftedResourceLine(r)}`);
    }
    if (w.configurationChanges.length > 0) {
      lines.push("    the configuration would change:");
      for (const r of w.configurationChanges) lines.push(`      ${driftedResourceLine(r)}`);
    }
    if (w.outputs.length > 0) lines.push(`    outputs that would change: ${w.outputs.join(", ")}`);
  }
  lines.push(`  report: ${reportFile}`);
  return `${lines.join("\n")}\n`;
}

export function driftSummaryMarkdown(report: DriftReport, reportFile: string): string {
  const lines = [`### Terraform drift: ${headline(report).replace(/^DRIFT/, "**drift**")}`, ""];
  lines.push("| workspace | state | changed outside Terraform | the configuration would change |");
  lines.push("| --- | --- | --- | --- |");
  const cell = (resources: readonly DriftedResource[]) =>
    // A `|` in an address (a for_each key) would end the table cell, even inside backticks.
    resources.map((r) => `\`${driftedResourceLine(r).replaceAll("|", "\\|")}\``).join("<br>");
  for (const w of report.workspaces)
    lines.push(
      `| \`${w.workspace}\` | ${w.drifted ? "**drifted**" : "clean"} | ${cell(w.changedOutside)} | ${cell(w.configurationChanges)} |`,
    );
  lines.push("", `Report: \`${reportFile}\``, "");
  return lines.join("\n");
}
