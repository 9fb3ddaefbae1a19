import Anser from "anser";
import type { CSSProperties } from "react";

/** A run of text in one style: classes for the 16 themed colours, inline colours for the rest. */
export interface AnsiSegment {
  text: string;
  className?: string;
  style?: CSSProperties;
}

/*
 * Escape sequences of ECMA-48: CSI (`ESC [ ... final`), OSC (`ESC ] ... BEL|ST`, e.g. hyperlinks
 * and window titles), DCS/SOS/PM/APC strings, and two-character escapes. Only SGR (colours and
 * text attributes, `ESC [ digits;... m`) means something in a log; anser passes the others
 * through as text, so they go before it sees the line.
 */
/* eslint-disable no-control-regex -- terminal escapes are control characters */
const ESCAPE =
  /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[ -/]*[0-~])?/g;
const SGR = /^\x1b\[[0-9;]*m$/;
const SGR_ALL = /\x1b\[[0-9;]*m/g;
// Control characters a terminal would act on rather than print (tab and ESC stay).
const CONTROL = /[\x00-\x08\x0a-\x1a\x1c-\x1f\x7f]/g;
// A cheap test before the regexes above.
const NEEDS_CLEANING = /[\x00-\x08\x0a-\x1f\x7f]/;
/* eslint-enable no-control-regex */

/**
 * The line as a terminal would leave it, still with its SGR sequences: what follows the last
 * carriage return (a progress bar redraws the line), without other escape sequences and
 * control characters. A row has one fixed height, so the rare line holding newlines (Slipway's
 * own notes with a stack trace) shows them as ⏎.
 */
export function terminalText(text: string): string {
  if (!NEEDS_CLEANING.test(text)) return text;
  const line = text.includes("\n") ? text.split("\n").map(redrawn).join(" ⏎ ") : redrawn(text);
  return line.replace(ESCAPE, (sequence) => (SGR.test(sequence) ? sequence : "")).replace(CONTROL, "");
}

function redrawn(line: string): string {
  if (!line.includes("\r")) return line;
  const trimmed = line.replace(/\r+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("\r") + 1);
}

/** The visible characters of a line: {@link terminalText} without its colours. */
export function plainText(text: string): string {
  const line = terminalText(text);
  return line.includes("\x1b") ? line.replace(SGR_ALL, "") : line;
}

/**
 * The styled runs of a line. The texts of the runs joined are exactly {@link plainText}, so
 * search offsets found in the plain text apply to the runs. Styles do not carry over from one
 * line to the next, as in GitHub's log view: every line is parsed alone, which is what lets the
 * viewer parse only the rows on screen.
 */
export function ansiSegments(text: string): AnsiSegment[] {
  const line = terminalText(text);
  if (!line.includes("\x1b")) return line === "" ? [] : [{ text: line }];
  const segments: AnsiSegment[] = [];
  for (const entry of Anser.ansiToJson(line, { use_classes: true, remove_empty: true })) {
    segments.push(segmentOf(entry));
  }
  return segments;
}

function segmentOf(entry: Anser.AnserJsonEntry): AnsiSegment {
  const classes: string[] = [];
  const style: CSSProperties = {};
  // anser types these as strings; they are null when unset.
  const fg = entry.fg as string | null;
  const bg = entry.bg as string | null;
  if (fg) colour(fg, entry.fg_truecolor as string | null, "fg", classes, style);
  if (bg) colour(bg, entry.bg_truecolor as string | null, "bg", classes, style);
  for (const decoration of entry.decorations) {
    if (decoration !== "blink" && decoration !== "reverse") classes.push(`ansi-${decoration}`);
  }
  const segment: AnsiSegment = { text: entry.content };
  if (classes.length > 0) segment.className = classes.join(" ");
  if (style.color !== undefined || style.backgroundColor !== undefined) segment.style = style;
  return segment;
}

function colour(
  name: string,
  truecolor: string | null,
  layer: "fg" | "bg",
  classes: string[],
  style: CSSProperties,
): void {
  let value: string | undefined;
  if (name === "ansi-truecolor" && truecolor) value = `rgb(${truecolor})`;
  else if (name.startsWith("ansi-palette-"))
    value = paletteColour(Number(name.slice("ansi-palette-".length)));
  else {
    // The 16 basic colours are classes, so that the theme picks readable values for them.
    classes.push(`${name}-${layer}`);
    return;
  }
  if (value === undefined) return;
  if (layer === "fg") style.color = value;
  else style.backgroundColor = value;
}

const CUBE = [0, 95, 135, 175, 215, 255];

/** xterm's 256-colour palette above the 16 basic colours: a 6×6×6 cube, then 24 greys. */
function paletteColour(index: number): string | undefined {
  if (!Number.isInteger(index) || index < 16 || index > 255) return undefined;
  if (index >= 232) {
    const grey = 8 + (index - 232) * 10;
    return `rgb(${grey}, ${grey}, ${grey})`;
  }
  const n = index - 16;
  return `rgb(${CUBE[Math.floor(n / 36)]}, ${CUBE[Math.floor(n / 6) % 6]}, ${CUBE[n % 6]})`;
}
