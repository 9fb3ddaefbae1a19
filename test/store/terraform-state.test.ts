import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.js";
import type { StateLock, StateWrite, Store } from "../../src/store/index.js";
import { freshDatabase } from "../support/pg-database.js";

/** The same cases on both dialects: versions, the serial and lineage checks, and locks under contention. */

const dialects: [string, () => Promise<{ open: () => Promise<Store> }>][] = [
  [
    "sqlite",
    () => {
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), "slipway-tfstore-")), "slipway.db");
      return Promise.resolve({ open: () => openStore({ kind: "sqlite", file }) });
    },
  ],
  [
    "postgres",
    async () => {
      const url = await freshDatabase("tfstate_store");
      return { open: () => openStore({ kind: "postgres", url }) };
    },
  ],
];

function write(serial: number, options: Partial<StateWrite> & { content?: string } = {}): StateWrite {
  const content = options.content ?? `state ${serial}`;
  return {
    project: "infra",
    name: "net",
    serial,
    lineage: "lineage-1",
    sha256: createHash("sha256").update(content).digest("hex"),
    sizeBytes: content.length,
    by: "ops",
    at: 1_000 + serial,
    lockId: undefined,
    force: false,
    seal: (version) => `sealed:${version}:${content}`,
    ...options,
  };
}

const lock = (id: string): StateLock => ({
  id,
  info: JSON.stringify({ ID: id }),
  lockedAt: 1,
  lockedBy: "ops",
});

for (const [kind, database] of dialects) {
  describe(`Terraform states in the store (${kind})`, () => {
    const opened: Store[] = [];
    const open = async () => {
      const db = await database();
      const store = await db.open();
      opened.push(store);
      return { store, another: async () => opened[opened.push(await db.open()) - 1]! };
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    it("numbers versions from 1, serves the newest and keeps every one", async () => {
      const { store } = await open();
      expect(await store.terraform.current("infra", "net")).toBeUndefined();
      for (const serial of [1, 2, 3])
        expect((await store.terraform.write(write(serial))).kind).toBe("written");
      const current = await store.terraform.current("infra", "net");
      expect(current?.version).toMatchObject({ version: 3, serial: 3, createdBy: "ops", forced: false });
      expect(current?.content).toBe("sealed:3:state 3");
      expect((await store.terraform.versions("infra", "net")).map((v) => v.version)).toEqual([3, 2, 1]);
      expect((await store.terraform.version("infra", "net", 1))?.content).toBe("sealed:1:state 1");
      // Another state of the project numbers its own versions.
      expect(await store.terraform.write(write(7, { name: "dns" }))).toMatchObject({
        version: { version: 1 },
      });
      expect((await store.terraform.list("infra")).map((s) => [s.name, s.currentVersion])).toEqual([
        ["dns", 1],
        ["net", 3],
      ]);
    });

    it("refuses serials that do not move forward and other lineages, unless forced", async () => {
      const { store } = await open();
      await store.terraform.write(write(5));
      expect(await store.terraform.write(write(4))).toMatchObject({ kind: "serial", current: { serial: 5 } });
      expect(await store.terraform.write(write(5, { content: "other" }))).toMatchObject({ kind: "serial" });
      expect(await store.terraform.write(write(6, { lineage: "lineage-2" }))).toMatchObject({
        kind: "lineage",
        current: { lineage: "lineage-1" },
      });
      // The same bytes again (a retried request) store nothing new.
      expect(await store.terraform.write(write(5))).toMatchObject({
        kind: "unchanged",
        version: { version: 1 },
      });
      expect(await store.terraform.write(write(2, { force: true }))).toMatchObject({
        kind: "written",
        version: { version: 2, serial: 2, forced: true },
      });
      expect((await store.terraform.get("infra", "net"))?.serial).toBe(2);
    });

    it("locks: one holder, released by its ID or by force, and writes only under the held lock", async () => {
      const { store } = await open();
      expect(await store.terraform.lock("infra", "net", lock("a"))).toEqual({ kind: "acquired" });
      expect(await store.terraform.lock("infra", "net", lock("a"))).toEqual({ kind: "acquired" });
      expect(await store.terraform.lock("infra", "net", lock("b"))).toMatchObject({
        kind: "held",
        holder: { id: "a" },
      });

      expect(await store.terraform.write(write(1))).toMatchObject({ kind: "locked", holder: { id: "a" } });
      expect(await store.terraform.write(write(1, { lockId: "b" }))).toMatchObject({ kind: "locked" });
      expect(await store.terraform.write(write(1, { lockId: "a" }))).toMatchObject({ kind: "written" });
      expect(
        await store.terraform.delete({ project: "infra", name: "net", lockId: undefined, by: "x", at: 2 }),
      ).toMatchObject({
        kind: "locked",
      });

      expect(await store.terraform.unlock("infra", "net", "b")).toMatchObject({
        kind: "held",
        holder: { id: "a" },
      });
      expect(await store.terraform.unlock("infra", "net", "a")).toEqual({ kind: "released" });
      expect(await store.terraform.unlock("infra", "net", "a")).toEqual({ kind: "not-locked" });
      expect(await store.terraform.write(write(2, { lockId: "a" }))).toEqual({
        kind: "lock-not-held",
        lockId: "a",
      });

      await store.terraform.lock("infra", "net", lock("c"));
      expect((await store.terraform.forceUnlock("infra", "net"))?.id).toBe("c");
      expect(await store.terraform.forceUnlock("infra", "net")).toBeUndefined();
      expect((await store.terraform.get("infra", "net"))?.lock).toBeUndefined();
    });

    it("keeps the versions of a deleted state and takes any lineage after it", async () => {
      const { store } = await open();
      await store.terraform.write(write(1));
      await store.terraform.write(write(2));
      expect(
        await store.terraform.delete({ project: "infra", name: "net", lockId: undefined, by: "x", at: 3 }),
      ).toEqual({
        kind: "deleted",
        version: 2,
      });
      expect(await store.terraform.current("infra", "net")).toBeUndefined();
      expect((await store.terraform.versions("infra", "net")).length).toBe(2);
      expect(await store.terraform.write(write(1, { lineage: "lineage-new" }))).toMatchObject({
        kind: "written",
        version: { version: 3 },
      });
      // A write conditional on the current version loses to one that came between.
      expect(await store.terraform.write(write(9, { ifCurrent: { version: 2 } }))).toEqual({
        kind: "moved",
        currentVersion: 3,
      });
    });

    it("prunes all but the newest N versions on a write, never the current one", async () => {
      const { store } = await open();
      expect(await store.terraform.write(write(1, { keepVersions: 2 }))).toMatchObject({
        kind: "written",
        pruned: [],
      });
      // Without the option nothing is pruned, however many versions there are.
      for (const serial of [2, 3, 4]) await store.terraform.write(write(serial));
      expect((await store.terraform.versions("infra", "net")).map((v) => v.version)).toEqual([4, 3, 2, 1]);

      expect(await store.terraform.write(write(5, { keepVersions: 2 }))).toMatchObject({
        kind: "written",
        version: { version: 5 },
        pruned: [1, 2, 3],
      });
      expect((await store.terraform.versions("infra", "net")).map((v) => v.version)).toEqual([5, 4]);
      expect(await store.terraform.version("infra", "net", 3)).toBeUndefined();
      // A refused or repeated write prunes nothing.
      expect(await store.terraform.write(write(5, { keepVersions: 1 }))).toMatchObject({ kind: "unchanged" });
      expect(await store.terraform.write(write(4, { keepVersions: 1 }))).toMatchObject({ kind: "serial" });
      expect((await store.terraform.versions("infra", "net")).length).toBe(2);

      // Keeping one keeps exactly the version just written, which is the current one.
      expect(await store.terraform.write(write(6, { keepVersions: 1 }))).toMatchObject({ pruned: [4, 5] });
      const current = await store.terraform.current("infra", "net");
      expect(current?.version.version).toBe(6);
      expect(current?.content).toBe("sealed:6:state 6");
      expect((await store.terraform.versions("infra", "net")).map((v) => v.version)).toEqual([6]);
      // Numbering goes on after the pruned versions; other states keep theirs.
      await store.terraform.write(write(1, { name: "dns" }));
      await store.terraform.write(write(2, { name: "dns" }));
      expect(await store.terraform.write(write(7, { keepVersions: 3 }))).toMatchObject({
        version: { version: 7 },
        pruned: [],
      });
      expect((await store.terraform.versions("infra", "dns")).length).toBe(2);
    });

    it("lists each state with its current version's size", async () => {
      const { store } = await open();
      await store.terraform.write(write(1, { content: "x".repeat(10) }));
      await store.terraform.write(write(2, { content: "y".repeat(25) }));
      await store.terraform.lock("infra", "dns", lock("held"));
      expect(
        (await store.terraform.list("infra")).map((s) => [s.name, s.currentVersion, s.sizeBytes, s.lock?.id]),
      ).toEqual([
        ["dns", undefined, undefined, "held"],
        ["net", 2, 25, undefined],
      ]);
      expect((await store.terraform.get("infra", "net"))?.sizeBytes).toBe(25);
      await store.terraform.delete({ project: "infra", name: "net", lockId: undefined, by: "x", at: 3 });
      expect((await store.terraform.get("infra", "net"))?.sizeBytes).toBeUndefined();
    });

    it("gives the lock to exactly one of fifty lockers on two connections", async () => {
      const { store, another } = await open();
      const second = await another();
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 ? second : store).terraform.lock("infra", "net", lock(`l${i}`)),
        ),
      );
      const acquired = outcomes.filter((o) => o.kind === "acquired");
      expect(acquired.length).toBe(1);
      const holder = (await store.terraform.get("infra", "net"))?.lock?.id;
      for (const o of outcomes) if (o.kind === "held") expect(o.holder.id).toBe(holder);
    });

    it("numbers concurrent writes without gaps, each after the serial it replaced", async () => {
      const { store, another } = await open();
      const second = await another();
      const serials = Array.from({ length: 30 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
      const outcomes = await Promise.all(
        serials.map((s, i) => (i % 2 ? second : store).terraform.write(write(s))),
      );
      const written = outcomes.filter((o) => o.kind === "written");
      expect(written.length + outcomes.filter((o) => o.kind === "serial").length).toBe(30);
      const versions = (await store.terraform.versions("infra", "net")).reverse();
      expect(versions.map((v) => v.version)).toEqual(versions.map((_, i) => i + 1));
      for (let i = 1; i < versions.length; i++)
        expect(versions[i]!.serial).toBeGreaterThan(versions[i - 1]!.serial);
      expect((await store.terraform.get("infra", "net"))?.serial).toBe(versions.at(-1)?.serial);
    });
  });
}
