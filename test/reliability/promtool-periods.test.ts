import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { sloGenerate } from "../../src/reliability/index.js";
import { promtool } from "../support/promtool.js";

/**
 * Rules for a 28d SLO (built-in workbook windows) and a 7d SLO (its own windows) in the real
 * Prometheus rule engine. The period keeps Prometheus' duration spelling, as Sloth does: 28 days
 * is `4w` and 7 days `1w`, in the rule name and in the range (`[4w]`, `[1w]`).
 */

const FIXTURE = "test/fixtures/slo/periods.yaml";
const CHECKOUT = {
  sloth_id: "checkout-requests-availability",
  sloth_service: "checkout",
  sloth_slo: "requests-availability",
};
const SEARCH = {
  sloth_id: "search-queries-availability",
  sloth_service: "search",
  sloth_slo: "queries-availability",
};

let dir: string;
let rulesFile: string;
let rules: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "slipway-slo-periods-"));
  rulesFile = join(dir, "rules.yaml");
  rules = await sloGenerate([FIXTURE]);
  await writeFile(rulesFile, rules);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const selector = (labels: Record<string, string>) =>
  `{${Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(", ")}}`;

function firing(severity: "page" | "ticket") {
  return {
    exp_labels: {
      ...CHECKOUT,
      severity: severity === "page" ? "critical" : "warning",
      sloth_severity: severity,
    },
    exp_annotations: {
      title: `(${severity}) checkout requests-availability SLO error budget burn rate is too fast.`,
      summary: "checkout requests-availability SLO error budget burn rate is over expected.",
    },
  };
}

describe("28d and custom 7d periods in promtool", () => {
  it("pass promtool check rules", async () => {
    // Per SLO: 7 SLI windows + the period, 7 meta recordings, 2 alerts (the 7d SLO has a 2d window, no 3d).
    const result = await promtool(dir, "check", "rules", rulesFile);
    expect(result.output).toContain("SUCCESS: 34 rules found");
    expect(result.ok).toBe(true);
  });

  it("average the period from the 5m recordings over [4w] and [1w], with factors from the windows", () => {
    expect(rules).toContain(`sum_over_time(slo:sli_error:ratio_rate5m${selector(CHECKOUT)}[4w])`);
    expect(rules).toContain(`sum_over_time(slo:sli_error:ratio_rate5m${selector(SEARCH)}[1w])`);
    // 28d workbook: 2% in 1h is 13.44; 7d: 8% in 1h is 13.44, 30% in 2d is 1.05.
    expect(rules).toContain(
      `slo:sli_error:ratio_rate1h${selector(CHECKOUT)} > (13.44 * 0.0009999999999999432)`,
    );
    expect(rules).toContain(`slo:sli_error:ratio_rate2d${selector(SEARCH)} > (1.05 * 0.005)`);
  });

  it("record the period in days and fire the 28d page alert on a fast burn", async () => {
    const test = {
      interval: "1m",
      // A healthy hour of 1000 requests a minute, then every request fails.
      input_series: [
        { series: 'http_requests_total{job="checkout",code="200"}', values: "0+1000x60 60000x60" },
        { series: 'http_requests_total{job="checkout",code="500"}', values: "0x60 1000+1000x60" },
      ],
      alert_rule_test: [
        { eval_time: "50m", alertname: "CheckoutHighErrorRate", exp_alerts: [] },
        {
          eval_time: "75m",
          alertname: "CheckoutHighErrorRate",
          exp_alerts: [firing("page"), firing("ticket")],
        },
      ],
      promql_expr_test: [
        [CHECKOUT, 28],
        [SEARCH, 7],
      ].map(([id, days]) => ({
        expr: `slo:time_period:days${selector(id as Record<string, string>)}`,
        eval_time: "1m",
        exp_samples: [
          { labels: `slo:time_period:days${selector(id as Record<string, string>)}`, value: days },
        ],
      })),
    };
    const file = join(dir, "fast-burn-28d.test.yaml");
    await writeFile(file, stringify({ rule_files: [rulesFile], evaluation_interval: "1m", tests: [test] }));
    const result = await promtool(dir, "test", "rules", file);
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });
});
