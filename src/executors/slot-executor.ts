import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { constants } from "node:os";
import type { Socket } from "node:net";
import type { Executor, StepCommand, StepOutcome } from "./executor.js";
import { killGroup, outcome, prepareInvocation, StepStopper } from "./process-group.js";

/**
 * Runs each step as a local process, like ProcessExecutor, but spawned by a long-lived bash
 * "slot" instead of by Node: Node's spawn forks a ~100 MB process (1.2-1.5 ms of main-thread
 * time per step), bash forks a ~4 MB one off the main thread.
 *
 * One slot runs one step at a time; slots are created on demand (the engine bounds concurrency)
 * and reused. A slot's stdout and stderr are shared by every step it runs, so the launcher
 * frames each step's output with sentinels:
 *
 *   BEGIN <id>  [the step's bytes]  END <id>        on both stdout and stderr
 *   started <id> <pid>   then   exit <id> <status>  on fd 3 (control)
 *
 * A step is over when its exit message and both END sentinels have arrived, so no output is
 * lost or given to the next step. When the step's main process exits the launcher SIGKILLs its
 * whole process group before writing END, so nothing the step left in the background can write
 * after END. Bytes seen outside BEGIN..END are strays: a process that left the step's group
 * (setsid, a daemon) and kept the slot's pipes, or a write racing the SIGKILL. They are
 * discarded, never attributed to a step, and the slot is retired (killed, and its pipes closed
 * so such a writer gets EPIPE) instead of being reused. A stray that writes while a later step of
 * the same slot runs cannot be told apart from that step's output; retiring tainted slots makes
 * that window as short as we can without per-step pipes.
 */

export interface SlotExecutorOptions {
  /** Time between SIGTERM and SIGKILL when a step is cancelled or times out. Default 5000 ms. */
  killGraceMs?: number;
  /** The bash that runs the launcher. Default `bash` on PATH. */
  bash?: string;
}

/**
 * The launcher, run as `bash --noprofile --norc -c LAUNCHER slipway` with LC_ALL=C (so `read -N`
 * and `${p:0:1}` count bytes). A request is `<length>\n` and then <length> bytes: a delimiter
 * byte that occurs in no field, then the fields each followed by it: id, cwd, mode, env count,
 * argv count, env entries, argv, and a final ".". `read -N` reads it in large chunks, where
 * `read -d ''` from a pipe costs one syscall per byte (~1 ms for a 3 KB environment); splitting
 * on IFS is in memory. set -f keeps the split from globbing; set -m gives each step its own
 * process group. Bash's own stderr goes to /dev/null (job notices); steps get the real one, kept
 * as fd 4. The launcher's variables are prefixed `_sw_` and exported variables unexported, so
 * that in mode x the step's environment is exactly the exported entries: `exec` (unlike running a
 * command) adds nothing, not even `_`, and saves the second exec that `env -i` costs (~1 ms on a
 * slow machine). Mode e, for names bash cannot export as given (see EXPORTABLE), uses `env -i`.
 * That includes `_`, which bash unexports after every command: an environment inherited from a
 * shell has it, so callers that want the fast path should leave `_` out.
 */
export const SLOT_LAUNCHER = `set -f -m
export -n PATH LC_ALL PWD OLDPWD SHLVL $(compgen -e)
_sw_env=$(type -P env) || _sw_env=/usr/bin/env
exec 4>&2 2>/dev/null
while IFS= read -r _sw_len; do
  IFS= read -r -N "$_sw_len" _sw_p || exit 0
  IFS=\${_sw_p:0:1}; _sw_f=(\${_sw_p:1}); IFS=$' \\t\\n'
  _sw_id=\${_sw_f[0]}
  printf '\\0\\036SLIPWAY-BEGIN %s\\n' "$_sw_id"; printf '\\0\\036SLIPWAY-BEGIN %s\\n' "$_sw_id" >&4
  (
    cd -- "\${_sw_f[1]}" 2>/dev/null || { printf 'nocwd %s\\n' "$_sw_id" >&3; exit 1; }
    exec 3>&-
    unset PATH
    _sw_a=("\${_sw_f[@]:5+_sw_f[3]:_sw_f[4]}")
    [[ \${_sw_f[2]} == x ]] && { ((_sw_f[3] == 0)) || export -- "\${_sw_f[@]:5:_sw_f[3]}"; } && exec -- "\${_sw_a[@]}"
    exec "$_sw_env" -i -- "\${_sw_f[@]:5:_sw_f[3]}" "\${_sw_a[@]}"
  ) </dev/null 2>&4 4>&- &
  _sw_pid=$!
  printf 'started %s %s\\n' "$_sw_id" "$_sw_pid" >&3
  wait "$_sw_pid"; _sw_status=$?
  kill -KILL -- "-$_sw_pid"
  printf '\\0\\036SLIPWAY-END %s\\n' "$_sw_id"; printf '\\0\\036SLIPWAY-END %s\\n' "$_sw_id" >&4
  printf 'exit %s %s\\n' "$_sw_id" "$_sw_status" >&3
done
`;

/**
 * Environment names the launcher may `export` as they are: identifiers that bash gives no
 * meaning of its own (readonly like UID, dynamic like RANDOM, or changing the shell like
 * POSIXLY_CORRECT) and that do not clash with the launcher's variables.
 */
const EXPORTABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BASH_SPECIAL =
  /^(BASH.*|_sw_.*|_|SHELLOPTS|POSIXLY_CORRECT|UID|EUID|PPID|GROUPS|FUNCNAME|RANDOM|SRANDOM|SECONDS|LINENO|HISTCMD|EPOCHREALTIME|EPOCHSECONDS|DIRSTACK|PIPESTATUS|COMP_WORDBREAKS|OPTIND|OPTARG|IFS)$/;

/** How long a dead slot's pipes may still deliver output before its step is failed. */
const SLOT_DEATH_DRAIN_MS = 200;
const EMPTY = Buffer.alloc(0);
/**
 * Bytes that may separate request fields, most likely unused first: control characters that are
 * not IFS whitespace, without \x01 and \x7f, which bash uses internally (CTLESC, CTLNUL).
 */
const DELIMITERS = [
  ...Array.from({ length: 18 }, (_, i) => 31 - i),
  ...Array.from({ length: 7 }, (_, i) => 8 - i),
].map((code) => String.fromCharCode(code));
const SIGNAL_NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(constants.signals))
  if (!SIGNAL_NAMES.has(n)) SIGNAL_NAMES.set(n, name);

type StreamName = "stdout" | "stderr";
/** Where a stream of the running job is: before its BEGIN, inside the step's output, after END. */
type Phase = "before" | "inside" | "after";

interface Job {
  id: string;
  command: StepCommand;
  begin: Buffer;
  end: Buffer;
  phase: Record<StreamName, Phase>;
  pid: number | undefined;
  status: number | undefined;
  noCwd: boolean;
  /** A kill asked for before `started` arrived. */
  pendingSignal: NodeJS.Signals | undefined;
  finish(result: StepOutcome): void;
  /** Called on every state change: finishes the step once exit and both ENDs have arrived. */
  check(): void;
}

class Slot {
  readonly child: ChildProcess;
  job: Job | undefined;
  /** Stray bytes were seen: do not reuse this slot. */
  tainted = false;
  dead = false;
  readonly exited: Promise<void>;
  private seq = 0;
  private readonly token = randomBytes(6).toString("hex");
  private readonly held: Record<StreamName, Buffer> = { stdout: EMPTY, stderr: EMPTY };
  private control = "";

  constructor(
    bash: string,
    private readonly onDeath: (slot: Slot, reason: string) => void,
  ) {
    this.child = spawn(bash, ["--noprofile", "--norc", "-c", SLOT_LAUNCHER, "slipway"], {
      stdio: ["pipe", "pipe", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", LC_ALL: "C" },
      // Its own session: no terminal, so Ctrl-C reaches the engine, not the slots.
      detached: true,
    });
    // Not 'close': a process that escaped a step may hold the slot's pipes open forever.
    this.exited = new Promise((resolve) => {
      this.child.once("exit", () => resolve());
      this.child.once("error", () => resolve());
    });
    const { stdin, stdout, stderr } = this.child;
    const control = this.child.stdio[3] as Socket;
    stdin?.on("error", () => {}); // EPIPE when the slot died: reported through 'exit'.
    stdout?.on("data", (chunk: Buffer) => this.output("stdout", chunk));
    stderr?.on("data", (chunk: Buffer) => this.output("stderr", chunk));
    control.setEncoding("latin1");
    control.on("data", (text: string) => this.controlData(text));
    this.child.once("error", (error) => this.died(error.message));
    this.child.once("exit", (code, signal) =>
      this.died(`the slot process exited unexpectedly (${signal ?? `code ${code}`})`),
    );
  }

  private handles(): { ref(): void; unref(): void }[] {
    const c = this.child;
    return [c, ...c.stdio.filter((s) => s !== null).map((s) => s as Socket)];
  }

  /** A busy slot keeps Node alive, as a running child process does; an idle one must not. */
  setBusy(busy: boolean): void {
    for (const handle of this.handles()) {
      if (busy) handle.ref();
      else handle.unref();
    }
  }

  start(job: Omit<Job, "id" | "begin" | "end">, argv: string[]): Job | string {
    const id = `${this.token}.${++this.seq}`;
    const entries = Object.entries(job.command.env);
    const mode = entries.every(([k]) => EXPORTABLE.test(k) && !BASH_SPECIAL.test(k)) ? "x" : "e";
    const env = entries.map(([k, v]) => `${k}=${v}`);
    const fields = [id, job.command.cwd, mode, String(env.length), String(argv.length), ...env, ...argv, "."];
    const d = DELIMITERS.find((c) => fields.every((f) => !f.includes(c)));
    if (d === undefined) return "the step's environment and arguments contain every control character";
    const body = Buffer.from(d + fields.join(d) + d, "utf8");
    const full: Job = {
      ...job,
      id,
      begin: Buffer.from(`\0\x1eSLIPWAY-BEGIN ${id}\n`, "latin1"),
      end: Buffer.from(`\0\x1eSLIPWAY-END ${id}\n`, "latin1"),
    };
    this.job = full;
    this.child.stdin?.write(Buffer.concat([Buffer.from(`${body.length}\n`), body]));
    return full;
  }

  /** Routes a chunk of the slot's stdout or stderr: to the step between its sentinels, else away. */
  private output(stream: StreamName, chunk: Buffer): void {
    let data = this.held[stream].length > 0 ? Buffer.concat([this.held[stream], chunk]) : chunk;
    this.held[stream] = EMPTY;
    while (data.length > 0) {
      const job = this.job;
      const phase = job?.phase[stream];
      if (job === undefined || phase === "after") {
        this.stray();
        return;
      }
      const marker = phase === "before" ? job.begin : job.end;
      const at = data.indexOf(marker);
      const take = at >= 0 ? at : data.length - partialMarker(data, marker);
      if (take > 0) {
        if (phase === "inside") job.command.onOutput(stream, data.subarray(0, take));
        else this.stray();
      }
      if (at < 0) {
        // Hold back what may be the start of a sentinel split across chunks.
        if (take < data.length) this.held[stream] = Buffer.from(data.subarray(take));
        return;
      }
      job.phase[stream] = phase === "before" ? "inside" : "after";
      data = data.subarray(at + marker.length);
      if (phase === "inside") job.check();
    }
  }

  private stray(): void {
    this.tainted = true;
    if (this.job === undefined) this.retire();
  }

  private controlData(text: string): void {
    this.control += text;
    let newline: number;
    while ((newline = this.control.indexOf("\n")) >= 0) {
      const [kind, id, value] = this.control.slice(0, newline).split(" ");
      this.control = this.control.slice(newline + 1);
      const job = this.job;
      if (job === undefined || id !== job.id) continue;
      if (kind === "started") {
        job.pid = Number(value);
        if (job.pendingSignal !== undefined) killGroup(job.pid, job.pendingSignal);
      } else if (kind === "nocwd") {
        job.noCwd = true;
      } else if (kind === "exit") {
        job.status = Number(value);
        job.check();
      }
    }
  }

  private died(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    this.onDeath(this, reason);
    const job = this.job;
    if (job === undefined) return;
    // Output already in the pipes still arrives; then the step fails, unless it had finished.
    setTimeout(() => {
      if (this.job !== job) return;
      if (job.pid !== undefined) killGroup(job.pid, "SIGKILL");
      job.phase.stdout = job.phase.stderr = "after";
      if (job.status !== undefined) job.check();
      else job.finish(outcome({ startError: reason }));
    }, SLOT_DEATH_DRAIN_MS);
  }

  /** Kills the slot and closes its pipes: a stray writer still holding them gets EPIPE. */
  retire(): void {
    this.dead = true;
    this.onDeath(this, "retired");
    this.child.kill("SIGKILL");
    for (const stream of this.child.stdio) stream?.destroy();
    this.setBusy(false);
  }
}

/** The length of the longest suffix of `data` that is a proper prefix of `marker`. */
function partialMarker(data: Buffer, marker: Buffer): number {
  for (let start = Math.max(0, data.length - marker.length + 1); start < data.length; start++) {
    start = data.indexOf(marker[0] ?? 0, start);
    if (start < 0) return 0;
    if (data.subarray(start).equals(marker.subarray(0, data.length - start))) return data.length - start;
  }
  return 0;
}

export class SlotExecutor implements Executor {
  readonly name = "slot";
  private readonly killGraceMs: number;
  private readonly bash: string;
  private readonly idle: Slot[] = [];
  private readonly slots = new Set<Slot>();
  private closed = false;

  constructor(options: SlotExecutorOptions = {}) {
    this.killGraceMs = options.killGraceMs ?? 5000;
    this.bash = options.bash ?? "bash";
  }

  async run(command: StepCommand): Promise<StepOutcome> {
    if (this.closed) throw new Error("SlotExecutor.run after close()");
    const invocation = await prepareInvocation(command);
    if (!invocation) return outcome({ cancelled: true });

    const slot = this.take();
    return new Promise<StepOutcome>((resolve) => {
      let settled = false;
      // Set once the step has started; its state tells a timeout or cancel from a plain exit.
      const running: { stopper?: StepStopper } = {};

      const started = slot.start(
        {
          command,
          phase: { stdout: "before", stderr: "before" },
          pid: undefined,
          status: undefined,
          noCwd: false,
          pendingSignal: undefined,
          finish: (result) => {
            if (settled) return;
            settled = true;
            running.stopper?.dispose();
            this.release(slot);
            resolve(result);
          },
          check: () => {
            const { status, phase } = job;
            if (status === undefined || phase.stdout !== "after" || phase.stderr !== "after") return;
            const timedOut = running.stopper?.timedOut ?? false;
            const cancelled = running.stopper?.cancelled ?? false;
            if (job.noCwd) {
              job.finish(outcome({ startError: cwdError(command.cwd), timedOut, cancelled }));
              return;
            }
            // Bash reports a death by signal n as 128+n; so does a shell whose last command was
            // killed. Only when we sent the signal is it reported as one, as ProcessExecutor would.
            const signal =
              (timedOut || cancelled) && status > 128 ? SIGNAL_NAMES.get(status - 128) : undefined;
            job.finish(
              outcome({ exitCode: signal === undefined ? status : undefined, signal, timedOut, cancelled }),
            );
          },
        },
        [invocation.file, ...invocation.args],
      );
      if (typeof started === "string") {
        settled = true;
        slot.job = undefined;
        this.release(slot);
        resolve(outcome({ startError: started }));
        return;
      }
      const job = started;
      running.stopper = new StepStopper(
        (signal) => {
          if (job.status !== undefined) return;
          if (job.pid === undefined) job.pendingSignal = signal;
          else killGroup(job.pid, signal);
        },
        command,
        this.killGraceMs,
      );
    });
  }

  /** Ends every slot; steps still running finish first. */
  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    const slots = [...this.slots];
    // An idle launcher exits at the end of its input; a busy one after its step (see release).
    for (const slot of slots) {
      slot.setBusy(true); // Wait for the exits rather than let Node leave first.
      if (slot.job === undefined) slot.child.stdin?.end();
    }
    await Promise.all(slots.map((slot) => slot.exited));
    for (const slot of slots) for (const stream of slot.child.stdio) stream?.destroy();
  }

  private take(): Slot {
    let slot = this.idle.pop();
    while (slot?.dead) slot = this.idle.pop();
    if (slot === undefined) {
      slot = new Slot(this.bash, (dead) => {
        const index = this.idle.indexOf(dead);
        if (index >= 0) this.idle.splice(index, 1);
        if (dead.job === undefined) this.slots.delete(dead);
      });
      this.slots.add(slot);
    }
    slot.setBusy(true);
    return slot;
  }

  private release(slot: Slot): void {
    slot.job = undefined;
    if (slot.dead) {
      this.slots.delete(slot);
      slot.setBusy(false);
    } else if (slot.tainted) {
      slot.retire();
      this.slots.delete(slot);
    } else if (this.closed) {
      slot.setBusy(false);
      slot.child.stdin?.end();
    } else {
      slot.setBusy(false);
      this.idle.push(slot);
    }
  }
}

function cwdError(cwd: string): string {
  let reason = "permission denied";
  try {
    if (!statSync(cwd).isDirectory()) reason = "not a directory";
  } catch (error) {
    reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such directory" : String(error);
  }
  return `cannot change to working directory ${cwd}: ${reason}`;
}
