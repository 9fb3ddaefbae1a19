import { spawn } from "node:child_process";
import { request } from "node:http";
import { signalGroup } from "./process-group.js";
import type { Probe } from "./types.js";

export const PROBE_DEFAULTS = {
  periodMs: 1000,
  timeoutMs: 1000,
  failureThreshold: 3,
  successThreshold: 1,
  initialDelayMs: 0,
} as const;

/** Where a probe reaches the instance it checks. */
export interface ProbeTarget {
  id: string;
  address: string;
  port: number;
}

/** `address` as the host part of a URL: an IPv6 address needs brackets. */
export function urlHost(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}

/** Runs one probe; true when it passed. Never rejects: an error is a failed probe. */
export function runProbe(probe: Probe, target: ProbeTarget, signal: AbortSignal): Promise<boolean> {
  const timeoutMs = probe.timeoutMs ?? PROBE_DEFAULTS.timeoutMs;
  const bounded = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  if ("http" in probe) {
    const url = `http://${urlHost(target.address)}:${probe.http.port ?? target.port}${probe.http.path}`;
    return httpProbe(url, probe.http.expectStatus, bounded);
  }
  return commandProbe(probe.command, target, bounded);
}

/** Kubernetes' rule: any status from 200 to 399 passes, unless one status is expected. */
function httpProbe(url: string, expectStatus: number | undefined, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    // No keep-alive: a pooled connection would hold a draining server open.
    const req = request(url, { agent: false, signal, headers: { "user-agent": "slipway-probe" } }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(expectStatus === undefined ? status >= 200 && status < 400 : status === expectStatus);
    });
    req.on("error", () => resolve(false));
    req.end();
  });
}

/** The command runs here, in its own process group so that a timeout kills all of it. */
function commandProbe(command: string, target: ProbeTarget, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(false);
      return;
    }
    const child = spawn("bash", ["-c", command], {
      env: { ...process.env, PORT: String(target.port), INSTANCE: target.id, ADDRESS: target.address },
      detached: true,
      stdio: "ignore",
    });
    const onAbort = () => {
      if (child.pid !== undefined) signalGroup(child.pid, "SIGKILL");
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const done = (passed: boolean) => {
      signal.removeEventListener("abort", onAbort);
      resolve(passed);
    };
    child.once("error", () => done(false));
    child.once("exit", (code) => done(code === 0 && !signal.aborted));
  });
}

/**
 * Consecutive results against the probe's thresholds: `true` once `successThreshold` passes in a
 * row, `false` once `failureThreshold` failures in a row, otherwise what it was.
 */
export class ProbeVerdict {
  private successes = 0;
  private failures = 0;
  private passing: boolean | undefined;

  constructor(private readonly probe: Probe) {}

  record(passed: boolean): boolean | undefined {
    if (passed) {
      this.successes += 1;
      this.failures = 0;
      if (this.successes >= (this.probe.successThreshold ?? PROBE_DEFAULTS.successThreshold))
        this.passing = true;
    } else {
      this.failures += 1;
      this.successes = 0;
      if (this.failures >= (this.probe.failureThreshold ?? PROBE_DEFAULTS.failureThreshold))
        this.passing = false;
    }
    return this.passing;
  }
}

/** Probes every `periodMs` after `initialDelayMs` until the signal aborts; one probe at a time. */
export async function probeLoop(
  probe: Probe,
  target: ProbeTarget,
  signal: AbortSignal,
  onResult: (passed: boolean) => void,
): Promise<void> {
  const period = probe.periodMs ?? PROBE_DEFAULTS.periodMs;
  await sleep(probe.initialDelayMs ?? PROBE_DEFAULTS.initialDelayMs, signal);
  while (!signal.aborted) {
    const passed = await runProbe(probe, target, signal);
    if (signal.aborted) return;
    onResult(passed);
    await sleep(period, signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
