import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import type { WriteStream } from "node:fs";
import type { LaunchedProcess, ProcessExit } from "./launched-process.js";
import { PGID_MARKER, remoteCommand, sshArgv } from "./ssh-command.js";
import type { InstanceSpec, SshHost } from "./types.js";

/** After the remote KILL, how long the ssh client may take to report the end before it is cut off. */
const KILL_TO_DISCONNECT_MS = 5000;

/**
 * Runs the command on a remote host through the system OpenSSH client, one connection per run.
 * The remote side (see ssh-command.ts) reports the command's process group, takes TERM and KILL
 * over stdin, and kills the group when the connection drops. Here, the end of the ssh client is
 * the end of the run: a lost connection counts as an exit and the supervisor restarts.
 */
export function launchSsh(
  spec: InstanceSpec & { ssh: SshHost },
  env: Record<string, string>,
  graceMs: number,
): LaunchedProcess {
  const command = remoteCommand({ command: spec.command, cwd: spec.cwd, env, graceMs });
  const child = spawn("ssh", sshArgv(spec.ssh, command), {
    // Its own process group: a Ctrl-C meant for the supervisor must not cut the connection.
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
  return new SshProcess(child, createWriteStream(spec.logFile, { flags: "a" }));
}

class SshProcess implements LaunchedProcess {
  readonly pid: number | undefined;
  readonly started: Promise<boolean>;
  readonly exited: Promise<ProcessExit>;
  private remotePgid: number | undefined;
  private terminating = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private markerSeen: (seen: boolean) => void = () => undefined;

  constructor(
    private readonly child: ChildProcess,
    private readonly log: WriteStream,
  ) {
    this.pid = child.pid;
    // The connection may be gone by the time a control line is written.
    child.stdin?.on("error", () => undefined);
    // An unwritable log must not take the supervisor down; the run goes on without it.
    log.on("error", () => undefined);
    this.started = new Promise((resolve) => (this.markerSeen = resolve));
    child.stderr?.on("data", (chunk: Buffer) => log.write(chunk));
    child.stdout?.on("data", this.stdoutUntilMarker());
    this.exited = new Promise((resolve) => {
      let spawnError: Error | undefined;
      child.once("error", (error) => {
        if (child.pid === undefined) spawnError = error;
      });
      // "close", not "exit": the output must be in the log before anyone reads its tail.
      child.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
        for (const timer of this.timers) clearTimeout(timer);
        this.markerSeen(false);
        log.end(() =>
          resolve(spawnError ? { code: null, signal: null, error: spawnError } : { code, signal }),
        );
      });
    });
  }

  pgid(): number | undefined {
    return this.remotePgid;
  }

  terminate(graceMs: number): Promise<ProcessExit> {
    if (!this.terminating) {
      this.terminating = true;
      this.control("TERM");
      this.timers.push(
        setTimeout(() => {
          this.control("KILL");
          // The remote host does not answer: dropping the connection makes it clean up on its own.
          this.timers.push(setTimeout(() => this.child.kill("SIGTERM"), KILL_TO_DISCONNECT_MS));
        }, graceMs),
      );
    }
    return this.exited;
  }

  private control(signal: "TERM" | "KILL"): void {
    const stdin = this.child.stdin;
    if (stdin && !stdin.destroyed) stdin.write(`${signal}\n`);
  }

  /**
   * Lines before the marker (a login script's chatter) go to the log; the marker gives the
   * remote group; everything after it is the command's own output, copied as it comes.
   */
  private stdoutUntilMarker(): (chunk: Buffer) => void {
    let pending = "";
    return (chunk) => {
      if (this.remotePgid !== undefined) {
        this.log.write(chunk);
        return;
      }
      pending += chunk.toString("utf8");
      for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        const marker = PGID_MARKER.exec(line);
        if (marker?.[1] !== undefined) {
          this.remotePgid = Number(marker[1]);
          if (pending !== "") this.log.write(pending);
          pending = "";
          this.markerSeen(true);
          return;
        }
        this.log.write(`${line}\n`);
      }
      if (pending.length > 65536) {
        this.log.write(pending);
        pending = "";
      }
    };
  }
}
