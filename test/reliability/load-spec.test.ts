import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors/index.js";
import type { Diagnostic } from "../../src/errors/index.js";
import { loadSloSpecs } from "../../src/reliability/index.js";

const FIXTURE = "test/fixtures/slo/checkout.yaml";

function diagnostics(yaml: string): Diagnostic[] {
  try {
    loadSloSpecs(yaml, "slo.yaml");
  } catch (error) {
    if (error instanceof ConfigError) return [...error.diagnostics];
    throw error;
  }
  throw new Error("expected the spec to be rejected");
}

const summary = (d: Diagnostic) => `${d.position.line}:${d.position.column} ${d.message}`;

describe("loadSloSpecs", () => {
  it("loads every document of a multi-document file, merging labels and alert settings", async () => {
    const set = loadSloSpecs(await readFile(FIXTURE, "utf8"), FIXTURE);
    expect(set.slos.map((s) => s.id)).toEqual([
      "checkout-requests-availability",
      "checkout-requests-latency",
      "payments-worker-jobs-success",
    ]);
    const [availability, latency, worker] = set.slos;
    expect(availability?.labels).toEqual({ owner: "payments-team", tier: "1" });
    expect(availability?.pageAlert).toEqual({
      disable: false,
      name: "CheckoutHighErrorRate",
      labels: { category: "availability", severity: "critical" },
      annotations: { runbook: "https://runbooks.example.com/checkout/availability" },
    });
    expect(latency?.labels).toEqual({ owner: "payments-team", tier: "1", category: "latency" });
    expect(latency?.ticketAlert.disable).toBe(true);
    expect(worker?.sli.kind).toBe("raw");
    // Positions are those of the file, not of the second document on its own.
    expect(worker?.position).toEqual({ file: FIXTURE, line: 56, column: 5 });
  });

  it("reports every problem at once, each at its line and column", () => {
    const found = diagnostics(
      [
        "version: prometheus/v1",
        "service: checkout",
        "slos:",
        "  - name: availability",
        "    objective: 100.5",
        "    sli:",
        "      plugin:",
        "        id: sloth-common/availability",
        "    alerting:",
        "      name: CheckoutAvailability",
        "      page_alert:",
        "        lables:",
        "          severity: critical",
        "  - name: latency",
        "    objective: 99",
        "    sli:",
        "      events:",
        "        error_query: sum(rate(errors_total[5m]))",
        "        total_query: sum(rate(requests_total[{{.window}}]))",
        "    alerting:",
        "      name: CheckoutLatency",
      ].join("\n"),
    );
    expect(found.map(summary)).toEqual([
      "5:16 objective 100.5 is out of range",
      "7:7 SLI plugins are unsupported",
      '12:9 unknown key "lables" in slos.0.alerting.page_alert',
      "18:22 slos.1.sli.events.error_query does not use {{.window}}",
    ]);
    expect(found[2]?.hint).toMatch(/did you mean "labels"/);
    expect(found[0]?.expected).toMatch(/greater than 0 and less than 100/);
    expect(found[0]?.hint).toMatch(/no error budget/);
  });

  it("checks names, labels, the version and the alert name", () => {
    const found = diagnostics(
      [
        "version: prometheus/v2",
        "service: -checkout",
        "labels:",
        "  team-name: payments",
        "slos:",
        "  - name: ok",
        "    objective: 99.9",
        "    sli:",
        "      raw:",
        "        error_ratio_query: rate(errors[{{.window}}]) / rate(total[{{.range}}])",
      ].join("\n"),
    );
    expect(found.map(summary)).toEqual([
      '1:10 unsupported spec version "prometheus/v2"',
      '2:10 invalid service "-checkout"',
      '4:3 invalid label name "team-name"',
      "6:5 alerting.name is required while the page or ticket alert is enabled",
      "10:28 unknown template variable {{.range}} in slos.0.sli.raw.error_ratio_query",
    ]);
  });

  it("reports problems of the second document at their place in the file, and repeated SLOs", () => {
    const spec = (objective: number) =>
      [
        "version: prometheus/v1",
        "service: checkout",
        "slos:",
        "  - name: availability",
        `    objective: ${objective}`,
        "    sli:",
        "      raw:",
        "        error_ratio_query: x[{{.window}}]",
        "    alerting:",
        "      page_alert: {disable: true}",
        "      ticket_alert: {disable: true}",
      ].join("\n");
    const found = diagnostics(`${spec(99)}\n---\n${spec(0)}\n`);
    expect(found.map(summary)).toEqual(
      [
        "17:16 objective 0 is out of range",
        '16:5 SLO "checkout-availability" is declared twice (first at slo.yaml:4:5)',
      ].sort(),
    );
  });

  it("reports a missing required key where it has to be added", () => {
    const found = diagnostics(
      "version: prometheus/v1\nservice: checkout\nslos:\n  - objective: 99\n    sli: {}\n",
    );
    expect(found.map(summary)).toEqual(['4:5 missing required key "name" in slos.0']);
  });
});
