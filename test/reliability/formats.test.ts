import { describe, expect, it } from "vitest";
import { YamlSource } from "../../src/config/yaml-source.js";
import { ConfigError, UsageError } from "../../src/errors/index.js";
import type { Diagnostic } from "../../src/errors/index.js";
import { sloGenerate } from "../../src/reliability/index.js";
import { loadNativeSlos } from "../../src/reliability/load-native.js";
import { detectSloFormat, loadSloFiles } from "../../src/reliability/load-slo-files.js";

const SAME = "test/fixtures/slo/same";

function diagnostics(text: string): Diagnostic[] {
  try {
    loadSloFiles([{ file: "slo.yaml", text }]);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.diagnostics];
    throw error;
  }
  throw new Error("expected the SLO file to be rejected");
}

const summary = (d: Diagnostic) => `${d.position.line}:${d.position.column} ${d.message}`;

describe("SLO input formats", () => {
  it("compile the same SLOs written as Sloth, OpenSLO and native specs to identical rules", async () => {
    const sloth = await sloGenerate([`${SAME}/sloth.yaml`]);
    expect(sloth).toContain('sum(rate(http_requests_total{job="checkout",code=~"5.."}[5m]))');
    expect(sloth).toContain("alert: CheckoutRequestsAvailabilityBudgetBurn");
    expect(await sloGenerate([`${SAME}/openslo.yaml`])).toBe(sloth);
    expect(await sloGenerate([`${SAME}/native.yaml`])).toBe(sloth);
  });

  it("detects the format by content", () => {
    expect(detectSloFormat({ version: "prometheus/v1", slos: [] })).toBe("sloth");
    expect(detectSloFormat({ apiVersion: "openslo/v1" })).toBe("openslo");
    expect(detectSloFormat({ slos: {} })).toBe("native");
    expect(detectSloFormat({ groups: [] })).toBeUndefined();
    expect(detectSloFormat(["slos"])).toBeUndefined();
    const [found] = diagnostics("# rules, not SLOs\ngroups: []\n");
    expect(found && summary(found)).toBe("2:1 not an SLO document: cannot tell its format");
    expect(found?.expected).toMatch(/prometheus\/v1.*openslo\/v1.*slos:/);
  });

  it("reads Sloth specs with a 28d period when asked, like sloth --default-slo-period", async () => {
    const rules = await sloGenerate([`${SAME}/sloth.yaml`], { slothPeriod: "28d" });
    expect(rules).toContain("record: slo:sli_error:ratio_rate4w");
    expect(rules).toContain("expr: vector(28)");
    await expect(sloGenerate([`${SAME}/sloth.yaml`], { slothPeriod: "7d" })).rejects.toBeInstanceOf(
      UsageError,
    );
  });
});

describe("OpenSLO v1", () => {
  it("reports every unsupported part at once, each at its line and column", () => {
    const found = diagnostics(
      [
        "apiVersion: openslo/v1", // 1
        "kind: SLO",
        "metadata:",
        "  name: availability",
        "  labels: { team: [a, b] }", // 5
        "spec:",
        "  service: checkout",
        "  indicator:",
        "    metadata: { name: x }",
        "    spec:", // 10
        "      ratioMetric:",
        "        counter: true",
        "        bad:",
        "          metricSource:",
        "            type: Datadog", // 15
        '            spec: { query: "x" }',
        "        total:",
        "          metricSource:",
        "            type: Prometheus",
        "            spec:", // 20
        "              query: sum(rate(http_requests_total[5m]))",
        "  timeWindow:",
        "    - duration: 1M",
        "      isRolling: false",
        '      calendar: { startTime: "2024-01-01 00:00:00", timeZone: UTC }', // 25
        "  budgetingMethod: Timeslices",
        "  objectives:",
        "    - target: 0.999",
        "      timeSliceTarget: 0.95",
        "    - target: 0.99", // 30
        "  alertPolicies: [fast-burn]",
        "---",
        "apiVersion: openslo/v1",
        "kind: SLI",
        "metadata: { name: fast }", // 35
        "spec:",
        "  thresholdMetric:",
        "    metricSource: { type: Prometheus, spec: { query: x } }",
        "---",
        "apiVersion: openslo/v1", // 40
        "kind: AlertPolicy",
        "metadata: { name: fast-burn }",
        "spec: {}",
        "---",
        "apiVersion: openslo/v1", // 45
        "kind: SLO",
        "metadata: { name: latency }",
        "spec:",
        "  service: checkout",
        "  indicatorRef: nope", // 50
        "  timeWindow: [{ duration: 7d, isRolling: true }]",
        "  budgetingMethod: Occurrences",
        "  objectives: [{ target: 99.9 }]",
        "  alertPolicy: x",
      ].join("\n"),
    );
    expect(found.map(summary)).toEqual([
      '5:19 label "team" has a list of values',
      "15:19 metric source type Datadog is unsupported",
      "21:22 spec.indicator.spec.ratioMetric.total.metricSource.spec.query already has a range",
      "25:7 calendar-aligned time windows are unsupported",
      "26:20 budgeting method Timeslices is unsupported",
      "29:7 timeSliceTarget is unsupported",
      "30:7 several objectives are unsupported",
      "31:3 alertPolicies are unsupported",
      "37:3 threshold metrics are unsupported",
      '41:7 OpenSLO kind "AlertPolicy" is unsupported',
      '50:17 no SLI named "nope"',
      "51:28 period 7d has no built-in alert windows",
      "53:26 target 99.9 is out of range",
      '54:3 unknown key "alertPolicy" in spec',
    ]);
    expect(found[2]?.hint).toMatch(/sum\(rate\(<query>\[W\]\)\)/);
    expect(found[12]?.hint).toBe("OpenSLO targets are ratios; did you mean 0.999?");
  });

  it("wants a counter selector, not an expression or a Sloth template", () => {
    const slo = (query: string) =>
      [
        "apiVersion: openslo/v1",
        "kind: SLO",
        "metadata: { name: availability }",
        "spec:",
        "  service: checkout",
        "  indicator:",
        "    metadata: { name: x }",
        "    spec:",
        "      ratioMetric:",
        "        counter: true",
        "        good: { metricSource: { type: Prometheus, spec: { query: 'ok_total{code=~\"2[0-9]{2}\"}' } } }",
        `        total: { metricSource: { type: Prometheus, spec: { query: '${query}' } } }`,
        "  timeWindow: [{ duration: 28d, isRolling: true }]",
        "  budgetingMethod: Occurrences",
        "  objectives: [{ target: 0.99 }]",
      ].join("\n");
    expect(loadSloFiles([{ file: "a.yaml", text: slo("requests_total") }]).slos[0]?.sli).toEqual({
      kind: "events",
      errorQuery:
        'sum(rate(requests_total[{{.window}}])) - sum(rate(ok_total{code=~"2[0-9]{2}"}[{{.window}}]))',
      totalQuery: "sum(rate(requests_total[{{.window}}]))",
    });
    expect(diagnostics(slo("sum(requests_total)")).map(summary)).toEqual([
      "12:67 spec.indicator.spec.ratioMetric.total.metricSource.spec.query is not a counter selector",
    ]);
    expect(diagnostics(slo("requests_total[{{.window}}]")).map((d) => d.message)).toEqual([
      "spec.indicator.spec.ratioMetric.total.metricSource.spec.query uses a template variable",
    ]);
  });
});

describe("native slos:", () => {
  it("reports problems of SLOs, periods and windows at their positions", () => {
    const found = diagnostics(
      [
        "slos:",
        "  checkout:",
        "    availability:",
        "      objective: 100",
        "      period: 7d",
        "      sli:",
        "        errors: sum(rate(errors_total[5m]))",
        "      alerting:",
        "        page_alert: { disable: true }",
        "    latency:",
        "      objective: 99",
        "      period: 7d",
        "      windows:",
        "        page:",
        "          quick: { short: 1h, long: 5m, budget_percent: 2 }",
        "          slow: { short: 30m, long: 6h, budget_percent: 5 }",
        "        ticket:",
        "          quick: { short: 2h, long: 8d, budget_percent: 10 }",
        "          slow: { short: 6h, long: 3d, budget_percent: 150 }",
        "      sli:",
        "        error_ratio: rate(x[{{.window}}])",
      ].join("\n"),
    );
    expect(found.map(summary)).toEqual([
      "4:18 objective 100 is out of range",
      "5:15 period 7d has no built-in alert windows",
      "6:7 the SLI needs either errors and total, or error_ratio",
      '9:9 unknown key "page_alert" in slos.checkout.availability.alerting',
      "15:27 short window 1h is not shorter than long window 5m",
      "18:37 long window 8d is longer than the period",
      "19:56 budget_percent 150 is out of range",
    ]);
    expect(found[1]?.hint).toMatch(/add a windows: block/);
    expect(found[3]?.hint).toBe("the native key is alerting.page");
  });

  it("loads the slos: section of a larger file, with positions in that file", () => {
    const text = [
      "name: shop",
      "pipelines: {}",
      "slos:",
      "  checkout:",
      "    availability:",
      "      objective: 99.9",
      "      period: 28d",
      "      sli: { error_ratio: 'rate(errors[{{.window}}])', errors: x }",
    ].join("\n");
    const { source } = YamlSource.parse("slipway.yaml", text);
    const value = (source.toJS() as { slos: unknown }).slos;
    const { slos, diagnostics: found } = loadNativeSlos(value, source, ["slos"]);
    expect(slos).toEqual([]);
    expect(found.map(summary)).toEqual(["8:7 the SLI needs either errors and total, or error_ratio"]);

    const ok = loadNativeSlos(
      {
        checkout: {
          availability: { objective: 99.9, period: "28d", sli: { error_ratio: "x[{{.window}}]" } },
        },
      },
      source,
      ["slos"],
    );
    expect(ok.diagnostics).toEqual([]);
    expect(ok.slos[0]).toMatchObject({
      id: "checkout-availability",
      windows: { period: 28 * 86_400 },
      pageAlert: { name: "CheckoutAvailabilityBudgetBurn", disable: false },
    });
  });
});
