/**
 * An executor runs one step's command somewhere (a local process now; a sandbox or a Kubernetes
 * pod later) and reports its output line by line. It knows nothing of pipelines: the engine
 * decides what to run, with which environment, for how long.
 */

export interface StepCommand {
  /** The script as the user wrote it, after interpolation. */
  script: string;
  /** bash, sh, python, node, pwsh, or a command line with `{0}` for the script file. */
  shell: string;
  /** Absolute working directory. */
  cwd: string;
  /** The complete environment: nothing else is inherited. */
  env: Record<string, string>;
  /** Where to write the script when the shell needs a file; unique per attempt. */
  scriptFile: string;
  /** Kill the step after this many milliseconds. */
  timeoutMs: number | undefined;
  /** Aborting cancels the step (SIGTERM to its process group, SIGKILL after the grace period). */
  signal: AbortSignal;
  onOutput(stream: "stdout" | "stderr", chunk: Buffer): void;
}

export interface StepOutcome {
  /** undefined when the process was killed by a signal. */
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  cancelled: boolean;
  /** The process could not be started at all (shell missing, bad cwd). */
  startError: string | undefined;
}

export interface Executor {
  readonly name: string;
  run(command: StepCommand): Promise<StepOutcome>;
}
