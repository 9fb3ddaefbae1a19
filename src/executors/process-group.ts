import type { StepOutcome } from "./executor.js";

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
