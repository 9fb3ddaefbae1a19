import { generateRules } from "../../src/reliability/index.js";
import type { SloSet } from "../../src/reliability/index.js";

/**
 * OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`: the given values of the
 * series the generated rules record (with exactly the labels the rules give them), plus the
 * ALERTS of test/fixtures/slo/status/api.yaml's availability SLO: page firing, ticket pending.
 * Recording rules only run live, so tests that need a 30-day history backfill their results.
 */
export function backfillRecorded(
  set: SloSet,
  recorded: Record<string, Record<string, number>>,
  timestamp: number,
): string {
  const lines: string[] = [];
  const rules = generateRules(set).groups.flatMap((g) => g.rules.flatMap((r) => ("record" in r ? [r] : [])));
  for (const [id, values] of Object.entries(recorded)) {
    for (const [record, value] of Object.entries(values)) {
      const rule = rules.find((r) => r.record === record && r.labels["sloth_id"] === id);
      if (!rule) throw new Error(`the generated rules record no ${record} for ${id}`);
      lines.push(`${series(record, rule.labels)} ${Number.isNaN(value) ? "NaN" : value} ${timestamp}`);
    }
  }
  // What the alert rules would leave: the labels of the `max without (sloth_window)` result
  // plus the alert's own.
  const alert = {
    alertname: "ApiHighErrorRate",
    owner: "platform-team",
    sloth_id: "api-requests-availability",
    sloth_service: "api",
    sloth_slo: "requests-availability",
  };
  lines.push(
    `${series("ALERTS", { ...alert, alertstate: "firing", sloth_severity: "page", severity: "critical" })} 1 ${timestamp}`,
    `${series("ALERTS", { ...alert, alertstate: "pending", sloth_severity: "ticket", severity: "warning" })} 1 ${timestamp}`,
  );
  return `${lines.join("\n")}\n# EOF\n`;
}

function series(name: string, labels: Record<string, string>): string {
  const body = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${name}{${body.join(",")}}`;
}
