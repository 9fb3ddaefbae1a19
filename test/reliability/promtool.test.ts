import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { sloGenerate } from "../../src/reliability/index.js";
import { promtool } from "../support/promtool.js";

/**
 * The generated rules run in the real Prometheus rule engine (`promtool test rules`), with
 * synthetic request counters: fast burn, slow burn and healthy traffic on the fixture's 99.9%
 * availability SLO. promtool comes from Debian's `prometheus` package.
 */

const FIXTURE = "test/fixtures/slo/checkout.yaml";
const ALERT = "CheckoutHighErrorRate";
const ID = {
  sloth_id: "checkout-requests-availability",
  sloth_service: "checkout",
  sloth_slo: "requests-availability",
};
const SERIES_LABELS = { owner: "payments-team", tier: "1", ...ID };

let dir: string;
let rulesFile: string;

beforeAll(async () => {
  // Fails the whole file with the install hint when promtool is missing.
  await promtool(process.cwd(), "--version");
  dir = await mkdtemp(join(tmpdir(), "slipway-slo-"));
  rulesFile = join(dir, "rules.yaml");
  await writeFile(rulesFile, await sloGenerate([FIXTURE]));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs one `promtool test rules` file holding one test; returns promtool's report when it fails. */
async function unitTest(name: string, test: Record<string, unknown>, evaluationInterval = "1m") {
  const file = join(dir, `${name}.test.yaml`);
  await writeFile(
    file,
    stringify({ rule_files: [rulesFile], evaluation_interval: evaluationInterval, tests: [test] }),
  );
  return promtool(dir, "test", "rules", file);
}

/** Request counters of the checkout job: `ok` and `errors` are promtool series notations. */
function requests(ok: string, errors: string) {
  return [
    { series: 'http_requests_total{job="checkout",code="200"}', values: ok },
    { series: 'http_requests_total{job="checkout",code="500"}', values: errors },
  ];
}

function firing(severity: "page" | "ticket") {
  return {
    exp_labels: {
      ...SERIES_LABELS,
      category: "availability",
      severity: severity === "page" ? "critical" : "warning",
      sloth_severity: severity,
    },
    exp_annotations: {
      runbook: "https://runbooks.example.com/checkout/availability",
      title: `(${severity}) checkout requests-availability SLO error budget burn rate is too fast.`,
      summary: "checkout requests-availability SLO error budget burn rate is over expected.",
    },
  };
}

const selector = (labels: Record<string, string>) =>
  `{${Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(", ")}}`;

describe("generated rules in promtool", () => {
  it("pass promtool check rules", async () => {
    const result = await promtool(dir, "check", "rules", rulesFile);
    expect(result.output).toContain("SUCCESS: 48 rules found");
    expect(result.ok).toBe(true);
  });

  it("fire the page alert (and the ticket alert) on a fast burn: 100% errors after a healthy hour", async () => {
    const result = await unitTest("fast-burn", {
      interval: "1m",
      input_series: requests("0+1000x60 60000x60", "0x60 1000+1000x60"),
      alert_rule_test: [
        { eval_time: "50m", alertname: ALERT, exp_alerts: [] },
        { eval_time: "75m", alertname: ALERT, exp_alerts: [firing("page"), firing("ticket")] },
      ],
    });
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });

  it("fire only the ticket alert on a slow burn: 0.45% errors for 20h after two healthy days", async () => {
    // 10,000 requests per 5 minutes; 0.01% errors for 48h, then 0.45% (4.5x the budget rate).
    const result = await unitTest(
      "slow-burn",
      {
        interval: "5m",
        input_series: requests("0+9999x576 5769379+9955x288", "0+1x576 621+45x288"),
        alert_rule_test: [
          // 4h in: the 1d and 3d windows have not seen enough of it yet.
          { eval_time: "52h", alertname: ALERT, exp_alerts: [] },
          // 20h in: 2h and 1d windows above 3x budget; no window above the page factors (6, 14.4).
          { eval_time: "68h", alertname: ALERT, exp_alerts: [firing("ticket")] },
        ],
      },
      "5m",
    );
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });

  it("fire nothing on healthy traffic (0.01% errors)", async () => {
    const result = await unitTest(
      "healthy",
      {
        interval: "5m",
        input_series: requests("0+9999x288", "0+1x288"),
        alert_rule_test: ["1h", "6h", "12h", "24h"].map((t) => ({
          eval_time: t,
          alertname: ALERT,
          exp_alerts: [],
        })),
      },
      "5m",
    );
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });

  it("record the SLI and metadata values", async () => {
    // 2,000 requests a minute, 1 of them an error: a 0.05% error ratio, half the 0.1% budget.
    // Ratios are compared after round(): the rule engine's floats are not exactly 0.0005.
    const meta = { owner: "payments-team", tier: "1", ...ID };
    const result = await unitTest("values", {
      interval: "1m",
      input_series: requests("0+1999x120", "0+1x120"),
      promql_expr_test: [
        {
          expr: `round(slo:sli_error:ratio_rate5m${selector(ID)} * 1e6)`,
          eval_time: "1h",
          exp_samples: [{ labels: selector({ ...meta, sloth_window: "5m" }), value: 500 }],
        },
        {
          expr: `round(slo:sli_error:ratio_rate30d${selector(ID)} * 1e6)`,
          eval_time: "1h",
          exp_samples: [{ labels: selector({ ...meta, sloth_window: "30d" }), value: 500 }],
        },
        {
          expr: `slo:objective:ratio${selector(ID)}`,
          eval_time: "1h",
          exp_samples: [{ labels: `slo:objective:ratio${selector(meta)}`, value: 99.9 / 100 }],
        },
        {
          expr: `slo:time_period:days${selector(ID)}`,
          eval_time: "1h",
          exp_samples: [{ labels: `slo:time_period:days${selector(meta)}`, value: 30 }],
        },
        // Burn rates keep the sloth_window of the SLI series they divide, as in Sloth.
        ...(
          [
            ["slo:current_burn_rate:ratio", "5m"],
            ["slo:period_burn_rate:ratio", "30d"],
            ["slo:period_error_budget_remaining:ratio", "30d"],
          ] as const
        ).map(([metric, window]) => ({
          expr: `round(${metric}${selector(ID)} * 1000)`,
          eval_time: "1h",
          exp_samples: [{ labels: selector({ ...meta, sloth_window: window }), value: 500 }],
        })),
      ],
    });
    expect(result.output).toContain("SUCCESS");
    expect(result.ok).toBe(true);
  });
});

describe("sloGenerate", () => {
  it("merges several files into one rule file", async () => {
    const second = join(dir, "search.yaml");
    await writeFile(second, (await readFile(FIXTURE, "utf8")).replaceAll('service: "', 'service: "search-'));
    const text = await sloGenerate([FIXTURE, second]);
    expect(text).toContain("name: sloth-slo-alerts-checkout-requests-availability");
    expect(text).toContain("name: sloth-slo-alerts-search-checkout-requests-availability");
  });

  it("reports an SLO declared in two files", async () => {
    await expect(sloGenerate([FIXTURE, FIXTURE])).rejects.toMatchObject({
      diagnostics: expect.arrayContaining([
        expect.objectContaining({ message: expect.stringContaining("declared twice") }),
      ]),
    });
  });
});
