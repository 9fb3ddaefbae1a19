/**
 * The public shapes of the hosts target's process supervisor. Defaults follow Kubernetes probes
 * and restart back-off where they exist (https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/),
 * scaled down for processes that start in a second rather than containers pulled over a network.
 */

/**
 * A health check run from this machine: an HTTP GET to the instance's address (success: 2xx/3xx,
 * or exactly `expectStatus`), or a command run locally with bash, PORT, INSTANCE and ADDRESS set
 * (success: exit 0).
 */
export type Probe = (
  { http: { path: string; port?: number; expectStatus?: number } } | { command: string }
) & {
  /** Time between probes; default 1000 ms. */
  periodMs?: number;
  /** A probe that has not answered by then failed; default 1000 ms. */
  timeoutMs?: number;
  /** Consecutive failures that count as failed; default 3. */
  failureThreshold?: number;
  /** Consecutive successes that count as succeeded; default 1. */
  successThreshold?: number;
  /** Wait before the first probe (readiness: after the process starts; liveness: after it is first ready); default 0. */
  initialDelayMs?: number;
};

export interface SshHost {
  /** Host name or address as ssh resolves it (an ssh_config alias works). */
  host: string;
  user?: string;
  port?: number;
  identityFile?: string;
  /** Extra `-o` options, e.g. `UserKnownHostsFile=/path`. They can override every default except BatchMode. */
  options?: string[];
}

export interface RestartPolicy {
  /** First delay before a restart; default 200 ms. Each further restart doubles it. */
  initialDelayMs?: number;
  /** Ceiling of the delay; default 10 s. */
  maxDelayMs?: number;
  /** Restarts in a row (without a healthy stretch between them) before the instance is "failed"; default unlimited. */
  maxRestarts?: number;
  /** Running ready this long resets the delay and the count of restarts in a row; default 30 s. */
  resetAfterMs?: number;
}

export interface InstanceSpec {
  /** Unique name, e.g. "web-v2-0"; exported as INSTANCE. */
  id: string;
  /** Run with `bash -c`; on a remote host by the bash found there. */
  command: string;
  cwd?: string;
  /** Added to the environment (for a local instance on top of this process's own). */
  env?: Record<string, string>;
  /** Exported as PORT. */
  port: number;
  /** Where probes and the proxy reach the instance; default 127.0.0.1, or the SSH host. */
  address?: string;
  readiness?: Probe;
  liveness?: Probe;
  /** Local file that receives stdout and stderr, appended, with each start marked. */
  logFile: string;
  restart?: RestartPolicy;
  /** Time between SIGTERM and SIGKILL when a liveness failure or a lost SSH connection stops the instance, and stop()'s default; default 10 s. */
  terminationGraceMs?: number;
  /** Run on this host over the system OpenSSH client instead of on this machine. */
  ssh?: SshHost;
}

/**
 * starting: the process runs and is not ready yet; ready / unready: the readiness probe passes /
 * fails (ready at once without one); restarting: waiting out the back-off after an exit;
 * stopping, stopped: after stop(); failed: gave up after `maxRestarts` restarts in a row.
 */
export type InstanceState =
  "starting" | "ready" | "unready" | "restarting" | "stopping" | "stopped" | "failed";

/** How one run of the instance's process ended. */
export interface InstanceExit {
  /** Exit code (for SSH: the remote one, 255 when ssh itself failed); null when killed by a signal or never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the supervisor ended it, when it did. */
  reason?: "liveness" | "stop";
  /** The process could not be started at all. */
  error?: Error;
}

export interface InstanceProcess {
  /** The local process: the command's bash, or the ssh client of a remote instance. */
  pid: number;
  /** The process group the instance runs in (on the remote host for SSH); undefined until known. */
  pgid: number | undefined;
}

export interface InstanceEvents {
  state: [state: InstanceState];
  exit: [exit: InstanceExit];
}

export interface Instance {
  readonly id: string;
  /** `http://address:port`. */
  readonly url: string;
  state(): InstanceState;
  /** Restarts since start (not reset by a healthy stretch, like Kubernetes' restartCount). */
  restarts(): number;
  /** The running process, if one runs now. */
  processInfo(): InstanceProcess | undefined;
  /**
   * Resolves once the instance is ready. Rejects with an InstanceNotReadyError carrying the log's
   * tail when the process exits first, the instance fails or is stopped, the timeout passes
   * (default 120 s) or the signal aborts.
   */
  waitReady(options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<void>;
  /**
   * SIGTERM to the instance's process group (on the remote host too), SIGKILL to what is left after
   * `graceMs` (default: the spec's terminationGraceMs). Never restarted afterwards.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
  on<E extends keyof InstanceEvents>(event: E, listener: (...args: InstanceEvents[E]) => void): void;
  off<E extends keyof InstanceEvents>(event: E, listener: (...args: InstanceEvents[E]) => void): void;
}
