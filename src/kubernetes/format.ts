import type { ApplyResult, ObjectStatus, SyncStatus } from "./sync.js";

/** Text renderings of the sync engine's results, for the CLI and step logs. */

export function formatApplyResults(results: ApplyResult[], options: { dryRun?: boolean } = {}): string {
  const lines = results.map((r) => `${r.object} ${r.action}${r.reason ? ` (${r.reason})` : ""}`);
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.action, (counts.get(r.action) ?? 0) + 1);
  const summary = ["created", "configured", "unchanged", "pruned", "kept"]
    .filter((action) => counts.has(action))
    .map((action) => `${counts.get(action)} ${action}`)
    .join(", ");
  lines.push(
    `${results.length} object${results.length === 1 ? "" : "s"}${summary ? `: ${summary}` : ""}${options.dryRun ? " (dry run: nothing changed)" : ""}`,
  );
  return `${lines.join("\n")}\n`;
}

/** A table of every object's sync and health, then the overall verdict. */
export function formatSyncStatus(status: SyncStatus): string {
  const rows = status.objects.map((o) => [o.object, o.sync, o.health, message(o)]);
  const header = ["OBJECT", "SYNC", "HEALTH", "MESSAGE"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  const outOfSync = status.objects.filter((o) => o.sync === "OutOfSync").length;
  return [
    line(header),
    ...rows.map(line),
    "",
    `sync: ${status.sync}  health: ${status.health}  (${status.objects.length} objects, ${outOfSync} out of sync)`,
    "",
  ].join("\n");
}

function message(o: ObjectStatus): string {
  const drift =
    o.reason === "missing"
      ? "not in the cluster"
      : o.reason === "changed"
        ? `${o.fields.length === 1 ? "1 field differs" : `${o.fields.length} fields differ`}: ${o.fields
            .slice(0, 3)
            .map((f) => f.path)
            .join(", ")}${o.fields.length > 3 ? ", ..." : ""}`
        : undefined;
  return [drift, o.message].filter(Boolean).join("; ");
}

/** The OutOfSync objects and, for changed ones, each field: what is live, and what applying would make it. */
export function formatDiff(status: SyncStatus): string {
  const blocks: string[] = [];
  for (const o of status.objects) {
    if (o.sync === "Synced") continue;
    const lines = [`${o.object} (${o.reason ?? "changed"})`];
    if (o.reason === "missing")
      lines.push(`  not in the cluster: apply creates it${o.message ? ` (${o.message})` : ""}`);
    if (o.reason === "extra") lines.push(`  ${o.message ?? "not in the manifests any more"}`);
    for (const f of o.fields) {
      lines.push(`  ${f.path}`, `    - live:    ${value(f.live)}`, `    + desired: ${value(f.desired)}`);
    }
    blocks.push(lines.join("\n"));
  }
  const outOfSync = status.objects.filter((o) => o.sync === "OutOfSync").length;
  blocks.push(
    outOfSync === 0
      ? `all ${status.objects.length} objects in sync`
      : `${outOfSync} of ${status.objects.length} objects out of sync`,
  );
  return `${blocks.join("\n\n")}\n`;
}

function value(v: unknown): string {
  if (v === undefined) return "(not set)";
  const text = JSON.stringify(v);
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}
