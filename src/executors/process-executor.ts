import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import type { Executor, StepCommand, StepOutcome } from "./executor.js";
import { killGroup, outcome } from "./process-group.js";
import { resolveInvocation } from "./shell.js";

/** How long output may still arrive after a step's process exited. */
const OUTPUT_DRAIN_MS = 1000;

export interface ProcessExecutorOptions {
  /** Time between SIGTERM and SIGKILL when a step is cancelled or times out. Default 5000 ms. */
  killGraceMs?: number;
}

/**
 * Runs each step as a local process in its own process group, so that a timeout or Ctrl-C can
 * stop everything the step started (a test runner's workers, a dev server), not only the shell.
 */
export class ProcessExecutor implements Executor {
  readonly name = "process";
  private readonly killGraceMs: number;

  constructor(options: ProcessExecutorOptions = {}) {
    this.killGraceMs = options.killGraceMs ?? 5000;
  }

  async run(command: StepCommand): Promise<StepOutcome> {
    const invocation = resolveInvocation(command.shell, command.script, command.scriptFile);
    if (invocation.writeScript) await writeFile(command.scriptFile, command.script, { mode: 0o700 });
    if (command.signal.aborted) return outcome({ cancelled: true });

    return new Promise<StepOutcome>((resolve) => {
      let timedOut = false;
      let cancelled = false;
      let killTimer: NodeJS.Timeout | undefined;
      let timeoutTimer: NodeJS.Timeout | undefined;

      const child = spawn(invocation.file, invocation.args, {
        cwd: command.cwd,
        env: command.env,
        stdio: ["ignore", "pipe", "pipe"],
        // A new process group (and session): killing -pid reaches every descendant.
        detached: true,
      });

      const stop = () => {
        if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
        killGroup(child.pid, "SIGTERM");
        killTimer ??= setTimeout(() => {
          if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
        }, this.killGraceMs);
      };
      const onAbort = () => {
        cancelled = true;
        stop();
      };
      command.signal.addEventListener("abort", onAbort, { once: true });
      if (command.timeoutMs !== undefined) {
        timeoutTimer = setTimeout(() => {
          timedOut = true;
          stop();
        }, command.timeoutMs);
      }

      child.stdout.on("data", (chunk: Buffer) => command.onOutput("stdout", chunk));
      child.stderr.on("data", (chunk: Buffer) => command.onOutput("stderr", chunk));

      let settled = false;
      const finish = (result: StepOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timeoutTimer);
        clearTimeout(killTimer);
        command.signal.removeEventListener("abort", onAbort);
        resolve(result);
      };
      child.on("error", (error) => finish(outcome({ startError: error.message })));
      let drainTimer: NodeJS.Timeout | undefined;
      child.on("exit", (code, signal) => {
        // The step is over when its main process exits. Processes it left in the background
        // must not outlive it, and must not keep its output pipes (and so the step) open.
        if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
        const result = outcome({
          exitCode: code ?? undefined,
          signal: signal ?? undefined,
          timedOut,
          cancelled,
        });
        // A process that left the group (setsid, a daemon) may still hold the pipes: stop waiting.
        drainTimer = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          finish(result);
        }, OUTPUT_DRAIN_MS);
        // 'close' follows once stdout and stderr have ended, so no output is lost.
        child.once("close", () => {
          clearTimeout(drainTimer);
          finish(result);
        });
      });
    });
  }
}
