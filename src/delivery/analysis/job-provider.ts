import { spawn } from "node:child_process";
import type { ProviderContext, ProviderOutcome } from "./provider.js";
import type { JobProviderSpec } from "./types.js";

/**
 * Argo's job provider (metricproviders/job), with a local command in place of a Kubernetes Job:
 * exit 0 is Successful, any other ending Failed, and a command still running at `timeoutMs` is
 * killed and Failed, as a Job past its activeDeadlineSeconds. The value is the exit code; the
 * message the last lines of stderr. A command that cannot be started at all (no bash, a missing
 * cwd) is an Error measurement.
 *
 * The command runs in its own process group so that stopping it also stops what it started
 * (`sleep` under bash, a test runner's workers).
 */

const STDERR_KEEP = 8_000;
const MESSAGE_LINES = 5;
const KILL_GRACE_MS = 2_000;
const STDERR_DRAIN_MS = 500;

export function runJob(spec: JobProviderSpec, context: ProviderContext): Promise<ProviderOutcome> {
  return new Promise((resolve, reject) => {
    if (context.signal.aborted) {
      reject(abortError(context.signal));
      return;
    }
    const child = spawn("bash", ["-c", spec.command], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
    });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP);
    });

    let stoppedBy: "timeout" | "abort" | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    const stop = (why: "timeout" | "abort") => {
      if (stoppedBy !== undefined) return;
      stoppedBy = why;
      killGroup(child.pid, "SIGTERM");
      graceTimer = setTimeout(() => killGroup(child.pid, "SIGKILL"), KILL_GRACE_MS);
    };
    const onAbort = () => stop("abort");
    context.signal.addEventListener("abort", onAbort, { once: true });
    const deadline =
      spec.timeoutMs === undefined ? undefined : setTimeout(() => stop("timeout"), spec.timeoutMs);
    const cleanUp = () => {
      context.signal.removeEventListener("abort", onAbort);
      if (deadline !== undefined) clearTimeout(deadline);
      if (graceTimer !== undefined) clearTimeout(graceTimer);
    };

    child.once("error", (error) => {
      cleanUp();
      const where = spec.cwd === undefined ? "" : ` in ${spec.cwd}`;
      reject(new Error(`cannot start bash${where}: ${error.message}`, { cause: error }));
    });
    // "close" waits for stderr to end, which a background process the command left behind can
    // hold open for ever; the exit status is what decides, so wait for stderr only briefly.
    child.once("exit", (code, signal) => {
      const settle = () => {
        child.stderr.destroy();
        finish(code, signal);
      };
      const drained = setTimeout(settle, STDERR_DRAIN_MS);
      child.once("close", () => {
        clearTimeout(drained);
        settle();
      });
    });
    let finished = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      cleanUp();
      if (stoppedBy === "abort") {
        reject(abortError(context.signal));
        return;
      }
      const tail = lastLines(stderr);
      const withTail = (message: string) => (tail === "" ? message : `${message}: ${tail}`);
      if (stoppedBy === "timeout") {
        resolve({
          kind: "verdict",
          phase: "Failed",
          value: code,
          message: withTail(`the job was still running after ${spec.timeoutMs} ms and was stopped`),
        });
      } else if (code === 0) {
        resolve({
          kind: "verdict",
          phase: "Successful",
          value: 0,
          ...(tail === "" ? {} : { message: tail }),
        });
      } else {
        const ending = code === null ? `was killed by ${signal ?? "a signal"}` : `exited with ${code}`;
        resolve({ kind: "verdict", phase: "Failed", value: code, message: withTail(`the job ${ending}`) });
      }
    };
  });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function lastLines(text: string): string {
  return text.trimEnd().split("\n").slice(-MESSAGE_LINES).join("\n");
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("the analysis run stopped");
}
