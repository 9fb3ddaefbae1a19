import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvironmentError } from "../../src/errors/index.js";
import { readSloFiles } from "../../src/reliability/index.js";
import type { SloSet } from "../../src/reliability/model.js";
import { formatStatusTable, sloStatus } from "../../src/reliability/status.js";
import type { SloStatus } from "../../src/reliability/status.js";
import { freePort, startPrometheus } from "../support/prometheus.js";
import type { PrometheusServer } from "../support/prometheus.js";
import { backfillRecorded } from "../support/slo-backfill.js";

/**
 * `sloStatus` against a real Prometheus (Debian's package). The recorded series themselves are
 * backfilled with known values, under the names and labels the generated rules give them, rather
 * than raw counters: Prometheus evaluates rules only live, never over backfilled history, and a
 * live 30-day ratio of a few seconds of rule evaluations would be neither exact nor fast. Taking
 * names from `generateRules` keeps the test honest: a query for a series the generator does not
 * record finds nothing and fails the exact assertions below.
 */

const FIXTURE = "test/fixtures/slo/status/api.yaml";
const DAY = 86_400;
/** What Prometheus records for `vector(1-0.999)`: the same float64 arithmetic as here. */
const BUDGET = 1 - 0.999;

/** Known values of each recorded series, by SLO and record name. NaN: 0/0, no traffic. */
const RECORDED: Record<string, Record<string, number>> = {
  "api-requests-availability": {
    "slo:sli_error:ratio_rate5m": 0.005,
    "slo:sli_error:ratio_rate30m": 0.004,
    "slo:sli_error:ratio_rate1h": 0.003,
    "slo:sli_error:ratio_rate2h": 0.002,
    "slo:sli_error:ratio_rate6h": 0.0015,
    "slo:sli_error:ratio_rate1d": 0.001,
    "slo:sli_error:ratio_rate3d": 0.0005,
    "slo:sli_error:ratio_rate30d": 0.0002,
    "slo:error_budget:ratio": BUDGET,
    "slo:period_error_budget_remaining:ratio": 1 - 0.0002 / BUDGET,
  },
  "api-requests-quiet": {
    "slo:sli_error:ratio_rate5m": 0,
    "slo:sli_error:ratio_rate30m": 0,
    "slo:sli_error:ratio_rate1h": 0,
    "slo:sli_error:ratio_rate2h": 0,
    "slo:sli_error:ratio_rate6h": 0,
    "slo:sli_error:ratio_rate1d": 0,
    "slo:sli_error:ratio_rate3d": NaN,
    "slo:sli_error:ratio_rate30d": 0.0001,
    "slo:error_budget:ratio": BUDGET,
    "slo:period_error_budget_remaining:ratio": 1 - 0.0001 / BUDGET,
  },
};

let set: SloSet;
let prometheus: PrometheusServer | undefined;
/** Evaluation time of the queries; the samples are 15s older, well within the 5m lookback. */
let at: Date;

beforeAll(async () => {
  set = await readSloFiles([FIXTURE]);
  const seconds = Math.floor(Date.now() / 1000) - 600;
  at = new Date(seconds * 1000);
  prometheus = await startPrometheus({ openMetrics: backfillRecorded(set, RECORDED, seconds - 15) });
});

afterAll(async () => {
  await prometheus?.stop();
});

function byId(statuses: SloStatus[], id: string): SloStatus {
  const found = statuses.find((s) => s.id === id);
  if (!found) throw new Error(`no status for ${id}`);
  return found;
}

describe("sloStatus", () => {
  it("computes SLI, budget, burn rates and time to exhaustion from the recorded series", async () => {
    const statuses = await sloStatus(set, prometheus!.url, { at });
    expect(statuses.map((s) => s.id)).toEqual([
      "api-requests-availability",
      "api-requests-quiet",
      "api-jobs-nodata",
    ]);
    const status = byId(statuses, "api-requests-availability");
    expect(status.sli).toBeCloseTo(0.9998, 12);
    expect(status.errorBudget).toBe(BUDGET);
    expect(status.budgetRemaining).toBeCloseTo(0.8, 12);
    expect(status.windows.map((w) => w.window)).toEqual(["5m", "30m", "1h", "2h", "6h", "1d", "3d"]);
    const burn = status.windows.map((w) => w.burnRate);
    [5, 4, 3, 2, 1.5, 1, 0.5].forEach((expected, i) => expect(burn[i]).toBeCloseTo(expected, 12));
    expect(status.currentBurnRate).toBeCloseTo(5, 12);
    // 80% of 30 days left, spent 5 times faster than "on budget": 0.8 × 30d / 5 = 4.8 days.
    expect(status.timeToExhaustionSeconds).toBeCloseTo(4.8 * DAY, 6);
    expect(status.alerts).toEqual({ page: "firing", ticket: "pending" });
    expect(status.health).toBe("alerting");
  });

  it("reports a burn rate of 0 as never exhausting, and NaN windows as unknown", async () => {
    const status = byId(await sloStatus(set, prometheus!.url, { at }), "api-requests-quiet");
    expect(status.sli).toBeCloseTo(0.9999, 12);
    expect(status.budgetRemaining).toBeCloseTo(0.9, 12);
    expect(status.currentBurnRate).toBe(0);
    expect(status.timeToExhaustionSeconds).toBeNull();
    expect(status.windows.find((w) => w.window === "3d")).toMatchObject({ errorRatio: null, burnRate: null });
    expect(status.alerts).toEqual({ page: "inactive", ticket: "disabled" });
    expect(status.health).toBe("healthy");
  });

  it("reports an SLO without series as unknown, not as 0 or healthy", async () => {
    const status = byId(await sloStatus(set, prometheus!.url, { at }), "api-jobs-nodata");
    expect(status).toMatchObject({
      sli: null,
      budgetRemaining: null,
      currentBurnRate: null,
      timeToExhaustionSeconds: null,
      alerts: { page: "unknown", ticket: "unknown" },
      health: "unknown",
    });
    expect(status.windows.every((w) => w.errorRatio === null && w.burnRate === null)).toBe(true);
    // The spec's budget stands in when Prometheus records none.
    expect(status.errorBudget).toBeCloseTo(0.001, 15);
  });

  it("treats samples older than Prometheus' lookback as no data", async () => {
    // At "now" the backfilled samples are ten minutes old, beyond the 5m lookback.
    const statuses = await sloStatus(set, prometheus!.url);
    expect(statuses.map((s) => s.health)).toEqual(["unknown", "unknown", "unknown"]);
  });

  it("prints an aligned table", async () => {
    const table = formatStatusTable(await sloStatus(set, prometheus!.url, { at }));
    expect(table).toBe(
      [
        "SLO                        OBJECTIVE    SLI      BUDGET LEFT  BURN     EXHAUSTED IN  PAGE      TICKET    HEALTH",
        "api-requests-availability  99.9% / 30d  99.980%  80.0%        5.00x    4d19h         firing    pending   alerting",
        "api-requests-quiet         99.9% / 30d  99.990%  90.0%        0.00x    never         inactive  disabled  healthy",
        "api-jobs-nodata            99.9% / 30d  unknown  unknown      unknown  unknown       unknown   unknown   unknown",
      ].join("\n"),
    );
  });
});

describe("sloStatus errors", () => {
  it("reports an unreachable Prometheus as an EnvironmentError with the URL and a hint", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const error = await sloStatus(set, url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).message).toContain(`cannot reach Prometheus at ${url}`);
    expect((error as EnvironmentError).hint).toMatch(/Prometheus URL/);
  });

  it("reports a URL that is not the Prometheus API (wrong path prefix)", async () => {
    const error = await sloStatus(set, `${prometheus!.url}/prefix`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).message).toMatch(
      new RegExp(
        `unexpected response from Prometheus at ${prometheus!.url}/prefix/api/v1/query \\(HTTP 404\\)`,
      ),
    );
  });

  it("reports a query Prometheus rejects", async () => {
    const rejecting: typeof fetch = () =>
      Promise.resolve(
        new Response(JSON.stringify({ status: "error", errorType: "bad_data", error: "parse error" }), {
          status: 400,
        }),
      );
    const error = await sloStatus(set, "http://prometheus.test/", { fetch: rejecting }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).message).toMatch(
      /^Prometheus at http:\/\/prometheus\.test rejected the query .*: bad_data: parse error$/,
    );
  });
});
