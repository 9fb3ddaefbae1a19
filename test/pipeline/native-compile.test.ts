import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors/index.js";
import type { Diagnostic } from "../../src/errors/index.js";
import { compileNativePipeline } from "../../src/pipeline/native/compile.js";

function diagnostics(yaml: string): Diagnostic[] {
  try {
    compileNativePipeline(yaml, "slipway.yaml");
  } catch (error) {
    if (error instanceof ConfigError) return [...error.diagnostics];
    throw error;
  }
  throw new Error("expected the pipeline to be rejected");
}

const at = (d: Diagnostic) => `${d.position.line}:${d.position.column}`;

describe("compileNativePipeline", () => {
  it("compiles a valid pipeline with defaults filled in", () => {
    const pipeline = compileNativePipeline(
      ["name: demo", "jobs:", "  build:", "    steps:", "      - run: make", "        retry: 2"].join("\n"),
      "slipway.yaml",
    );
    expect(pipeline.name).toBe("demo");
    expect(pipeline.source).toEqual({ file: "slipway.yaml", frontEnd: "native" });
    const job = pipeline.jobs[0];
    expect(job?.timeoutMinutes).toBe(360);
    expect(job?.if).toBe("success()");
    expect(job?.position).toEqual({ file: "slipway.yaml", line: 3, column: 3 });
    expect(job?.steps[0]).toMatchObject({
      shell: "bash",
      retry: { count: 2, delaySeconds: 1, factor: 2 },
      name: "make",
    });
    expect(job?.steps[0]?.position.line).toBe(5);
  });

  it("reports a YAML syntax error with its position", () => {
    const [d] = diagnostics("jobs:\n  build:\n    steps: [\n");
    expect(d?.message).toMatch(/YAML syntax/);
    expect(d?.position.line).toBeGreaterThanOrEqual(3);
  });

  it("rejects a duplicated job id", () => {
    const found = diagnostics("jobs:\n  a:\n    steps: [{run: x}]\n  a:\n    steps: [{run: y}]\n");
    expect(found[0]?.message).toMatch(/unique|duplicate/i);
    expect(found[0]?.position.line).toBe(4);
  });

  it("reports every unknown key at once, each at its own position, with a suggestion", () => {
    const found = diagnostics(
      [
        "jobs:",
        "  build:",
        "    runs-on: linux",
        "    stepz: []",
        "    steps:",
        "      - run: make",
        "        naem: x",
      ].join("\n"),
    );
    expect(found.map(at)).toEqual(["3:5", "4:5", "7:9"]);
    expect(found[0]?.hint).toMatch(/runs-on belongs to GitHub/);
    expect(found[1]?.hint).toMatch(/did you mean "steps"/);
    expect(found[2]?.message).toBe('unknown key "naem" in jobs.build.steps.0');
    expect(found[2]?.hint).toMatch(/did you mean "name"/);
  });

  it("reports wrong types with what was expected", () => {
    const [d] = diagnostics("jobs:\n  build:\n    timeout-minutes: soon\n    steps: [{run: x}]\n");
    expect(at(d!)).toBe("3:22");
    expect(d?.expected).toBe("number");
  });

  it("reports unknown needs with a suggestion, self needs and cycles", () => {
    const found = diagnostics(
      [
        "jobs:",
        "  build:",
        "    steps: [{run: x}]",
        "  test:",
        "    needs: [biuld, test]",
        "    steps: [{run: x}]",
        "  a:",
        "    needs: b",
        "    steps: [{run: x}]",
        "  b:",
        "    needs: a",
        "    steps: [{run: x}]",
      ].join("\n"),
    );
    expect(found.map((d) => `${at(d)} ${d.message}`)).toEqual([
      '5:13 job "test" needs "biuld", which is not a job of this pipeline',
      '5:20 job "test" needs itself',
      "11:12 needs form a cycle: a -> b -> a",
    ]);
    expect(found[0]?.hint).toBe('did you mean "build"?');
  });

  it("points at the expression inside a value, also in block scalars", () => {
    const found = diagnostics(
      [
        "jobs:",
        "  build:",
        "    steps:",
        "      - run: echo ${{ foo.bar }}",
        "      - run: |",
        "          echo ok",
        "          echo ${{ env.X == }}",
        "        if: matrix.os ==",
      ].join("\n"),
    );
    expect(found.map(at)).toEqual(["4:19", "7:16", "8:13"]);
    expect(found[0]?.message).toMatch(/Unrecognized named-value: 'foo'.*contexts available here/);
  });

  it("rejects contexts that do not exist where the expression is", () => {
    const [d] = diagnostics("env:\n  A: ${{ steps.x.outputs.y }}\njobs:\n  b:\n    steps: [{run: x}]\n");
    expect(d?.message).toMatch(/steps/);
    expect(at(d!)).toBe("2:6");
  });

  it("rejects an empty matrix axis and a matrix that excludes everything", () => {
    const found = diagnostics(
      [
        "jobs:",
        "  t:",
        "    matrix:",
        "      os: [a]",
        "      exclude: [{os: a}]",
        "    steps: [{run: x}]",
      ].join("\n"),
    );
    expect(found[0]?.message).toMatch(/expands to no combination/);
    expect(at(found[0]!)).toBe("3:5");
    const empty = diagnostics("jobs:\n  t:\n    matrix:\n      os: []\n    steps: [{run: x}]\n");
    expect(empty.map((d) => d.message)).toContain('matrix axis "os" has no values');
  });

  it("rejects a job without steps and a pipeline without jobs", () => {
    expect(diagnostics("jobs:\n  a:\n    steps: []\n")[0]?.message).toMatch(/at least one step/);
    expect(diagnostics("jobs: {}\n")[0]?.message).toMatch(/at least one job/);
  });

  it("rejects duplicate step ids within a job", () => {
    const [d] = diagnostics("jobs:\n  a:\n    steps:\n      - {id: s, run: x}\n      - {id: s, run: y}\n");
    expect(d?.message).toMatch(/step id "s" is used twice/);
    expect(d?.position.line).toBe(5);
  });
});
