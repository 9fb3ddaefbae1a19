import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { closeSync, openSync, statSync } from "node:fs";
import type { LaunchedProcess, ProcessExit } from "./launched-process.js";
import { failedLaunch } from "./launched-process.js";
import { signalGroup, waitGroupGone } from "./process-group.js";
import type { InstanceSpec } from "./types.js";

/**
 * Runs the command with `bash -c` on this machine as the leader of a new process group, so that
 * stopping it reaches every process it started. Output goes straight into the log file: the
 * command keeps logging even while the supervisor is busy, and nothing is lost if it dies.
 */
export function launchLocal(spec: InstanceSpec, env: Record<string, string>): LaunchedProcess {
  if (spec.cwd !== undefined && !isDirectory(spec.cwd)) {
    return failedLaunch(new Error(`working directory ${spec.cwd} does not exist`));
  }
  let fd: number;
  try {
    fd = openSync(spec.logFile, "a");
  } catch (error) {
    return failedLaunch(new Error(`cannot open log file ${spec.logFile}`, { cause: error }));
  }
  try {
    const child = spawn("bash", ["-c", spec.command], {
      cwd: spec.cwd,
      env: { ...process.env, ...env },
      detached: true,
      stdio: ["ignore", fd, fd],
    });
    return new LocalProcess(child);
  } finally {
    closeSync(fd);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

class LocalProcess implements LaunchedProcess {
  readonly pid: number | undefined;
  readonly started: Promise<boolean>;
  readonly exited: Promise<ProcessExit>;
  private terminateDeadline: number | undefined;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(child: ChildProcess) {
    this.pid = child.pid;
    this.started = new Promise((resolve) => {
      child.once("spawn", () => resolve(true));
      child.once("error", () => resolve(false));
    });
    this.exited = new Promise((resolve) => {
      child.once("error", (error) => {
        // Only a failed spawn has no pid; other errors (a failed kill) leave the process running.
        if (child.pid === undefined) resolve({ code: null, signal: null, error });
      });
      child.once("exit", (code, signal) => {
        void this.clearGroup().then(() => resolve({ code, signal }));
      });
    });
  }

  pgid(): number | undefined {
    return this.pid;
  }

  terminate(graceMs: number): Promise<ProcessExit> {
    const pid = this.pid;
    if (pid !== undefined && this.terminateDeadline === undefined) {
      this.terminateDeadline = Date.now() + graceMs;
      signalGroup(pid, "SIGTERM");
      this.killTimer = setTimeout(() => signalGroup(pid, "SIGKILL"), graceMs);
    }
    return this.exited;
  }

  /**
   * The leader has exited. When asked to stop, the rest of the group gets the remaining grace
   * period to finish; when the command ended on its own, what it left behind is killed at once.
   */
  private async clearGroup(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    if (this.terminateDeadline !== undefined && (await waitGroupGone(pid, this.terminateDeadline))) {
      clearTimeout(this.killTimer);
      return;
    }
    clearTimeout(this.killTimer);
    signalGroup(pid, "SIGKILL");
  }
}
