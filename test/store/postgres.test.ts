import { describe, expect, it } from "vitest";
import { EnvironmentError } from "../../src/errors/index.js";
import { openStore } from "../../src/store/index.js";
import { freshDatabase } from "../support/pg-database.js";
import { describeStoreContract } from "./contract.js";

let last = "";

describeStoreContract(
  "postgres",
  async () => {
    last = await freshDatabase("store_contract");
    return openStore({ kind: "postgres", url: last });
  },
  () => openStore({ kind: "postgres", url: last }),
);

describe("PostgreSQL store", () => {
  it("migrates once when several servers open a new database at the same time", async () => {
    const url = await freshDatabase("store_race");
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore({ kind: "postgres", url })));
    try {
      await Promise.all(
        stores.map((store, i) =>
          store.recordEvents([
            {
              type: "run.queued",
              at: 1,
              run: {
                id: `run-${i}`,
                pipelineName: "ci",
                file: "slipway.yaml",
                frontEnd: "slipway",
                projectDir: "/p",
                workspace: "/p",
                commit: undefined,
                dirty: false,
                trigger: "manual",
                actor: "ada",
              },
              jobs: [],
            },
          ]),
        ),
      );
      // Four processes queueing at once still get four distinct numbers.
      const numbers = (await stores[0]!.listRuns()).map((r) => r.number).sort((x, y) => x - y);
      expect(numbers).toEqual([1, 2, 3, 4]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it("reports a server it cannot reach without leaking the password", async () => {
    const url = "postgres://slipway:s3cret@127.0.0.1:1/slipway";
    const error: unknown = await openStore({ kind: "postgres", url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).message).toContain("127.0.0.1:1");
    expect((error as EnvironmentError).message).not.toContain("s3cret");
  });
});
