import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors/index.js";
import { formatGateDecision, sloGate } from "../../src/reliability/gate.js";
import { readSloFiles } from "../../src/reliability/index.js";
import type { SloSet } from "../../src/reliability/model.js";
import { startPrometheus } from "../support/prometheus.js";
import type { PrometheusServer } from "../support/prometheus.js";
import { backfillRecorded } from "../support/slo-backfill.js";

/**
 * `sloGate` against a real Prometheus, with the recorded series backfilled as in status.test.ts
 * (same fixture): `api-requests-availability` has 80% of its budget left and its page alert
 * firing, `api-requests-quiet` has 90% left and nothing firing, `api-jobs-nodata` has no series.
 */

const FIXTURE = "test/fixtures/slo/status/api.yaml";
const BUDGET = 1 - 0.999;
const AVAILABILITY = "api-requests-availability";
const QUIET = "api-requests-quiet";
const NODATA = "api-jobs-nodata";

const RECORDED: Record<string, Record<string, number>> = {
  [AVAILABILITY]: {
    "slo:sli_error:ratio_rate5m": 0.005,
    "slo:sli_error:ratio_rate30d": 0.0002,
    "slo:error_budget:ratio": BUDGET,
    "slo:period_error_budget_remaining:ratio": 1 - 0.0002 / BUDGET,
  },
  [QUIET]: {
    "slo:sli_error:ratio_rate5m": 0,
    "slo:sli_error:ratio_rate30d": 0.0001,
    "slo:error_budget:ratio": BUDGET,
    "slo:period_error_budget_remaining:ratio": 1 - 0.0001 / BUDGET,
  },
};

const NODATA_REASON =
  `${NODATA}: no data in Prometheus (error budget remaining unknown), so the gate fails closed; ` +
  "check that Prometheus loads the generated rules and scrapes the service, or give an override reason to deploy anyway";

let set: SloSet;
let prometheus: PrometheusServer | undefined;
let url: string;
let at: Date;

beforeAll(async () => {
  set = await readSloFiles([FIXTURE]);
  const seconds = Math.floor(Date.now() / 1000) - 600;
  at = new Date(seconds * 1000);
  prometheus = await startPrometheus({ openMetrics: backfillRecorded(set, RECORDED, seconds - 15) });
  url = prometheus.url;
});

afterAll(async () => {
  await prometheus?.stop();
});

/** A fetch that fails the test if the gate queries Prometheus at all. */
const noFetch: typeof fetch = () => Promise.reject(new Error("the gate must not query Prometheus"));

describe("sloGate", () => {
  it("blocks an SLO whose budget remaining is below the threshold", async () => {
    const decision = await sloGate(
      set,
      url,
      { minBudgetRemaining: 0.85, blockOnPageAlert: false, slos: [AVAILABILITY, QUIET] },
      { at },
    );
    expect(decision).toMatchObject({ allowed: false, overridden: false });
    expect(decision.reasons).toEqual([
      `${AVAILABILITY}: error budget remaining 80.0% is below the required 85.0%`,
    ]);
    expect(decision.statuses.map((s) => s.id)).toEqual([AVAILABILITY, QUIET]);
    expect(formatGateDecision(decision)).toBe(
      [
        "deploy blocked",
        `  blocked by ${AVAILABILITY}: error budget remaining 80.0% is below the required 85.0%`,
      ].join("\n"),
    );
  });

  it("blocks an SLO whose page alert fires, with the default policy", async () => {
    const decision = await sloGate(set, url, { slos: [AVAILABILITY] }, { at });
    expect(decision).toMatchObject({ allowed: false, overridden: false });
    expect(decision.reasons).toEqual([`${AVAILABILITY}: page alert ApiHighErrorRate is firing`]);
  });

  it("gives one line per SLO with every problem of it", async () => {
    const decision = await sloGate(
      set,
      url,
      { minBudgetRemaining: 0.95, slos: [AVAILABILITY, QUIET] },
      { at },
    );
    expect(decision.reasons).toEqual([
      `${AVAILABILITY}: error budget remaining 80.0% is below the required 95.0%; page alert ApiHighErrorRate is firing`,
      `${QUIET}: error budget remaining 90.0% is below the required 95.0%`,
    ]);
  });

  it("allows a deploy when every SLO has data, budget above the threshold and no page", async () => {
    const decision = await sloGate(set, url, { minBudgetRemaining: 0.5, slos: [QUIET] }, { at });
    expect(decision).toMatchObject({ allowed: true, overridden: false, reasons: [] });
    expect(decision.statuses[0]?.budgetRemaining).toBeCloseTo(0.9, 12);
    expect(formatGateDecision(decision)).toBe("deploy allowed\n  1 SLO within policy");
    // A firing page alert does not block when the policy says so.
    const ignoringPages = await sloGate(
      set,
      url,
      { blockOnPageAlert: false, slos: [AVAILABILITY, QUIET] },
      { at },
    );
    expect(ignoringPages).toMatchObject({ allowed: true, overridden: false, reasons: [] });
  });

  it("fails closed on an SLO without data", async () => {
    const decision = await sloGate(set, url, { slos: [NODATA] }, { at });
    expect(decision).toMatchObject({ allowed: false, overridden: false });
    expect(decision.reasons).toEqual([NODATA_REASON]);
    // At "now" the backfilled samples are beyond the lookback: every SLO is unknown.
    const stale = await sloGate(set, url, { blockOnPageAlert: false });
    expect(stale.allowed).toBe(false);
    expect(stale.reasons).toHaveLength(3);
  });

  it("allows a blocked deploy with an override reason and keeps the reasons", async () => {
    const decision = await sloGate(
      set,
      url,
      { minBudgetRemaining: 0.85, overrideReason: "  hotfix for INC-42 \n" },
      { at },
    );
    expect(decision).toMatchObject({ allowed: true, overridden: true, overrideReason: "hotfix for INC-42" });
    expect(decision.reasons).toEqual([
      `${AVAILABILITY}: error budget remaining 80.0% is below the required 85.0%; page alert ApiHighErrorRate is firing`,
      NODATA_REASON,
    ]);
    expect(formatGateDecision(decision)).toBe(
      [
        "deploy allowed by override: hotfix for INC-42",
        `  blocked by ${AVAILABILITY}: error budget remaining 80.0% is below the required 85.0%; page alert ApiHighErrorRate is firing`,
        `  blocked by ${NODATA_REASON}`,
      ].join("\n"),
    );
  });

  it("does not count an override on a gate that does not block", async () => {
    const decision = await sloGate(set, url, { slos: [QUIET], overrideReason: "just in case" }, { at });
    expect(decision).toMatchObject({ allowed: true, overridden: false, reasons: [] });
    expect(formatGateDecision(decision).split("\n")[0]).toBe("deploy allowed");
  });

  it("considers only the SLOs of the filter, by sloth ID or by name", async () => {
    const byName = await sloGate(set, url, { slos: ["requests-quiet"] }, { at });
    expect(byName.statuses.map((s) => s.id)).toEqual([QUIET]);
    expect(byName.allowed).toBe(true);
    const byId = await sloGate(set, url, { slos: [NODATA, "requests-quiet"] }, { at });
    expect(byId.statuses.map((s) => s.id)).toEqual([QUIET, NODATA]);
    expect(byId.reasons).toEqual([NODATA_REASON]);
  });
});

describe("sloGate usage errors", () => {
  it.each(["", "   \n\t"])("rejects the empty override reason %j before querying", async (reason) => {
    const error = await sloGate(set, url, { overrideReason: reason }, { fetch: noFetch }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe("the override reason is empty");
  });

  it("rejects an SLO filter naming an unknown SLO", async () => {
    const error = await sloGate(set, url, { slos: [QUIET, "api-nope"] }, { fetch: noFetch }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe('no SLO with the ID or name "api-nope"');
    expect((error as UsageError).hint).toBe(`known SLOs: ${AVAILABILITY}, ${QUIET}, ${NODATA}`);
  });

  it.each([-0.1, 1.5, NaN])("rejects a minimum budget remaining of %s", async (min) => {
    const error = await sloGate(set, url, { minBudgetRemaining: min }, { fetch: noFetch }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
  });
});
