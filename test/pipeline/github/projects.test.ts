import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../../../src/pipeline/events.js";
import { diagnosticsOf, finished, lines, load, repository, runWorkflow } from "./support.js";

const has = (tool: string, ...args: string[]) =>
  spawnSync(tool, args.length > 0 ? args : ["--version"]).status === 0;
const python311 = spawnSync("python3", ["--version"], { encoding: "utf8" }).stdout.includes("3.11");
const node20 = process.version.startsWith("v20.");

type Summary = Extract<EngineEvent, { type: "step.summary" }>;
type Annotated = Extract<EngineEvent, { type: "step.annotation" }>;
const summaries = (events: EngineEvent[]) => events.filter((e): e is Summary => e.type === "step.summary");
const annotations = (events: EngineEvent[]) =>
  events.filter((e): e is Annotated => e.type === "step.annotation");

describe("real projects built and tested by their workflows, on this machine's toolchains", () => {
  it.runIf(node20)(
    "Node: lint, the node-20 child of the test matrix, build and a push-only job",
    async () => {
      const dir = await repository({ fixture: "node" });
      const { result, events, logs } = await runWorkflow(dir, ".github/workflows/ci.yml", {
        plan: { matrix: { node: "20" } },
      });
      expect(finished(events)).toEqual({
        lint: "success",
        "test (20, ubuntu-latest, true)": "success",
        build: "success",
        "release-notes": "success",
      });
      expect(result.status).toBe("success");
      expect(lines(logs, "test (20, ubuntu-latest, true)").join("\n")).toMatch(/# pass 2/);
      expect(summaries(events).map((s) => s.markdown)).toEqual([
        "## Tests\nnode 20 (job 1 of 3): all tests passed\n",
      ]);
      expect(annotations(events).map((a) => a.annotation)).toEqual([
        { level: "notice", title: "Build", message: "built tiny-node 1.4.0" },
      ]);
      expect(result.jobs.get("build")?.outputs).toEqual({ version: "1.4.0" });
      expect(lines(logs, "release-notes")).toEqual(["releasing 1.4.0 from main"]);
      expect(lines(logs, "build", 2)).toContain("built dist/sum.js");
    },
  );

  it.runIf(node20)(
    "Node: the children asking for another node are refused before anything runs",
    async () => {
      const dir = await repository({ fixture: "node" });
      const found = await diagnosticsOf(() => load(dir, ".github/workflows/ci.yml"));
      expect(found).toEqual([
        expect.stringMatching(
          /^\.github\/workflows\/ci\.yml:47:11: actions\/setup-node@v4 asks for node 18 \(job test \(18, ubuntu-latest\)\); this machine has 20\./,
        ),
        expect.stringMatching(
          /^\.github\/workflows\/ci\.yml:47:11: actions\/setup-node@v4 asks for node 22 /,
        ),
      ]);
    },
  );

  it.runIf(has("go", "version"))(
    "Go: setup-go from go.mod, vet, test, build and a smoke test",
    async () => {
      const dir = await repository({ fixture: "go" });
      const { result, events, logs } = await runWorkflow(dir, ".github/workflows/go.yml");
      expect(finished(events)).toEqual({ test: "success" });
      const log = lines(logs, "test").join("\n");
      expect(log).toMatch(/--- PASS: TestHello/);
      expect(log).toMatch(/Hello, Slipway!/);
      expect(summaries(events).map((s) => s.markdown)).toEqual(["### Hello, Slipway!\n"]);
      expect(result.status).toBe("success");
    },
    120_000,
  );

  it.runIf(python311)(
    "Python: the 3.11 children of a tox-like matrix run unittest and a python-shell step",
    async () => {
      const dir = await repository({ fixture: "python" });
      const { events, logs } = await runWorkflow(dir, ".github/workflows/python-package.yml", {
        plan: { matrix: { "python-version": "3.11" } },
      });
      expect(finished(events)).toEqual({ "test (3.11, py)": "success", "test (3.11, lint)": "success" });
      const py = logs.filter((l) => l.jobKey === "test (3.11, py)").map((l) => l.text);
      expect(py.join("\n")).toMatch(/Ran 2 tests/);
      expect(py).toContain("python 3.11 for test");
      // The lint child skips the tests step, and the py child the lint step.
      const skipped = events
        .filter((e) => e.type === "step.finished" && e.status === "skipped")
        .map((e) => (e.type === "step.finished" ? `${e.jobKey}#${e.stepIndex}` : ""));
      expect(skipped.sort()).toEqual(["test (3.11, lint)#2", "test (3.11, py)#3"]);
    },
    60_000,
  );
});
