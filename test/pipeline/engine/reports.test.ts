import { readFile } from "node:fs/promises";
import { describe, expect, it, vi } from "vitest";
import { exists, output, runPipeline, withStore } from "./harness.js";

describe("artifacts", () => {
  it("records a job's artifacts with their sizes and keeps a stored copy", async () => {
    const { result, logs, dataDir } = await runPipeline(`
jobs:
  build:
    artifacts: [dist/*.txt]
    steps:
      - run: |
          mkdir -p dist
          printf 'hello' > dist/a.txt
          printf '0123456789' > dist/b.txt
          printf 'ignored' > dist/c.log
  use:
    needs: build
    steps:
      - run: cat dist/a.txt dist/b.txt; echo
`);
    expect(result.status).toBe("success");
    expect(output(logs, "use")).toEqual(["hello0123456789"]);
    await withStore(dataDir, async (store) => {
      const artifacts = await store.listArtifacts(result.run.id);
      expect(artifacts.map((a) => [a.jobKey, a.path, a.sizeBytes])).toEqual([
        ["build", "dist/a.txt", 5],
        ["build", "dist/b.txt", 10],
      ]);
      for (const artifact of artifacts) {
        // The workspace of a successful run is gone; the stored copy is not.
        expect(artifact.storedAt.startsWith(dataDir)).toBe(true);
        expect(await exists(artifact.storedAt)).toBe(true);
      }
      expect(await readFile(artifacts[0]?.storedAt ?? "", "utf8")).toBe("hello");
    });
    expect(await exists(result.run.workspace)).toBe(false);
  });

  it("publishes nothing for a failed job, and notes a glob that matched nothing", async () => {
    const { result, logs, dataDir } = await runPipeline(`
jobs:
  failed:
    artifacts: [out/*]
    steps: [{ run: "mkdir -p out; echo x > out/x; exit 1" }]
  empty:
    artifacts: [nothing/*.bin]
    steps: [{ run: "true" }]
`);
    expect(result.status).toBe("failure");
    expect(
      logs.some((l) => l.jobKey === "empty" && l.stream === "system" && /no file matched/.test(l.text)),
    ).toBe(true);
    await withStore(dataDir, async (store) => {
      expect(await store.listArtifacts(result.run.id)).toEqual([]);
    });
  });

  it("keeps matrix children's artifacts apart", async () => {
    const { result, dataDir } = await runPipeline(`
jobs:
  build:
    matrix: { os: [linux, mac] }
    artifacts: ["dist/\${{ matrix.os }}.txt"]
    steps:
      - run: mkdir -p dist && echo "\${{ matrix.os }}" > "dist/\${{ matrix.os }}.txt"
`);
    expect(result.status).toBe("success");
    await withStore(dataDir, async (store) => {
      const artifacts = await store.listArtifacts(result.run.id);
      expect(artifacts.map((a) => [a.jobKey, a.path]).sort()).toEqual([
        ["build (linux)", "dist/linux.txt"],
        ["build (mac)", "dist/mac.txt"],
      ]);
      const stored = new Set(artifacts.map((a) => a.storedAt));
      expect(stored.size).toBe(2);
    });
  });
});

describe("reports.junit", () => {
  it("records the test cases of a JUnit report written by a step", async () => {
    const { result, dataDir } = await runPipeline(`
jobs:
  test:
    reports:
      junit: reports/*.xml
    steps:
      - run: |
          mkdir -p reports
          cat > reports/junit.xml <<'XML'
          <?xml version="1.0" encoding="UTF-8"?>
          <testsuites>
            <testsuite name="math" tests="4">
              <testcase classname="math.add" name="adds" time="0.010"/>
              <testcase classname="math.sub" name="subtracts" time="0.002">
                <failure message="expected 1 to be 2">AssertionError: expected 1 to be 2</failure>
              </testcase>
              <testcase classname="math.div" name="divides">
                <skipped message="not yet"/>
              </testcase>
              <testcase classname="math.mul" name="multiplies">
                <error message="boom">TypeError: boom</error>
              </testcase>
            </testsuite>
          </testsuites>
          XML
          exit 1
`);
    // The report is collected even though the step failed (that is when it matters most).
    expect(result.status).toBe("failure");
    await withStore(dataDir, async (store) => {
      const cases = await store.listTestResults(result.run.id);
      expect(cases.map((c) => [c.jobKey, c.suite, c.classname, c.name, c.status])).toEqual([
        ["test", "math", "math.add", "adds", "passed"],
        ["test", "math", "math.sub", "subtracts", "failed"],
        ["test", "math", "math.div", "divides", "skipped"],
        ["test", "math", "math.mul", "multiplies", "error"],
      ]);
      expect(cases[0]?.durationMs).toBe(10);
      expect(cases[1]?.message).toBe("expected 1 to be 2");
      expect(cases[1]?.details).toMatch(/AssertionError/);
      expect(await store.listTestResults(result.run.id, "other")).toEqual([]);
    });
  });

  it("notes a malformed report in the job's log without failing the run", async () => {
    const { result, logs } = await runPipeline(`
jobs:
  test:
    reports:
      junit: [report.xml]
    steps:
      - run: echo "<testsuite><testcase" > report.xml
`);
    expect(result.status).toBe("success");
    expect(logs.some((l) => l.stream === "system" && /reports\.junit/.test(l.text))).toBe(true);
  });
});

describe("store writes outside the event stream", () => {
  // Artifacts and test results are written to the store directly, while events (run.queued
  // creates the run row they reference) go through the Recorder's delayed batches. With the
  // Recorder's timer held back (as a loaded machine does), a fast job must still record both.
  it("records artifacts and test results even before the recorder's first flush", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const { result, logs, dataDir } = await runPipeline(`
jobs:
  fast:
    reports: { junit: j.xml }
    artifacts: [j.xml]
    steps:
      - run: echo '<testsuite name="s"><testcase name="a"/></testsuite>' > j.xml
`);
      expect(logs.filter((l) => l.stream === "system").map((l) => l.text)).toEqual([]);
      expect(result.status).toBe("success");
      await withStore(dataDir, async (store) => {
        expect((await store.listTestResults(result.run.id)).map((c) => c.name)).toEqual(["a"]);
        expect((await store.listArtifacts(result.run.id)).map((a) => a.path)).toEqual(["j.xml"]);
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it("places one producer's artifacts for dependents that start at the same time", async () => {
    const { result, logs } = await runPipeline(
      `
jobs:
  build:
    artifacts: [dist/]
    steps:
      - run: mkdir -p dist && for i in $(seq 1 200); do echo $i > dist/f$i.txt; done
  a: { needs: build, steps: [{ run: "ls dist/f*.txt | wc -l" }] }
  b: { needs: build, steps: [{ run: "ls dist/f*.txt | wc -l" }] }
  c: { needs: build, steps: [{ run: "ls dist/f*.txt | wc -l" }] }
`,
      { concurrency: 4 },
    );
    expect(result.status).toBe("success");
    for (const job of ["a", "b", "c"]) expect(output(logs, job).map((l) => l.trim())).toEqual(["200"]);
  });
});
