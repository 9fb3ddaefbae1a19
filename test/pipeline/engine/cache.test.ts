import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Outcome } from "./harness.js";
import { baseEnv, jobFinished, output, runPipeline, tempDir, withStore, writeFiles } from "./harness.js";

interface Variant {
  counter: string;
  mode?: string;
  stepEnv?: string;
  extraCommand?: string;
}

/** A cached `build` job (with a side-effect counter outside the workspace) and a dependent `use`. */
function pipeline(v: Variant): string {
  return `
jobs:
  build:
    env:
      MODE: ${v.mode ?? "release"}
    cache:
      inputs: ["src/**"]
      outputs: [out]
    outputs:
      digest: \${{ steps.b.outputs.digest }}
    steps:
      - id: b
        env:
          FLAVOUR: ${v.stepEnv ?? "plain"}
        run: |
          n=$(( $(cat "${v.counter}" 2>/dev/null || echo 0) + 1 )); echo "$n" > "${v.counter}"
          mkdir -p out/nested
          tr a-z A-Z < src/input.txt > out/result.txt
          echo "$MODE $FLAVOUR" > out/nested/mode.txt
          echo "digest=$(cat out/result.txt)" >> "$SLIPWAY_OUTPUT"${v.extraCommand ? `\n          ${v.extraCommand}` : ""}
  use:
    needs: build
    steps:
      - run: |
          echo "file=$(cat out/result.txt) mode=$(cat out/nested/mode.txt)"
          echo "digest=\${{ needs.build.outputs.digest }}"
`;
}

async function count(counter: string): Promise<number> {
  return Number(await readFile(counter, "utf8").catch(() => "0"));
}

async function setup(): Promise<{ projectDir: string; dataDir: string; counter: string }> {
  const projectDir = await tempDir("slipway-project-");
  const dataDir = await tempDir("slipway-data-");
  const counter = join(await tempDir(), "count");
  await writeFiles(projectDir, { "src/input.txt": "abc\n", "README.md": "readme\n" });
  return { projectDir, dataDir, counter };
}

function hit(outcome: Outcome): boolean {
  return jobFinished(outcome.events, "build").cacheHit;
}

describe("job cache", () => {
  it("skips the work on the second run, restoring outputs and job outputs for dependents", async () => {
    const { projectDir, dataDir, counter } = await setup();
    const first = await runPipeline(pipeline({ counter }), { projectDir, dataDir });
    expect(first.result.status).toBe("success");
    expect(hit(first)).toBe(false);
    expect(await count(counter)).toBe(1);
    const key = jobFinished(first.events, "build").cacheKey;
    expect(key).toMatch(/^[0-9a-f]{64}$/);

    const second = await runPipeline(pipeline({ counter }), { projectDir, dataDir });
    expect(second.result.status).toBe("success");
    const build = jobFinished(second.events, "build");
    expect(build).toMatchObject({
      status: "success",
      cacheHit: true,
      cacheKey: key,
      outputs: { digest: "ABC" },
    });
    expect(await count(counter)).toBe(1);
    // The restored directory (nested files included) is what the dependent sees.
    expect(output(second.logs, "use")).toEqual(["file=ABC mode=release plain", "digest=ABC"]);
    expect(output(second.logs, "build")).toEqual([]);
    const steps = second.events.filter((e) => e.type === "step.finished" && e.jobKey === "build");
    expect(steps.map((e) => e.type === "step.finished" && [e.status, e.cacheHit, e.exitCode])).toEqual([
      ["success", true, undefined],
    ]);

    await withStore(dataDir, async (store) => {
      const jobs = await store.listJobs(second.result.run.id);
      expect(jobs.find((j) => j.key === "build")).toMatchObject({
        cacheHit: true,
        cacheKey: key,
        outputs: { digest: "ABC" },
      });
      expect(jobs.find((j) => j.key === "use")?.cacheHit).toBe(false);
      const [step] = await store.listSteps(second.result.run.id, "build");
      expect(step?.attempts.map((a) => [a.status, a.cacheHit])).toEqual([["success", true]]);
      const system = await store.readLogs({ runId: second.result.run.id, jobKey: "build" });
      expect(system.some((l) => l.stream === "system" && /cache hit/.test(l.text))).toBe(true);
    });
  });

  it("ignores files outside the inputs and inherited variables such as HOME", async () => {
    const { projectDir, dataDir, counter } = await setup();
    await runPipeline(pipeline({ counter }), { projectDir, dataDir });
    await writeFiles(projectDir, { "README.md": "edited\n" });
    const second = await runPipeline(pipeline({ counter }), {
      projectDir,
      dataDir,
      env: baseEnv({ HOME: await tempDir() }),
    });
    expect(hit(second)).toBe(true);
    expect(await count(counter)).toBe(1);
  });

  it("misses when an input file changes, and hits the old entry when it changes back", async () => {
    const { projectDir, dataDir, counter } = await setup();
    await runPipeline(pipeline({ counter }), { projectDir, dataDir });
    await writeFiles(projectDir, { "src/input.txt": "xyz\n" });
    const changed = await runPipeline(pipeline({ counter }), { projectDir, dataDir });
    expect(hit(changed)).toBe(false);
    expect(await count(counter)).toBe(2);
    expect(output(changed.logs, "use")).toEqual(["file=XYZ mode=release plain", "digest=XYZ"]);

    // A new input file matched by the glob changes the key too.
    await writeFiles(projectDir, { "src/input.txt": "abc\n", "src/extra.txt": "more\n" });
    const added = await runPipeline(pipeline({ counter }), { projectDir, dataDir });
    expect(hit(added)).toBe(false);
    expect(await count(counter)).toBe(3);

    await writeFiles(projectDir, { "src/input.txt": "abc\n" });
    await rm(join(projectDir, "src/extra.txt"));
    const back = await runPipeline(pipeline({ counter }), { projectDir, dataDir });
    expect(hit(back)).toBe(true);
    expect(output(back.logs, "use")).toEqual(["file=ABC mode=release plain", "digest=ABC"]);
    expect(await count(counter)).toBe(3);
  });

  it("misses when a command changes", async () => {
    const { projectDir, dataDir, counter } = await setup();
    await runPipeline(pipeline({ counter }), { projectDir, dataDir });
    const changed = await runPipeline(pipeline({ counter, extraCommand: "echo extra" }), {
      projectDir,
      dataDir,
    });
    expect(hit(changed)).toBe(false);
    expect(await count(counter)).toBe(2);
  });

  it("misses when the job env changes", async () => {
    const { projectDir, dataDir, counter } = await setup();
    await runPipeline(pipeline({ counter }), { projectDir, dataDir });
    const changed = await runPipeline(pipeline({ counter, mode: "debug" }), { projectDir, dataDir });
    expect(hit(changed)).toBe(false);
    expect(await count(counter)).toBe(2);
    expect(output(changed.logs, "use")).toEqual(["file=ABC mode=debug plain", "digest=ABC"]);
  });

  // Was a bug, fixed in src (stepFingerprint) while these tests were written: the job cache key
  // held the steps' run texts only, so a changed step `env:` (or shell, working-directory, if)
  // was a hit restoring outputs built with the old value.
  it("misses when a step's env changes", async () => {
    const { projectDir, dataDir, counter } = await setup();
    await runPipeline(pipeline({ counter }), { projectDir, dataDir });
    const changed = await runPipeline(pipeline({ counter, stepEnv: "fancy" }), { projectDir, dataDir });
    expect(hit(changed)).toBe(false);
    expect(output(changed.logs, "use")).toEqual(["file=ABC mode=release fancy", "digest=ABC"]);
  });

  // A hit returns the outputs saved with the entry, so the job's `outputs:` templates are part of
  // its key: adding or changing an output must miss, not hand dependents the old (or no) value.
  it("gives dependents a job output added since the entry was saved", async () => {
    const projectDir = await tempDir("slipway-project-");
    const dataDir = await tempDir("slipway-data-");
    await writeFiles(projectDir, { "in.txt": "x\n" });
    const yaml = (extra: string) => `
jobs:
  build:
    cache: { inputs: [in.txt], outputs: [] }
    outputs:
      a: \${{ steps.s.outputs.a }}${extra}
    steps:
      - id: s
        run: |
          echo "a=1" >> "$SLIPWAY_OUTPUT"
          echo "b=2" >> "$SLIPWAY_OUTPUT"
  use:
    needs: build
    steps:
      - run: echo "a=\${{ needs.build.outputs.a }} b=\${{ needs.build.outputs.b }}"
`;
    const first = await runPipeline(yaml(""), { projectDir, dataDir });
    expect(output(first.logs, "use")).toEqual(["a=1 b="]);
    const second = await runPipeline(yaml("\n      b: ${{ steps.s.outputs.b }}"), { projectDir, dataDir });
    expect(jobFinished(second.events, "build").outputs).toEqual({ a: "1", b: "2" });
    expect(output(second.logs, "use")).toEqual(["a=1 b=2"]);
  });

  it("runs everything with useCache: false", async () => {
    const { projectDir, dataDir, counter } = await setup();
    await runPipeline(pipeline({ counter }), { projectDir, dataDir });
    const again = await runPipeline(pipeline({ counter }), { projectDir, dataDir, useCache: false });
    expect(again.result.status).toBe("success");
    expect(jobFinished(again.events, "build")).toMatchObject({ cacheHit: false, cacheKey: undefined });
    expect(await count(counter)).toBe(2);
    expect(output(again.logs, "use")).toEqual(["file=ABC mode=release plain", "digest=ABC"]);
  });

  it("does not save a failed job", async () => {
    const { projectDir, dataDir, counter } = await setup();
    const failing = pipeline({ counter, extraCommand: '[ -f "$SLIPWAY_WORKSPACE/ok" ]' });
    const first = await runPipeline(failing, { projectDir, dataDir });
    expect(first.result.status).toBe("failure");
    const second = await runPipeline(failing, { projectDir, dataDir });
    expect(hit(second)).toBe(false);
    expect(await count(counter)).toBe(2);
  });

  it("misses when an upstream job's outputs change", async () => {
    const projectDir = await tempDir("slipway-project-");
    const dataDir = await tempDir("slipway-data-");
    const counter = join(await tempDir(), "count");
    await writeFiles(projectDir, { "static.txt": "s\n" });
    const yaml = (version: string) => `
jobs:
  gen:
    env: { VERSION: "${version}" }
    outputs:
      version: \${{ steps.v.outputs.version }}
    steps:
      - id: v
        run: echo "version=$VERSION" >> "$SLIPWAY_OUTPUT"
  use:
    needs: gen
    cache: { inputs: [static.txt], outputs: [] }
    steps:
      - run: |
          n=$(( $(cat "${counter}" 2>/dev/null || echo 0) + 1 )); echo "$n" > "${counter}"
          echo "built with \${{ needs.gen.outputs.version }}"
`;
    const first = await runPipeline(yaml("1"), { projectDir, dataDir });
    expect(jobFinished(first.events, "use").cacheHit).toBe(false);
    // gen ran again (it has no cache) but produced the same outputs: use is a hit.
    const same = await runPipeline(yaml("1"), { projectDir, dataDir });
    expect(jobFinished(same.events, "use").cacheHit).toBe(true);
    expect(await count(counter)).toBe(1);
    const changed = await runPipeline(yaml("2"), { projectDir, dataDir });
    expect(jobFinished(changed.events, "use").cacheHit).toBe(false);
    expect(output(changed.logs, "use")).toEqual(["built with 2"]);
    expect(await count(counter)).toBe(2);
  });
});

describe("upstream artifacts", () => {
  // Dependents key on their needs' artifacts by content, not by path and size: a rebuilt
  // artifact of the same size must still miss.
  it("misses when an upstream artifact's content changes but not its size", async () => {
    const projectDir = await tempDir("slipway-project-");
    const dataDir = await tempDir("slipway-data-");
    const counter = join(await tempDir(), "count");
    await writeFiles(projectDir, { "static.txt": "s\n" });
    const yaml = (version: string) => `
jobs:
  gen:
    artifacts: [gen/version.txt]
    steps:
      - run: mkdir -p gen && echo "${version}" > gen/version.txt
  use:
    needs: gen
    cache: { inputs: [static.txt], outputs: [] }
    steps:
      - run: |
          n=$(( $(cat "${counter}" 2>/dev/null || echo 0) + 1 )); echo "$n" > "${counter}"
          echo "packaged $(cat gen/version.txt)"
`;
    await runPipeline(yaml("1"), { projectDir, dataDir });
    const same = await runPipeline(yaml("1"), { projectDir, dataDir });
    expect(jobFinished(same.events, "use").cacheHit).toBe(true);
    const changed = await runPipeline(yaml("2"), { projectDir, dataDir });
    expect(jobFinished(changed.events, "use").cacheHit).toBe(false);
    expect(output(changed.logs, "use")).toEqual(["packaged 2"]);
  });
});

describe("step cache", () => {
  it("skips a cached step and restores its outputs and step outputs", async () => {
    const projectDir = await tempDir("slipway-project-");
    const dataDir = await tempDir("slipway-data-");
    const counter = join(await tempDir(), "count");
    await writeFiles(projectDir, { "deps.lock": "lock-1\n" });
    const yaml = `
jobs:
  j:
    steps:
      - id: install
        cache: { inputs: [deps.lock], outputs: [vendor] }
        run: |
          n=$(( $(cat "${counter}" 2>/dev/null || echo 0) + 1 )); echo "$n" > "${counter}"
          mkdir -p vendor && cp deps.lock vendor/installed
          echo "installed=yes" >> "$SLIPWAY_OUTPUT"
      - run: echo "$(cat vendor/installed) \${{ steps.install.outputs.installed }}"
`;
    const first = await runPipeline(yaml, { projectDir, dataDir });
    expect(output(first.logs, "j", 1)).toEqual(["lock-1 yes"]);
    const second = await runPipeline(yaml, { projectDir, dataDir });
    expect(second.result.status).toBe("success");
    expect(await count(counter)).toBe(1);
    expect(output(second.logs, "j", 1)).toEqual(["lock-1 yes"]);
    const steps = second.events.filter((e) => e.type === "step.finished");
    expect(steps.map((e) => e.type === "step.finished" && e.cacheHit)).toEqual([true, false]);
  });
});
