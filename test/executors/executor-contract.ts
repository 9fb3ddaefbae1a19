import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Executor, StepCommand, StepOutcome } from "../../src/executors/index.js";

export type ContractExecutor = Executor & { close?(): Promise<void> };

export interface StepResult {
  outcome: StepOutcome;
  stdout: Buffer;
  stderr: Buffer;
  ms: number;
}

/** Runs one step and collects its output. */
export async function runStep(
  executor: Executor,
  command: Partial<StepCommand> & Pick<StepCommand, "script" | "cwd" | "scriptFile">,
): Promise<StepResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const start = performance.now();
  const outcome = await executor.run({
    shell: "bash",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    timeoutMs: undefined,
    signal: new AbortController().signal,
    ...command,
    onOutput: (stream, chunk) => (stream === "stdout" ? out : err).push(Buffer.from(chunk)),
  });
  return { outcome, stdout: Buffer.concat(out), stderr: Buffer.concat(err), ms: performance.now() - start };
}

/** Whether a process still runs (a zombie does not). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

export async function waitFor(condition: () => boolean, ms = 2000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return condition();
}

function failed(outcome: StepOutcome): boolean {
  return outcome.startError !== undefined || (outcome.exitCode ?? 1) !== 0;
}

const LEAK = "SLIPWAY_CONTRACT_LEAK";

/**
 * What every executor must do, whatever runs the process: exit codes, exact output on the right
 * stream, exactly the given environment, cwd, shells, timeouts and cancellation that reach the
 * whole process group, and no output crossing from one step into another.
 */
export function describeExecutorContract(name: string, create: () => ContractExecutor): void {
  describe(`${name}: executor contract`, () => {
    let executor: ContractExecutor;
    let dir: string;
    let n = 0;
    const path_ = process.env.PATH ?? "/usr/bin:/bin";
    const step = (command: Partial<StepCommand> & Pick<StepCommand, "script">) =>
      runStep(executor, { cwd: dir, scriptFile: path.join(dir, `step-${++n}.script`), ...command });

    beforeAll(() => {
      executor = create();
      dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), "slipway-executor-")));
      process.env[LEAK] = "must not reach steps";
    });
    afterAll(async () => {
      delete process.env[LEAK];
      await executor.close?.();
      rmSync(dir, { recursive: true, force: true });
    });

    it("reports exit codes", async () => {
      expect((await step({ script: "true" })).outcome).toEqual({
        exitCode: 0,
        signal: undefined,
        timedOut: false,
        cancelled: false,
        startError: undefined,
      });
      expect((await step({ script: "false" })).outcome.exitCode).toBe(1);
      expect((await step({ script: "exit 1" })).outcome.exitCode).toBe(1);
      expect((await step({ script: "exit 3" })).outcome.exitCode).toBe(3);
    });

    it("routes stdout and stderr to their streams, byte for byte", async () => {
      const result = await step({
        script: String.raw`printf 'out\n'; printf 'err\n' >&2; printf '\0\036SLIPWAY-END x\n\377'; printf 'no newline'`,
      });
      expect(result.outcome.exitCode).toBe(0);
      expect(result.stdout).toEqual(
        Buffer.concat([
          Buffer.from("out\n"),
          Buffer.from([0, 0x1e]),
          Buffer.from("SLIPWAY-END x\n"),
          Buffer.from([0xff]),
          Buffer.from("no newline"),
        ]),
      );
      expect(result.stderr.toString()).toBe("err\n");
    });

    it("passes 2 MB of output through intact", async () => {
      const size = 2 * 1024 * 1024;
      const result = await step({
        shell: "python",
        script: `import sys\nsys.stdout.buffer.write(bytes(i % 251 for i in range(${size})))\nsys.stderr.write("done")\n`,
      });
      expect(result.outcome.exitCode).toBe(0);
      expect(result.stdout.length).toBe(size);
      expect(result.stdout.equals(Buffer.from(Array.from({ length: size }, (_, i) => i % 251)))).toBe(true);
      expect(result.stderr.toString()).toBe("done");
    });

    it("gives the step exactly the environment it was given", async () => {
      const env = { PATH: path_, PLAIN: "value", SPACES: "a  b", NEWLINE: "one\ntwo", EMPTY: "", IFS: "x" };
      const result = await step({ script: "env -0", env });
      expect(result.outcome.exitCode).toBe(0);
      const seen = Object.fromEntries(
        result.stdout
          .toString()
          .split("\0")
          .filter((entry) => entry !== "")
          .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
      );
      expect(seen).toEqual(env);
      expect(seen[LEAK]).toBeUndefined();
    });

    it("passes names a shell treats specially unchanged", async () => {
      const env = {
        PATH: path_,
        _: "/usr/bin/make",
        UID: "12345",
        RANDOM: "4",
        "DASHED-NAME": "d",
        _sw_f: "f",
      };
      const result = await step({ script: "env -0", env });
      const entries = result.stdout
        .toString()
        .split("\0")
        .filter((entry) => entry !== "")
        .sort();
      expect(entries).toEqual(
        Object.entries(env)
          .map(([k, v]) => `${k}=${v}`)
          .sort(),
      );
    });

    it("runs in the given directory", async () => {
      const sub = path.join(dir, "sub dir");
      rmSync(sub, { recursive: true, force: true });
      await import("node:fs/promises").then((fs) => fs.mkdir(sub));
      const result = await step({ script: "pwd -P", cwd: sub });
      expect(result.stdout.toString()).toBe(`${sub}\n`);
    });

    it("fails when the working directory does not exist, and then runs the next step", async () => {
      const result = await step({ script: "echo should-not-run", cwd: path.join(dir, "missing") });
      expect(failed(result.outcome)).toBe(true);
      expect(result.stdout.toString()).toBe("");
      expect((await step({ script: "echo ok" })).stdout.toString()).toBe("ok\n");
    });

    it("fails when the command does not exist", async () => {
      const result = await step({ script: "slipway-no-such-command --flag" });
      expect(failed(result.outcome)).toBe(true);
      if (result.outcome.startError === undefined) expect(result.outcome.exitCode).toBe(127);
    });

    it("runs bash with -e and pipefail", async () => {
      expect((await step({ script: "false | true" })).outcome.exitCode).toBe(1);
      const result = await step({ script: "false\necho after" });
      expect(result.outcome.exitCode).toBe(1);
      expect(result.stdout.toString()).toBe("");
    });

    it("runs shells that need a script file", async () => {
      const result = await step({
        shell: "python",
        script: "import sys\nprint('from python')\nsys.exit(4)\n",
      });
      expect(result.outcome.exitCode).toBe(4);
      expect(result.stdout.toString()).toBe("from python\n");
      const sh = await step({ shell: "sh", script: "echo from sh; exit 2" });
      expect(sh.outcome.exitCode).toBe(2);
      expect(sh.stdout.toString()).toBe("from sh\n");
    });

    it("times out, killing the whole process group", async () => {
      const pidFile = path.join(dir, "timeout.pid");
      const result = await step({
        script: `sleep 1000 &\necho $! > '${pidFile}'\nsleep 1000`,
        timeoutMs: 300,
      });
      expect(result.outcome).toMatchObject({ timedOut: true, cancelled: false, exitCode: undefined });
      expect(result.outcome.signal).toBe("SIGTERM");
      expect(result.ms).toBeLessThan(3000);
      const pid = Number(readFileSync(pidFile, "utf8"));
      expect(await waitFor(() => !alive(pid))).toBe(true);
    });

    it("times out a plain command", async () => {
      const result = await step({ script: "sleep 1000", timeoutMs: 200 });
      expect(result.outcome).toMatchObject({ timedOut: true, exitCode: undefined, signal: "SIGTERM" });
      expect(result.ms).toBeLessThan(3000);
    });

    it("sends SIGKILL when SIGTERM is ignored, after the grace period", async () => {
      const result = await step({ script: "trap '' TERM\nsleep 1000", timeoutMs: 200 });
      expect(result.outcome).toMatchObject({ timedOut: true, exitCode: undefined, signal: "SIGKILL" });
      expect(result.ms).toBeLessThan(5000);
    });

    it("is cancelled through its AbortSignal", async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const result = await step({ script: "sleep 1000", signal: controller.signal });
      expect(result.outcome).toMatchObject({ cancelled: true, timedOut: false });
      expect(result.ms).toBeLessThan(3000);
    });

    it("does not start a step whose signal is already aborted", async () => {
      const controller = new AbortController();
      controller.abort();
      const marker = path.join(dir, "must-not-exist");
      const result = await step({ script: `touch '${marker}'`, signal: controller.signal });
      expect(result.outcome.cancelled).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(existsSync(marker)).toBe(false);
    });

    it("does not wait for a background process that keeps the output open", async () => {
      const pidFile = path.join(dir, "background.pid");
      const result = await step({ script: `sleep 1000 &\necho $! > '${pidFile}'\necho main` });
      expect(result.outcome.exitCode).toBe(0);
      expect(result.stdout.toString()).toBe("main\n");
      expect(result.ms).toBeLessThan(1500);
      const pid = Number(readFileSync(pidFile, "utf8"));
      expect(await waitFor(() => !alive(pid))).toBe(true);
    });

    it("lets no output of a step's background process reach a later step", async () => {
      const first = await step({
        script: "(while :; do echo leak; echo leak >&2; sleep 0.005; done) &\nsleep 0.05\necho main",
      });
      expect(first.outcome.exitCode).toBe(0);
      expect(first.stdout.toString()).toMatch(/^(leak\n)*main\n(leak\n)*$/);
      for (let i = 0; i < 3; i++) {
        const next = await step({ script: `sleep 0.05; echo next ${i}` });
        expect(next.stdout.toString()).toBe(`next ${i}\n`);
        expect(next.stderr.toString()).toBe("");
      }
    });

    it("runs 20 steps at once, each with its own output", async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          step({
            script: `printf 'out %s\\n' "$I"; sleep 0.$((I % 3)); printf 'err %s\\n' "$I" >&2; exit $((I % 4))`,
            env: { PATH: path_, I: String(i) },
          }),
        ),
      );
      results.forEach((result, i) => {
        expect(result.outcome.exitCode).toBe(i % 4);
        expect(result.stdout.toString()).toBe(`out ${i}\n`);
        expect(result.stderr.toString()).toBe(`err ${i}\n`);
      });
    });

    it("writes the script file for shells that need one", async () => {
      const scriptFile = path.join(dir, "explicit.script");
      writeFileSync(scriptFile, "stale");
      const result = await runStep(executor, { cwd: dir, scriptFile, shell: "sh", script: "echo fresh" });
      expect(result.stdout.toString()).toBe("fresh\n");
    });
  });
}
