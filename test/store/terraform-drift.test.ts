import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.js";
import type { DriftCheck, Store } from "../../src/store/index.js";
import { freshDatabase } from "../support/pg-database.js";

/** Drift status on both dialects: what a drift check sets, what a plan clears, and checks arriving out of order. */

const dialects: [string, () => Promise<{ open: () => Promise<Store> }>][] = [
  [
    "sqlite",
    () => {
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), "slipway-tfdrift-")), "slipway.db");
      return Promise.resolve({ open: () => openStore({ kind: "sqlite", file }) });
    },
  ],
  [
    "postgres",
    async () => {
      const url = await freshDatabase("tfdrift_store");
      return { open: () => openStore({ kind: "postgres", url }) };
    },
  ],
];

const base = { project: "infra", dir: "net", runNumber: 1, jobKey: "drift" };

function drift(at: number, drifted: boolean, workspace = "prod"): DriftCheck {
  return {
    ...base,
    workspace,
    source: "terraform-drift",
    at,
    runId: `run-${at}`,
    drifted,
    report: JSON.stringify({ configurationChanges: drifted ? [{ address: "a.b" }] : [] }),
  };
}

function plan(at: number, hasChanges: boolean, workspace = "prod"): DriftCheck {
  return { ...base, workspace, source: "terraform-plan", at, runId: `run-${at}`, jobKey: "plan", hasChanges };
}

for (const [kind, database] of dialects) {
  describe(`Terraform drift status in the store (${kind})`, () => {
    const opened: Store[] = [];
    const open = async () => {
      const store = await (await database()).open();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    it("records drift checks, keeps since while the status holds, and clears drift with a clean plan only", async () => {
      const store = await open();
      const drifts = store.terraform.drift;
      // A plan of a directory no drift check covers records nothing.
      expect(await drifts.record(plan(5, false))).toEqual({ kind: "ignored", reason: "untracked" });
      expect(await drifts.list("infra")).toEqual([]);

      expect(await drifts.record(drift(10, false))).toMatchObject({
        kind: "changed",
        previous: undefined,
        current: { drifted: false, since: 10, checkedAt: 10 },
      });
      expect(await drifts.record(drift(20, false))).toMatchObject({
        kind: "confirmed",
        current: { since: 10, checkedAt: 20 },
      });
      expect(await drifts.record(drift(30, true))).toMatchObject({
        kind: "changed",
        previous: { drifted: false, since: 10 },
        current: { drifted: true, since: 30, checkedBy: "terraform-drift", runId: "run-30" },
      });
      expect(await drifts.record(drift(40, true))).toMatchObject({
        kind: "confirmed",
        current: { drifted: true, since: 30, checkedAt: 40 },
      });

      // A plan with changes may be the change under review: the mark stays.
      expect(await drifts.record(plan(50, true))).toEqual({ kind: "ignored", reason: "changes" });
      const [still] = await drifts.list("infra");
      expect(still).toMatchObject({ drifted: true, checkedAt: 40 });
      expect(JSON.parse(still?.report ?? "null")).toEqual({ configurationChanges: [{ address: "a.b" }] });

      expect(await drifts.record(plan(60, false))).toMatchObject({
        kind: "changed",
        previous: { drifted: true },
        current: {
          drifted: false,
          since: 60,
          checkedAt: 60,
          checkedBy: "terraform-plan",
          jobKey: "plan",
          report: undefined,
        },
      });
      // Another clean plan confirms it.
      expect(await drifts.record(plan(70, false))).toMatchObject({
        kind: "confirmed",
        current: { since: 60 },
      });
    });

    it("ignores a check older than the one recorded, and applies the same check twice as once", async () => {
      const store = await open();
      const drifts = store.terraform.drift;
      await drifts.record(drift(100, true));
      expect(await drifts.record(drift(90, false))).toEqual({ kind: "ignored", reason: "older" });
      expect(await drifts.record(plan(95, false))).toEqual({ kind: "ignored", reason: "older" });
      expect(await drifts.record(drift(100, true))).toMatchObject({ kind: "confirmed" });
      expect(await drifts.list("infra")).toMatchObject([{ drifted: true, since: 100, checkedAt: 100 }]);
    });

    it("keeps each directory and workspace of each project apart, listed by directory then workspace", async () => {
      const store = await open();
      const drifts = store.terraform.drift;
      await drifts.record(drift(1, true, "staging"));
      await drifts.record(drift(2, false, "prod"));
      await drifts.record({ ...drift(3, false, "prod"), dir: "dns" });
      await drifts.record({ ...drift(4, true, "prod"), project: "other" });
      await drifts.record({ ...drift(5, false, "Prod") });
      expect((await drifts.list("infra")).map((s) => [s.dir, s.workspace, s.drifted])).toEqual([
        ["dns", "prod", false],
        ["net", "Prod", false],
        ["net", "prod", false],
        ["net", "staging", true],
      ]);
      expect((await drifts.list("other")).map((s) => [s.dir, s.drifted, s.runNumber])).toEqual([
        ["net", true, 1],
      ]);
    });

    it("gives one status to concurrent checks of a workspace on two connections", async () => {
      const db = await database();
      const first = await db.open();
      const second = await db.open();
      opened.push(first, second);
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? second : first).terraform.drift.record(drift(1000 + i, i % 3 === 0)),
        ),
      );
      // Exactly one check created the row; the newest check decided the status.
      expect(outcomes.filter((o) => o.kind === "changed" && o.previous === undefined).length).toBe(1);
      const [row] = await first.terraform.drift.list("infra");
      expect(row?.checkedAt).toBe(1019);
      expect(row?.drifted).toBe(false);
    });
  });
}
