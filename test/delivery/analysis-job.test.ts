import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAnalysis } from "../../src/delivery/analysis/index.js";
import type { JobProviderSpec, MetricSpec } from "../../src/delivery/analysis/index.js";

/** The job provider with real bash commands. */

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "slipway-analysis-job-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const job = (spec: JobProviderSpec, extra: Partial<MetricSpec> = {}): MetricSpec => ({
  name: "job",
  provider: { job: spec },
  ...extra,
});

/** Running, that is: neither gone nor a zombie waiting for its new parent to reap it. */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // The state follows the command name in parentheses: "1234 (sleep) S ...".
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "" && state !== "Z";
}

/** Waits for a file the command writes once it is running; the pid in it. */
async function pidFrom(file: string): Promise<number> {
  for (;;) {
    const text = await readFile(file, "utf8").catch(() => "");
    if (text.trim() !== "") return Number(text.trim());
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 250; i++) {
    if (!(await alive(pid))) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe("job provider", () => {
  it("is Successful on exit 0 and Failed otherwise, with the exit code and the end of stderr", async () => {
    const ok = await runAnalysis({ metrics: [job({ command: "true" })] });
    expect(ok).toMatchObject({
      phase: "Successful",
      metrics: [{ measurements: [{ phase: "Successful", value: 0 }] }],
    });

    const failing = await runAnalysis({
      metrics: [
        job({ command: "for i in 1 2 3 4 5 6 7; do echo line $i >&2; done; echo not stderr; exit 3" }),
      ],
    });
    expect(failing.phase).toBe("Failed");
    expect(failing.metrics[0]?.measurements[0]).toMatchObject({
      phase: "Failed",
      value: 3,
      message: "the job exited with 3: line 3\nline 4\nline 5\nline 6\nline 7",
    });
    expect(failing.message).toBe(
      'metric "job" assessed Failed due to failed (1) > failureLimit (0): the job exited with 3: line 3\nline 4\nline 5\nline 6\nline 7',
    );
  });

  it("runs in the given directory with the given environment added", async () => {
    const result = await runAnalysis({
      args: { expected: "bar" },
      metrics: [
        job({
          command: 'test "$(pwd)" = "$DIR" && test "$FOO" = "{{args.expected}}" && test -n "$PATH"',
          cwd: dir,
          env: { DIR: dir, FOO: "bar" },
        }),
      ],
    });
    expect(result.phase).toBe("Successful");
  });

  it("kills a job that outlives its timeout, with what it started, and fails it", async () => {
    const pidFile = join(dir, "timeout.pid");
    const result = await runAnalysis({
      metrics: [job({ command: `sleep 30 & echo $! > ${pidFile}; wait`, timeoutMs: 300 })],
    });
    expect(result.metrics[0]?.measurements[0]).toMatchObject({
      phase: "Failed",
      message: "the job was still running after 300 ms and was stopped",
    });
    expect(await gone(await pidFrom(pidFile))).toBe(true);
  });

  it("stops a running job when the run is stopped, and does not record it", async () => {
    const pidFile = join(dir, "abort.pid");
    const controller = new AbortController();
    const run = runAnalysis(
      { metrics: [job({ command: `sleep 30 & echo $! > ${pidFile}; wait` })] },
      { signal: controller.signal },
    );
    const pid = await pidFrom(pidFile);
    controller.abort();
    const result = await run;
    expect(result).toMatchObject({ phase: "Successful", message: "run terminated" });
    expect(result.metrics[0]).toMatchObject({ phase: "Successful", measurements: [] });
    expect(await gone(pid)).toBe(true);
  });

  it("makes a job that cannot start an Error measurement", async () => {
    const missing = join(dir, "does-not-exist");
    const result = await runAnalysis({
      metrics: [job({ command: "true", cwd: missing }, { consecutiveErrorLimit: 0 })],
    });
    expect(result.phase).toBe("Error");
    expect(result.metrics[0]?.measurements[0]?.message).toBe(
      `cannot start bash in ${missing}: spawn bash ENOENT`,
    );
  });
});
