import { EventEmitter } from "node:events";
import { InstanceNotReadyError } from "./instance-error.js";
import type { LaunchedProcess } from "./launched-process.js";
import { failedLaunch } from "./launched-process.js";
import { launchLocal } from "./local-process.js";
import { logTail, markLog } from "./log-file.js";
import { PROBE_DEFAULTS, ProbeVerdict, probeLoop, urlHost } from "./probe.js";
import type { ProbeTarget } from "./probe.js";
import { describeSshHost } from "./ssh-command.js";
import { launchSsh } from "./ssh-process.js";
import type {
  Instance,
  InstanceEvents,
  InstanceExit,
  InstanceProcess,
  InstanceSpec,
  InstanceState,
  RestartPolicy,
} from "./types.js";
import { validateSpec } from "./validate-spec.js";

const RESTART_DEFAULTS: Required<RestartPolicy> = {
  initialDelayMs: 200,
  maxDelayMs: 10_000,
  maxRestarts: Number.POSITIVE_INFINITY,
  resetAfterMs: 30_000,
};
const DEFAULT_GRACE_MS = 10_000;
const DEFAULT_READY_TIMEOUT_MS = 120_000;

/**
 * Starts supervising one instance: runs its command (here or over SSH), gates "ready" on the
 * readiness probe, restarts it with exponential back-off when it exits or fails its liveness
 * probe, and stops it on request. Throws a UsageError for a spec that cannot run.
 */
export function startInstance(spec: InstanceSpec): Instance {
  validateSpec(spec);
  const instance = new SupervisedInstance(spec);
  instance.launch();
  return instance;
}

class SupervisedInstance implements Instance {
  readonly id: string;
  readonly url: string;
  private readonly target: ProbeTarget;
  private readonly restartPolicy: Required<RestartPolicy>;
  private readonly graceMs: number;
  private readonly events = new EventEmitter<InstanceEvents>();
  private current: InstanceState = "starting";
  private restartCount = 0;
  /** Restarts since the last healthy stretch; what maxRestarts limits. */
  private restartsInARow = 0;
  private nextDelayMs: number;
  private running: LaunchedProcess | undefined;
  private probes: AbortController | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  private readySince: number | undefined;
  private killedForLiveness = false;
  /** The run whose liveness is being probed. */
  private livenessWatched: LaunchedProcess | undefined;
  private stopRequested = false;
  private stopped: Promise<void> | undefined;

  constructor(private readonly spec: InstanceSpec) {
    this.id = spec.id;
    const address = spec.address ?? spec.ssh?.host ?? "127.0.0.1";
    this.url = `http://${urlHost(address)}:${spec.port}`;
    this.target = { id: spec.id, address, port: spec.port };
    this.restartPolicy = { ...RESTART_DEFAULTS, ...definedOnly(spec.restart ?? {}) };
    this.nextDelayMs = this.restartPolicy.initialDelayMs;
    this.graceMs = spec.terminationGraceMs ?? DEFAULT_GRACE_MS;
  }

  state(): InstanceState {
    return this.current;
  }

  restarts(): number {
    return this.restartCount;
  }

  processInfo(): InstanceProcess | undefined {
    const pid = this.running?.pid;
    return pid === undefined ? undefined : { pid, pgid: this.running?.pgid() };
  }

  on<E extends keyof InstanceEvents>(event: E, listener: (...args: InstanceEvents[E]) => void): void {
    this.events.on(event, listener as never);
  }

  off<E extends keyof InstanceEvents>(event: E, listener: (...args: InstanceEvents[E]) => void): void {
    this.events.off(event, listener as never);
  }

  waitReady(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    if (this.current === "ready") return Promise.resolve();
    const early = this.notReadyReason(this.current);
    if (early !== undefined) return this.notReady(early).then((error) => Promise.reject(error));
    const timeoutMs = options.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const onState = (state: InstanceState) => {
        if (state === "ready") {
          cleanup();
          resolve();
          return;
        }
        const reason = this.notReadyReason(state);
        if (reason !== undefined) fail(reason);
      };
      const onExit = (exit: InstanceExit) =>
        fail(`${describeExit(exit, this.spec.ssh !== undefined)} before it was ready`);
      const onAbort = () => fail("waiting was cancelled");
      const timer = setTimeout(() => fail(`not ready within ${timeoutMs} ms (${this.current})`), timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.events.off("state", onState);
        this.events.off("exit", onExit);
        options.signal?.removeEventListener("abort", onAbort);
      };
      const fail = (reason: string) => {
        cleanup();
        void this.notReady(reason).then(reject);
      };
      this.events.on("state", onState);
      this.events.on("exit", onExit);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      if (options.signal?.aborted) onAbort();
    });
  }

  stop(options: { graceMs?: number } = {}): Promise<void> {
    this.stopped ??= this.stopNow(options.graceMs ?? this.graceMs);
    return this.stopped;
  }

  /** Starts one run of the command; called once by startInstance, then by the back-off timer. */
  launch(): void {
    if (this.stopRequested) return;
    const restart = this.restartCount;
    const where = this.spec.ssh === undefined ? "" : ` on ${describeSshHost(this.spec.ssh)}`;
    const what = restart === 0 ? "starting" : `restarting (restart ${restart})`;
    void markLog(this.spec.logFile, `${what} ${this.id}${where}: ${this.spec.command}`).then(
      () => {
        // stop() came while the line was written: nothing may start any more.
        if (!this.stopRequested) this.run(this.spawnProcess());
      },
      (error: unknown) => {
        if (!this.stopRequested)
          this.run(failedLaunch(new Error(`cannot write log file: ${errorText(error)}`)));
      },
    );
  }

  private spawnProcess(): LaunchedProcess {
    const env = { ...this.spec.env, PORT: String(this.spec.port), INSTANCE: this.id };
    const ssh = this.spec.ssh;
    try {
      return ssh === undefined
        ? launchLocal(this.spec, env)
        : launchSsh({ ...this.spec, ssh }, env, this.graceMs);
    } catch (error) {
      return failedLaunch(new Error(errorText(error)));
    }
  }

  private run(launched: LaunchedProcess): void {
    this.running = launched;
    this.setState("starting");
    void launched.started.then((started) => {
      if (started && this.running === launched && !this.stopRequested) this.startProbes(launched);
    });
    void launched.exited.then((exit) => this.onExit(launched, exit));
  }

  private startProbes(launched: LaunchedProcess): void {
    const probes = new AbortController();
    this.probes = probes;
    const readiness = this.spec.readiness;
    if (readiness === undefined) {
      this.becomeReady(launched, probes);
      return;
    }
    const verdict = new ProbeVerdict(readiness);
    void probeLoop(readiness, this.target, probes.signal, (passed) => {
      const passing = verdict.record(passed);
      if (passing === true && this.current !== "ready") this.becomeReady(launched, probes);
      if (passing === false && this.current === "ready") {
        this.readySince = undefined;
        this.setState("unready");
      }
    });
  }

  /**
   * Liveness is judged from the first time a run is ready, not from its start: the readiness
   * probe plays the part of Kubernetes' startup probe, so a slow start is never mistaken for a
   * hang. A run that never gets ready is the business of waitReady's timeout.
   */
  private becomeReady(launched: LaunchedProcess, probes: AbortController): void {
    this.readySince = Date.now();
    this.setState("ready");
    const liveness = this.spec.liveness;
    if (liveness === undefined || this.livenessWatched === launched) return;
    this.livenessWatched = launched;
    const verdict = new ProbeVerdict(liveness);
    void probeLoop(liveness, this.target, probes.signal, (passed) => {
      if (verdict.record(passed) !== false || this.killedForLiveness) return;
      // What Kubernetes does too: a process that stopped answering may still hold its port.
      this.killedForLiveness = true;
      probes.abort();
      if (this.current === "ready") this.setState("unready");
      const threshold = liveness.failureThreshold ?? PROBE_DEFAULTS.failureThreshold;
      void markLog(
        this.spec.logFile,
        `${this.id} failed its liveness probe ${threshold} times: restarting`,
      ).catch(() => undefined);
      void launched.terminate(this.graceMs);
    });
  }

  private onExit(launched: LaunchedProcess, exit: InstanceExit): void {
    if (this.running !== launched) return;
    this.running = undefined;
    this.probes?.abort();
    this.probes = undefined;
    const reason = this.stopRequested ? "stop" : this.killedForLiveness ? "liveness" : undefined;
    this.killedForLiveness = false;
    const ended: InstanceExit = reason === undefined ? exit : { ...exit, reason };
    this.events.emit("exit", ended);
    if (this.stopRequested) return;

    const policy = this.restartPolicy;
    if (this.readySince !== undefined && Date.now() - this.readySince >= policy.resetAfterMs) {
      this.restartsInARow = 0;
      this.nextDelayMs = policy.initialDelayMs;
    }
    this.readySince = undefined;
    if (this.restartsInARow >= policy.maxRestarts) {
      void markLog(
        this.spec.logFile,
        `${this.id} ${describeExit(ended, this.spec.ssh !== undefined)}; gave up after ${this.restartsInARow} restarts in a row`,
      ).catch(() => undefined);
      this.setState("failed");
      return;
    }
    this.restartsInARow += 1;
    const delay = this.nextDelayMs;
    this.nextDelayMs = Math.min(delay * 2, policy.maxDelayMs);
    void markLog(
      this.spec.logFile,
      `${this.id} ${describeExit(ended, this.spec.ssh !== undefined)}; restarting in ${delay} ms`,
    ).catch(() => undefined);
    this.setState("restarting");
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      this.restartCount += 1;
      this.launch();
    }, delay);
  }

  private async stopNow(graceMs: number): Promise<void> {
    this.stopRequested = true;
    clearTimeout(this.backoffTimer);
    this.probes?.abort();
    this.setState("stopping");
    const running = this.running;
    if (running !== undefined) {
      await markLog(this.spec.logFile, `stopping ${this.id}: SIGTERM, SIGKILL after ${graceMs} ms`).catch(
        () => undefined,
      );
      await running.terminate(graceMs);
    }
    this.setState("stopped");
  }

  private setState(state: InstanceState): void {
    if (state === this.current) return;
    this.current = state;
    this.events.emit("state", state);
  }

  /** Why waiting for readiness is pointless in this state, if it is. */
  private notReadyReason(state: InstanceState): string | undefined {
    if (state === "failed") return `gave up after ${this.restartsInARow} restarts in a row`;
    if (state === "stopping" || state === "stopped") return "it was stopped";
    return undefined;
  }

  private async notReady(reason: string): Promise<InstanceNotReadyError> {
    return new InstanceNotReadyError(this.id, reason, await logTail(this.spec.logFile), this.spec.logFile);
  }
}

/** "exited with code 3", "was killed by SIGKILL after failing its liveness probe"... */
export function describeExit(exit: InstanceExit, overSsh: boolean): string {
  let text: string;
  if (exit.error !== undefined) text = `could not start: ${exit.error.message}`;
  else if (exit.signal !== null) text = `was killed by ${exit.signal}`;
  // ssh's own failures (refused, no route, authentication) all end in 255.
  else if (exit.code === 255 && overSsh)
    text = "exited with code 255 (or ssh failed: see its message in the log)";
  else text = `exited with code ${exit.code ?? "?"}`;
  if (exit.reason === "liveness") text += " after failing its liveness probe";
  if (exit.reason === "stop") text += " when stopped";
  return text;
}

/** `{ a: undefined }` must not override a default when spread. */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
