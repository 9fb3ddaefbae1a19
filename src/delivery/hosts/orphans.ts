import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { signalGroup, waitGroupGone } from "./process-group.js";

/**
 * Local instances run in process groups of their own, so that they survive a supervisor that is
 * only restarting; a server killed outright leaves them running, holding their ports. Each
 * running local instance is noted in a `.pgid` file beside its log (the group and its leader's
 * start time, so a reused process id is never mistaken for it), and the next start stops what
 * the notes name before starting anything.
 */

const SUFFIX = ".pgid";

/** Notes a local instance's process group. */
export async function notePid(file: string, pgid: number): Promise<void> {
  const started = await startTime(pgid);
  if (started !== undefined) await writeFile(`${file}${SUFFIX}`, `${pgid} ${started}\n`);
}

export async function forgetPid(file: string): Promise<void> {
  await rm(`${file}${SUFFIX}`, { force: true });
}

/** Stops every group noted under `dir` whose leader is still the process noted; returns how many. */
export async function reapOrphans(dir: string, graceMs = 5_000): Promise<number> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith(SUFFIX));
  } catch {
    return 0;
  }
  let reaped = 0;
  for (const entry of entries) {
    const file = path.join(dir, entry);
    const [pgid, started] = (await readFile(file, "utf8")).trim().split(" ").map(Number);
    if (pgid !== undefined && Number.isInteger(pgid) && pgid > 1 && (await startTime(pgid)) === started) {
      signalGroup(pgid, "SIGTERM");
      if (!(await waitGroupGone(pgid, Date.now() + graceMs))) signalGroup(pgid, "SIGKILL");
      reaped += 1;
    }
    await rm(file, { force: true });
  }
  return reaped;
}

/** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. */
async function startTime(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const value = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
