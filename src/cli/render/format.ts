import type { JobStatus } from "../../pipeline/index.js";

export interface Colours {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  blue(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

export function colours(enabled: boolean): Colours {
  if (!enabled) {
    const id = (s: string) => s;
    return { red: id, green: id, yellow: id, blue: id, dim: id, bold: id };
  }
  return {
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    blue: wrap(34, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
  };
}

export function statusIcon(status: JobStatus, c: Colours): string {
  switch (status) {
    case "success":
      return c.green("✓");
    case "failure":
      return c.red("✗");
    case "timed_out":
      return c.red("⏱");
    case "cancelled":
    case "interrupted":
      return c.yellow("⊘");
    case "skipped":
      return c.dim("-");
    case "running":
      return c.blue("●");
    default:
      return c.dim("○");
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** Cuts a string to `width` visible characters (ANSI escapes do not count). */
export function truncate(s: string, width: number): string {
  let visible = 0;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\x1b") {
      const end = s.indexOf("m", i);
      if (end !== -1) {
        out += s.slice(i, end + 1);
        i = end;
        continue;
      }
    }
    if (visible >= width - 1 && i < s.length - 1) return `${out}…\x1b[0m`;
    out += s[i];
    visible++;
  }
  return out;
}

/** Removes control sequences a step printed, so they cannot move the live view's cursor. */
export function stripControl(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f]/g, "");
}
