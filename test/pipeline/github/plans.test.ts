import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileWorkflow } from "../../../src/pipeline/github/compile.js";
import { planPipeline } from "../../../src/pipeline/plan.js";
import { FIXTURES } from "./support.js";

function plan(fixture: string, workflow: string, selected: string[] = []) {
  const file = path.join(".github", "workflows", workflow);
  const pipeline = compileWorkflow(readFileSync(path.join(FIXTURES, fixture, file), "utf8"), file);
  return planPipeline(pipeline, selected);
}

const keys = (p: ReturnType<typeof plan>) => p.jobs.map((j) => j.key);

describe("workflows of the kinds popular projects use, planned as GitHub expands them", () => {
  it("Node: node 18/20/22 on three OSes, trimmed to ubuntu by exclude, one child extended by include", () => {
    const p = plan("node", "ci.yml");
    expect(keys(p)).toEqual([
      "lint",
      "test (18, ubuntu-latest)",
      "test (20, ubuntu-latest, true)",
      "test (22, ubuntu-latest)",
      "build",
      "release-notes",
    ]);
    expect(p.jobs.filter((j) => j.job.id === "test").map((j) => j.matrix)).toEqual([
      { node: 18, os: "ubuntu-latest" },
      { node: 20, os: "ubuntu-latest", coverage: true },
      { node: 22, os: "ubuntu-latest" },
    ]);
    // GitHub's strategy.job-index counts the children in expansion order.
    expect(p.jobs.filter((j) => j.job.id === "test").map((j) => [j.matrixIndex, j.matrixTotal])).toEqual([
      [0, 3],
      [1, 3],
      [2, 3],
    ]);
    expect(p.jobs.find((j) => j.key === "build")?.needs).toEqual([
      "test (18, ubuntu-latest)",
      "test (20, ubuntu-latest, true)",
      "test (22, ubuntu-latest)",
    ]);
    const test = p.pipeline.jobs.find((j) => j.id === "test");
    expect(test?.matrix?.failFast).toBe(false);
    expect(test?.steps.map((s) => s.name)).toEqual([
      "Run actions/checkout@v4",
      "Run actions/setup-node@v4",
      "Run npm test",
      "Report",
    ]);
  });

  it("Python: a tox-like matrix of versions and environments with an exclude", () => {
    expect(keys(plan("python", "python-package.yml"))).toEqual([
      "test (3.9, py)",
      "test (3.10, py)",
      "test (3.10, lint)",
      "test (3.11, py)",
      "test (3.11, lint)",
      "test (3.12, py)",
      "test (3.12, lint)",
    ]);
  });

  it("Rust: toolchains with an experimental nightly that may fail", () => {
    const p = plan("rust", "rust.yml");
    expect(keys(p)).toEqual([
      "build (ubuntu-latest, stable)",
      "build (ubuntu-latest, beta)",
      "build (ubuntu-latest, nightly, true)",
      "fmt",
    ]);
    expect(p.pipeline.jobs[0]?.continueOnError).toBe("${{ matrix.experimental == true }}");
    expect(p.pipeline.env).toEqual({ CARGO_TERM_COLOR: "always" });
  });

  it("Go, and a monorepo's per-service workflows, as single jobs", () => {
    expect(keys(plan("go", "go.yml"))).toEqual(["test"]);
    expect(keys(plan("monorepo", "api.yml"))).toEqual(["test"]);
    expect(keys(plan("monorepo", "web.yml"))).toEqual(["build"]);
    expect(keys(plan("monorepo", "release.yml"))).toEqual(["publish"]);
    const api = plan("monorepo", "api.yml").pipeline.jobs[0];
    // defaults.run applies to run steps, not to the checkout.
    expect(api?.steps.map((s) => s.workingDirectory)).toEqual([undefined, "services/api", "services/api"]);
  });

  it("GitHub's documented include example expands to the documented combinations", () => {
    // https://docs.github.com/actions/using-jobs/using-a-matrix-for-your-jobs#example-expanding-configurations
    const workflow = `on: push
jobs:
  fruit:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        fruit: [apple, pear]
        animal: [cat, dog]
        include:
          - color: green
          - color: pink
            animal: cat
          - fruit: apple
            shape: circle
          - fruit: banana
          - fruit: banana
            animal: cat
    steps:
      - run: echo
`;
    const p = planPipeline(compileWorkflow(workflow, "ci.yml"));
    expect(p.jobs.map((j) => j.matrix)).toEqual([
      { fruit: "apple", animal: "cat", color: "pink", shape: "circle" },
      { fruit: "apple", animal: "dog", color: "green", shape: "circle" },
      { fruit: "pear", animal: "cat", color: "pink" },
      { fruit: "pear", animal: "dog", color: "green" },
      { fruit: "banana" },
      { fruit: "banana", animal: "cat" },
    ]);
  });

  it("--matrix keeps the children with the given values, and says which values exist when none is left", () => {
    const file = path.join(FIXTURES, "node", ".github", "workflows", "ci.yml");
    const pipeline = compileWorkflow(readFileSync(file, "utf8"), "ci.yml");
    expect(planPipeline(pipeline, ["test"], { matrix: { node: "20" } }).jobs.map((j) => j.key)).toEqual([
      "lint",
      "test (20, ubuntu-latest, true)",
    ]);
    expect(() => planPipeline(pipeline, [], { matrix: { node: "16" } })).toThrow(
      /--matrix leaves no child of job "test"/,
    );
  });
});
