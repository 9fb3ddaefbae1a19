import { spawn } from "node:child_process";
import type { Executor, StepCommand, StepOutcome } from "./executor.js";
import { killGroup, outcome, prepareInvocation, StepStopper } from "./process-group.js";

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
    const invocation = await prepareInvocation(command);
    if (!invocation) return outcome({ cancelled: true });

    return new Promise<StepOutcome>((resolve) => {
      const child = spawn(invocation.file, invocation.args, {
        cwd: command.cwd,
        env: command.env,
        stdio: ["ignore", "pipe", "pipe"],
        // A new process group (and session): killing -pid reaches every descendant.
        detached: true,
      });

      const stopper = new StepStopper(
        (signal) => {
          if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
          killGroup(child.pid, signal);
        },
        command,
        this.killGraceMs,
      );

      child.stdout.on("data", (chunk: Buffer) => command.onOutput("stdout", chunk));
      child.stderr.on("data", (chunk: Buffer) => command.onOutput("stderr", chunk));

      let settled = false;
      const finish = (result: StepOutcome) => {
        if (settled) return;
        settled = true;
        stopper.dispose();
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
          timedOut: stopper.timedOut,
          cancelled: stopper.cancelled,
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
