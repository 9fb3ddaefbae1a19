import { readdir, readFile } from "node:fs/promises";

/** Signals every process of a group; a group already gone is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether any process of the group is still running. Zombies do not count: an orphaned child is
 * reparented to PID 1, and where PID 1 does not reap (many containers) it stays a zombie in the
 * group forever, although it holds no port, no file and no CPU. Linux reads /proc; elsewhere
 * `kill(-pgid, 0)` answers, zombies included.
 */
export async function groupRunning(pgid: number): Promise<boolean> {
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return signalGroup(pgid, 0);
  }
  const states = await Promise.all(
    entries
      .filter((name) => /^\d+$/.test(name))
      .map((pid) => readFile(`/proc/${pid}/stat`, "utf8").then(groupAndState, () => undefined)),
  );
  return states.some((entry) => entry !== undefined && entry.pgrp === pgid && entry.state !== "Z");
}

/** `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses, so parse after the last ")". */
function groupAndState(stat: string): { state: string; pgrp: number } | undefined {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  const pgrp = Number(fields[2]);
  return state === undefined || !Number.isInteger(pgrp) ? undefined : { state, pgrp };
}

/** Resolves true once no process of the group runs, false if some still do at the deadline. */
export async function waitGroupGone(pgid: number, deadline: number): Promise<boolean> {
  for (;;) {
    if (!(await groupRunning(pgid))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
