import { writeFile } from "node:fs/promises";
import type { StepCommand, StepOutcome } from "./executor.js";
import { resolveInvocation } from "./shell.js";
import type { Invocation } from "./shell.js";

/** Signals a step's whole process group (the step runs as its leader); a group already gone is fine. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** A complete StepOutcome from the fields that apply. */
export function outcome(partial: Partial<StepOutcome>): StepOutcome {
  return {
    exitCode: partial.exitCode,
    signal: partial.signal,
    timedOut: partial.timedOut ?? false,
    cancelled: partial.cancelled ?? false,
    startError: partial.startError,
  };
}

/**
 * Stops a running step when its abort signal fires (cancelled) or its time is up (timed out):
 * SIGTERM to the step's process group, then SIGKILL after the grace period. Both executors use
 * it, so a step is stopped the same way whichever starts it.
 */
export class StepStopper {
  timedOut = false;
  cancelled = false;
  private killTimer: NodeJS.Timeout | undefined;
  private readonly timeoutTimer: NodeJS.Timeout | undefined;
  private readonly onAbort = () => {
    this.cancelled = true;
    this.stop();
  };

  constructor(
    private readonly signalGroup: (signal: NodeJS.Signals) => void,
    private readonly command: Pick<StepCommand, "signal" | "timeoutMs">,
    private readonly graceMs: number,
  ) {
    command.signal.addEventListener("abort", this.onAbort, { once: true });
    // An abort between the caller's last check and now fired no event: act on it here.
    if (command.signal.aborted) this.onAbort();
    if (command.timeoutMs !== undefined) {
      this.timeoutTimer = setTimeout(() => {
        this.timedOut = true;
        this.stop();
      }, command.timeoutMs);
    }
  }

  /** Call once the step is over: no signal may reach a later step's group. */
  dispose(): void {
    clearTimeout(this.timeoutTimer);
    clearTimeout(this.killTimer);
    this.command.signal.removeEventListener("abort", this.onAbort);
  }

  private stop(): void {
    this.signalGroup("SIGTERM");
    this.killTimer ??= setTimeout(() => this.signalGroup("SIGKILL"), this.graceMs);
  }
}

/**
 * What every executor does before starting a step: resolve the shell invocation and write the
 * script file when the shell needs one. Undefined when the step was cancelled before it started.
 */
export async function prepareInvocation(command: StepCommand): Promise<Invocation | undefined> {
  const invocation = resolveInvocation(command.shell, command.script, command.scriptFile);
  if (invocation.writeScript) await writeFile(command.scriptFile, command.script, { mode: 0o700 });
  return command.signal.aborted ? undefined : invocation;
}
