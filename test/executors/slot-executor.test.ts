import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SlotExecutor } from "../../src/executors/slot-executor.js";
import { alive, describeExecutorContract, runStep, waitFor } from "./executor-contract.js";
import type { StepCommand } from "../../src/executors/index.js";

describeExecutorContract("SlotExecutor", () => new SlotExecutor({ killGraceMs: 1000 }));

describe("SlotExecutor slots", () => {
  let dir: string;
  let executor: SlotExecutor;
  let n = 0;
  const strays: number[] = [];
  const step = (command: Partial<StepCommand> & Pick<StepCommand, "script">) =>
    runStep(executor, { cwd: dir, scriptFile: path.join(dir, `step-${++n}.script`), ...command });

  beforeAll(() => {
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), "slipway-slots-")));
  });
  afterEach(async () => {
    await executor.close();
    for (const pid of strays.splice(0)) if (alive(pid)) process.kill(pid, "SIGKILL");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reuses one slot for steps run one after another", async () => {
    executor = new SlotExecutor();
    const parents = new Set<string>();
    for (let i = 0; i < 5; i++) parents.add((await step({ script: "echo $PPID" })).stdout.toString());
    expect(parents.size).toBe(1);
  });

  it("discards the output of a process that left the step's group, and retires its slot", async () => {
    executor = new SlotExecutor();
    const pidFile = path.join(dir, "escaped.pid");
    const slotFile = path.join(dir, "slot.pid");
    const first = await step({
      script: `echo $PPID > '${slotFile}'\nsetsid bash -c 'echo $$ > "${pidFile}"; while :; do echo stray; echo stray >&2; sleep 0.01; done' &\nsleep 0.1\necho main`,
    });
    const firstSlot = readFileSync(slotFile, "utf8");
    expect(first.outcome.exitCode).toBe(0);
    const pid = Number(readFileSync(pidFile, "utf8"));
    strays.push(pid);
    expect(first.stdout.toString()).toMatch(/^(stray\n)*main\n(stray\n)*$/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let i = 0; i < 3; i++) {
      const next = await step({ script: `sleep 0.05; echo next ${i}` });
      expect(next.stdout.toString()).toBe(`next ${i}\n`);
      expect(next.stderr.toString()).toBe("");
    }
    await step({ script: `echo $PPID > '${slotFile}'` });
    expect(readFileSync(slotFile, "utf8")).not.toBe(firstSlot);
    // The retired slot's pipes are closed: the escaped writer dies of SIGPIPE.
    expect(await waitFor(() => !alive(pid), 3000)).toBe(true);
  });

  it("fails the running step when its slot dies, kills the step, and replaces the slot", async () => {
    executor = new SlotExecutor();
    const pidFile = path.join(dir, "victim.pid");
    const running = step({ script: `echo $$ > '${pidFile}'; kill -9 $PPID; sleep 1000` });
    const result = await running;
    expect(result.outcome.startError).toMatch(/slot process exited unexpectedly \(SIGKILL\)/);
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(await waitFor(() => !alive(pid))).toBe(true);
    expect((await step({ script: "echo again" })).stdout.toString()).toBe("again\n");
  });

  it("closes: slots exit, and later runs are refused", async () => {
    executor = new SlotExecutor();
    const parent = Number((await step({ script: "echo $PPID" })).stdout.toString());
    expect(alive(parent)).toBe(true);
    await executor.close();
    expect(await waitFor(() => !alive(parent))).toBe(true);
    await expect(step({ script: "true" })).rejects.toThrow(/close/);
  });

  it("lets a step run to its end when close() is called meanwhile", async () => {
    executor = new SlotExecutor();
    const running = step({ script: "sleep 0.2; echo finished" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await executor.close();
    expect((await running).stdout.toString()).toBe("finished\n");
  });

  it("does not keep Node running once its steps are done", async () => {
    executor = new SlotExecutor();
    const module = path.resolve("src/executors/slot-executor.ts");
    const program = `
      import { SlotExecutor } from ${JSON.stringify(module)};
      const executor = new SlotExecutor();
      const outcome = await executor.run({ script: "echo hi", shell: "bash", cwd: ${JSON.stringify(dir)},
        env: { PATH: process.env.PATH }, scriptFile: ${JSON.stringify(path.join(dir, "child.script"))},
        timeoutMs: undefined, signal: new AbortController().signal, onOutput: () => {} });
      console.log(JSON.stringify(outcome.exitCode));`;
    const start = Date.now();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", program],
      { timeout: 20_000 },
    );
    expect(stdout.trim()).toBe("0");
    expect(Date.now() - start).toBeLessThan(15_000);
  });
});
