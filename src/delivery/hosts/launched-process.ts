/** How one run of an instance's command ended, as the launcher sees it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The command could not be started at all. */
  error?: Error;
}

/**
 * One run of an instance's command, local or remote. The supervisor restarts by launching a new
 * one; a launched process is never reused.
 */
export interface LaunchedProcess {
  /** The local process (bash, or the ssh client); undefined when it could not be spawned. */
  readonly pid: number | undefined;
  /** The process group the command runs in (on the remote host for SSH), once known. */
  pgid(): number | undefined;
  /** True once the command runs (for SSH: the remote side reported its group); false if it ended first. Never rejects. */
  readonly started: Promise<boolean>;
  /**
   * Resolves once the command and every process of its group are gone and its output is in the
   * log. Processes left over by a command that ended on its own are killed: they would hold the
   * port the next run needs. Never rejects.
   */
  readonly exited: Promise<ProcessExit>;
  /** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves like `exited`. */
  terminate(graceMs: number): Promise<ProcessExit>;
}

/** A run that never started, so that a launch failure takes the same path as an exit. */
export function failedLaunch(error: Error): LaunchedProcess {
  const exited = Promise.resolve<ProcessExit>({ code: null, signal: null, error });
  return {
    pid: undefined,
    pgid: () => undefined,
    started: Promise.resolve(false),
    exited,
    terminate: () => exited,
  };
}
