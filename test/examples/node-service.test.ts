import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, ROOT } from "../support/cli.js";

interface Event {
  type: string;
  jobKey?: string;
  stepIndex?: number;
  status?: string;
  cacheHit?: boolean;
  outputs?: Record<string, string>;
}

/** The example project, end to end through the CLI, as a user runs it: a playground. */
describe("examples/node-service", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-example-"));
  cpSync(path.join(ROOT, "examples", "node-service"), dir, {
    recursive: true,
    filter: (src) => !/[/\\](\.slipway|dist|out|reports|\.smoke|node_modules)$/.test(src),
  });
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "ignore" });
  git("init", "-q");
  git("add", ".");
  git("-c", "user.name=test", "-c", "user.email=test@localhost", "commit", "-qm", "example");
  const run = () => {
    const result = cli(dir, ["run", "--json"]);
    const events = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Event);
    return { result, events, finished: events.filter((e) => e.type === "job.finished") };
  };

  it(
    "builds, tests, packages and smoke-tests the service, then serves a second run from the cache",
    { timeout: 180_000 },
    () => {
      const cold = run();
      expect(cold.result.status, cold.result.stderr).toBe(0);
      expect(cold.finished.map((e) => [e.jobKey, e.status, e.cacheHit])).toEqual([
        ["build", "success", false],
        expect.arrayContaining(["success", false]),
        expect.arrayContaining(["success", false]),
        ["package", "success", false],
        ["smoke", "success", false],
      ]);
      expect(cold.finished.find((e) => e.jobKey === "package")?.outputs).toEqual({
        version: "1.4.0",
        tarball: "out/node-service-1.4.0.tgz",
      });

      // The history has the tests of both shards and the packaged artifact.
      const tests = JSON.parse(cli(dir, ["runs", "--json"]).stdout) as { id: string; commit: string }[];
      expect(tests[0]?.commit).toMatch(/^[0-9a-f]{40}$/);
      const logs = cli(dir, ["logs", "1", "test (1)"]).stdout;
      expect(logs).toMatch(/pass \d+/);

      const warm = run();
      expect(warm.result.status, warm.result.stderr).toBe(0);
      expect(warm.finished.every((e) => e.cacheHit)).toBe(true);
      expect(warm.finished.find((e) => e.jobKey === "package")?.outputs?.tarball).toBe(
        "out/node-service-1.4.0.tgz",
      );

      // A change to the source misses from build on, but its npm ci step stays cached.
      const file = path.join(dir, "src", "inventory.ts");
      writeFileSync(file, readFileSync(file, "utf8").replace("invalid sku", "invalid SKU"));
      const changed = run();
      expect(changed.result.status, changed.result.stderr).toBe(0);
      const npmCi = changed.events.find(
        (e) => e.type === "step.finished" && e.jobKey === "build" && e.stepIndex === 0,
      );
      expect(npmCi?.cacheHit).toBe(true);
      expect(changed.finished.map((e) => [e.jobKey, e.cacheHit])).toEqual([
        ["build", false],
        [expect.any(String), false],
        [expect.any(String), false],
        ["package", false],
        ["smoke", false],
      ]);
      // The run worked on a copy: the project has no build output of its own.
      expect(existsSync(path.join(dir, "dist"))).toBe(false);
    },
  );
});
