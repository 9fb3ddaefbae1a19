import { plainText } from "./ansi.js";
import type { LogLine } from "./types.js";

/**
 * The log as a text file: colours and other escapes removed, GitHub's `##[group]`-style markers
 * kept as in its raw logs (tools that read those understand them), Slipway's own notes prefixed
 * as `slipway logs` prints them, and with `timestamps` each line led by its ISO time in UTC.
 */
export function logText(lines: readonly LogLine[], options: { timestamps: boolean }): string {
  const out: string[] = [];
  for (const line of lines) {
    // A note with a stack trace keeps its lines here; the view shows them on one row.
    const plain = line.text.includes("\n")
      ? line.text.split("\n").map(plainText).join("\n")
      : plainText(line.text);
    const text = line.stream === "system" ? `[slipway] ${plain}` : plain;
    out.push(options.timestamps ? `${new Date(line.at).toISOString()} ${text}` : text);
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

/** Local time of day with milliseconds: the date is the same for a step's lines. */
export function timeOfDay(at: number): string {
  const date = new Date(at);
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(
    date.getMilliseconds(),
  ).padStart(3, "0")}`;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
