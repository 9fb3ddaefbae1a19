import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { generateRules, loadSloSpecs, sloGenerate } from "../../src/reliability/index.js";
import { dashboardUid, sloDashboard } from "../../src/reliability/dashboard.js";
import type { GrafanaDashboard } from "../../src/reliability/dashboard.js";
import type { SloSet } from "../../src/reliability/model.js";
import { startPrometheus } from "../support/prometheus.js";
import type { PrometheusServer } from "../support/prometheus.js";

/**
 * Every panel query of the generated dashboards runs against a real Prometheus (Debian's
 * `prometheus` package) that evaluates the generated rules every second over backfilled traffic
 * of a checkout service failing half its requests, half of them slow. So each query must not
 * only parse but also find the series the rules record, and the alert panels see real alerts.
 */

const FIXTURE = "test/fixtures/slo/checkout.yaml";
const DATA_TIMEOUT_MS = 20_000;

let dir: string;
let set: SloSet;
let dashboards: GrafanaDashboard[];
let recorded: Set<string>;
let prometheus: PrometheusServer | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "slipway-dashboard-"));
  const rulesFile = join(dir, "rules.yaml");
  const rules = await sloGenerate([FIXTURE]);
  await writeFile(rulesFile, rules);
  recorded = new Set(
    (parse(rules) as { groups: Array<{ rules: Array<{ record?: string }> }> }).groups.flatMap((g) =>
      g.rules.flatMap((r) => (r.record === undefined ? [] : [r.record])),
    ),
  );
  set = loadSloSpecs(await readFile(FIXTURE, "utf8"), FIXTURE);
  dashboards = sloDashboard(set);

  prometheus = await startPrometheus({ rulesFile, openMetrics: checkoutTraffic() });
});

afterAll(async () => {
  await prometheus?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * The last five minutes of a checkout service failing half its requests, half of them slower
 * than 300ms: counters every 15s, the last sample a second ago, so the 5m SLI has data at once.
 */
function checkoutTraffic(): string {
  const now = Math.floor(Date.now() / 1000) - 1;
  const series: Array<[string, number]> = [
    ['http_requests_total{job="checkout",code="200"}', 50],
    ['http_requests_total{job="checkout",code="500"}', 50],
    ['http_request_duration_seconds_bucket{job="checkout",le="0.3"}', 50],
    ['http_request_duration_seconds_bucket{job="checkout",le="+Inf"}', 100],
    ['http_request_duration_seconds_count{job="checkout"}', 100],
  ];
  const lines = series.flatMap(([name, perStep]) =>
    Array.from({ length: 21 }, (_, i) => `${name} ${i * perStep} ${now - (20 - i) * 15}`),
  );
  return `${lines.join("\n")}\n# EOF\n`;
}

function targets(dashboard: GrafanaDashboard) {
  return dashboard.panels.flatMap((panel) => panel.targets.map((t) => ({ panel: panel.title, ...t })));
}

/** Grafana's interpolation of the dashboard's only query variable, both syntaxes. */
function substitute(expr: string, slo: string): string {
  return expr.replaceAll("${sloth_slo}", slo).replaceAll("$sloth_slo", slo);
}

function dashboardFor(service: string): GrafanaDashboard {
  const found = dashboards.find((d) => d.title === `SLOs / ${service}`);
  if (!found) throw new Error(`no dashboard for ${service}`);
  return found;
}

/**
 * Every name an expression reads. Whatever is left once strings are gone must be a metric, a
 * label the rules set, or PromQL; so an unknown word is reported instead of slipping through.
 */
function metricsRead(list: GrafanaDashboard[]): Set<string> {
  const promql = new Set(["on", "group_left", "count", "or", "vector", "label_values"]);
  const labels = new Set(["sloth_id", "sloth_slo", "sloth_service", "alertstate"]);
  const exprs = list.flatMap((d) => [
    ...targets(d).map((t) => t.expr),
    ...d.templating.list.filter((v) => v.type === "query").map((v) => v.query),
  ]);
  const metrics = new Set<string>();
  for (const expr of exprs) {
    const words = expr.replace(/"(?:[^"\\]|\\.)*"/g, "").match(/[A-Za-z_:][A-Za-z0-9_:]*/g) ?? [];
    for (const word of words) if (!promql.has(word) && !labels.has(word)) metrics.add(word);
  }
  return metrics;
}

async function waitFor(expr: string, count: number): Promise<void> {
  const deadline = Date.now() + DATA_TIMEOUT_MS;
  for (;;) {
    const response = await prometheus!.query(expr);
    if ((response.data?.result.length ?? 0) >= count) return;
    if (Date.now() > deadline) throw new Error(`no ${count} series for ${expr}: ${JSON.stringify(response)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("sloDashboard", () => {
  it("makes one dashboard per service, with a uid from the service and an SLO variable", () => {
    expect(dashboards.map((d) => d.uid)).toEqual(["slo-checkout", "slo-payments-worker"]);
    const checkout = dashboardFor("checkout");
    expect(checkout.schemaVersion).toBe(39);
    const variable = checkout.templating.list.find((v) => v.name === "sloth_slo");
    expect(variable?.query).toBe(
      'label_values(slo:sli_error:ratio_rate5m{sloth_service="checkout"}, sloth_slo)',
    );
    expect(variable?.["current"]).toMatchObject({ value: "requests-availability" });
    expect(new Set(checkout.panels.map((p) => p.id)).size).toBe(checkout.panels.length);
    expect(JSON.parse(JSON.stringify(checkout))).toEqual(checkout);
  });

  it("derives valid, distinct uids for services that are not valid uids", () => {
    const uids = ["Checkout", "checkout", "check out/eu", "x".repeat(60)].map((s) => dashboardUid("slo-", s));
    expect(new Set(uids).size).toBe(4);
    for (const uid of uids) expect(uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    expect(dashboardUid("slo-", "Checkout")).toBe(dashboardUid("slo-", "Checkout"));
  });

  it("shows burn rates for every window the rules record", () => {
    const burn = dashboardFor("checkout").panels.find((p) => p.title === "Burn rate per window");
    expect(burn?.targets.map((t) => t.legendFormat)).toEqual(["5m", "30m", "1h", "2h", "6h", "1d", "3d"]);
  });

  it("reads only series the generated rules record, or ALERTS", () => {
    const metrics = metricsRead(dashboards);
    expect(metrics.size).toBeGreaterThan(5);
    for (const metric of metrics) expect(recorded.has(metric) || metric === "ALERTS", metric).toBe(true);
  });

  it("queries each period and window of a service whose SLOs differ", () => {
    // The latency SLO moved to a 28-day period with a 10m shortest window: no 5m SLI for it.
    const mixed: SloSet = {
      ...set,
      slos: set.slos.map((slo) =>
        slo.name !== "requests-latency"
          ? slo
          : {
              ...slo,
              windows: {
                ...slo.windows,
                period: 28 * 86_400,
                page: { ...slo.windows.page, quick: { ...slo.windows.page.quick, shortWindow: 600 } },
              },
            },
      ),
    };
    const [checkout] = sloDashboard(mixed);
    const sli = checkout?.panels.find((p) => p.type === "stat" && p.title.startsWith("SLI"));
    expect(sli?.title).toBe("SLI (period)");
    expect(sli?.targets.map((t) => t.expr)).toEqual([
      expect.stringContaining("slo:sli_error:ratio_rate4w{"),
      expect.stringContaining("slo:sli_error:ratio_rate30d{"),
    ]);
    const burn = checkout?.panels.find((p) => p.title === "Burn rate per window");
    expect(burn?.targets.map((t) => t.legendFormat)).toEqual([
      "5m",
      "10m",
      "30m",
      "1h",
      "2h",
      "6h",
      "1d",
      "3d",
    ]);
    expect(checkout?.templating.list[1]?.query).toBe(
      'label_values(sloth_slo_info{sloth_service="checkout"}, sloth_slo)',
    );

    const names = new Set(
      generateRules(mixed).groups.flatMap((g) => g.rules.flatMap((r) => ("record" in r ? [r.record] : []))),
    );
    for (const metric of metricsRead(checkout ? [checkout] : [])) {
      expect(names.has(metric) || metric === "ALERTS", metric).toBe(true);
    }
  });

  it("has panel queries that Prometheus accepts and that find the recorded series", async () => {
    // Half the checkout requests fail and half are slow: both checkout SLOs record data and both
    // page alerts fire (above 14.4x the budget on the 5m and 1h windows) within a few seconds.
    await waitFor('slo:period_error_budget_remaining:ratio{sloth_service="checkout"}', 2);
    await waitFor('ALERTS{sloth_service="checkout", alertstate="firing", sloth_severity="page"}', 2);

    let queried = 0;
    for (const slo of set.slos) {
      for (const t of targets(dashboardFor(slo.service))) {
        const expr = substitute(t.expr, slo.name);
        expect(expr).not.toContain("$");
        const response = await prometheus!.query(expr);
        expect(response, `${slo.id} / ${t.panel}: ${expr}`).toMatchObject({ status: "success" });
        // payments-worker has no traffic: its queries only have to be valid.
        if (slo.service === "checkout") {
          expect(response.data?.result.length, `${slo.id} / ${t.panel}: ${expr}`).toBeGreaterThan(0);
        }
        queried++;
      }
    }
    expect(queried).toBe(set.slos.reduce((n, slo) => n + targets(dashboardFor(slo.service)).length, 0));

    // The SLO variable's label_values() source lists the service's SLOs.
    const variable = await prometheus!.query('slo:sli_error:ratio_rate5m{sloth_service="checkout"}');
    expect(new Set(variable.data?.result.map((r) => r.metric["sloth_slo"]))).toEqual(
      new Set(["requests-availability", "requests-latency"]),
    );
  });

  it("has the guard in place: Prometheus rejects a query that does not parse", async () => {
    const response = await prometheus!.query("slo:objective:ratio{sloth_slo=}");
    expect(response.status).toBe("error");
    expect(response.errorType).toBe("bad_data");
  });
});
