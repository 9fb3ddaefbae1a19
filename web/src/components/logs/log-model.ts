import { ansiSegments, plainText, type AnsiSegment } from "./ansi.js";
import type { LogLine } from "./types.js";

/**
 * What a line is. Workflow commands are not kept in the log as typed; the engine leaves GitHub's
 * markers instead (src/pipeline/workflow-commands.ts): `##[group]name` opens a group,
 * `##[endgroup]` closes it, `##[error]message` and the like label a line.
 */
export type LineKind = "text" | "group" | "endgroup" | "error" | "warning" | "notice" | "debug";

const MARKER = /^##\[(group|endgroup|error|warning|notice|debug)\]/;

/** Lines over this many characters count as this wide: the row would be unreadable anyway. */
const WIDEST = 2_000;

/**
 * The structure of a log, built once per line as lines arrive: kinds, the group each line is
 * in, depths. Rendering reads it by index; nothing here runs per render or per scroll frame.
 * The ANSI runs and plain text of a line are computed when first asked for (a row coming into
 * view, a search) and kept.
 */
export class LogModel {
  /** Changes when the lines are replaced by another log rather than extended. */
  generation = 0;
  /** Changes whenever the lines change. */
  version = 0;
  /** The widest line seen, in characters, for the width of the scrolling area. */
  widest = 0;

  readonly #lines: LogLine[] = [];
  readonly #kinds: LineKind[] = [];
  /** The line index of the group a line is in, or -1. */
  readonly #parents: number[] = [];
  readonly #depths: number[] = [];
  /** Every group line, in order. */
  readonly #groups: number[] = [];
  /** Lines labelled error, warning or notice, in order: where annotations are found. */
  readonly #labelled: number[] = [];
  /** Group line → its `##[endgroup]` line; absent while the group is open. */
  readonly #ends = new Map<number, number>();
  readonly #open: number[] = [];
  #plain: (string | undefined)[] = [];
  #segments: (AnsiSegment[] | undefined)[] = [];

  get length(): number {
    return this.#lines.length;
  }

  /**
   * Brings the model up to `lines`: appends what is new when the lines seen so far are still
   * its start, or starts over. Returns true when anything changed. Safe to call on every render.
   */
  sync(lines: readonly LogLine[]): boolean {
    const seen = this.#lines.length;
    let changed = false;
    if (seen > 0) {
      const first = lines[0];
      const last = lines[seen - 1];
      if (
        first === undefined ||
        last === undefined ||
        !same(this.#lines[0]!, first) ||
        !same(this.#lines[seen - 1]!, last)
      ) {
        this.#reset();
        changed = true;
      }
    }
    for (let i = this.#lines.length; i < lines.length; i++) {
      this.#push(lines[i]!);
      changed = true;
    }
    if (changed) this.version++;
    return changed;
  }

  line(index: number): LogLine {
    const line = this.#lines[index];
    if (line === undefined) throw new RangeError(`no log line ${index}`);
    return line;
  }

  /** The lines, as given (the objects first seen for them). */
  lines(): readonly LogLine[] {
    return this.#lines;
  }

  kind(index: number): LineKind {
    return this.#kinds[index] ?? "text";
  }

  depth(index: number): number {
    return this.#depths[index] ?? 0;
  }

  parent(index: number): number {
    return this.#parents[index] ?? -1;
  }

  groups(): readonly number[] {
    return this.#groups;
  }

  labelled(): readonly number[] {
    return this.#labelled;
  }

  /** The `##[endgroup]` line of a group, or undefined while it is open. */
  groupEnd(group: number): number | undefined {
    return this.#ends.get(group);
  }

  /** The groups a line is in, innermost first. */
  ancestors(index: number): number[] {
    const found: number[] = [];
    for (let group = this.parent(index); group >= 0; group = this.parent(group)) found.push(group);
    return found;
  }

  /** Whether `index` is inside `group` (at any depth). */
  within(index: number, group: number): boolean {
    for (let at = this.parent(index); at >= 0; at = this.parent(at)) if (at === group) return true;
    return false;
  }

  /** The groups not closed yet, outermost first (a copy). */
  openGroups(): number[] {
    return [...this.#open];
  }

  /** The raw text after the marker, if any. */
  body(index: number): string {
    const text = this.line(index).text;
    const kind = this.kind(index);
    return kind === "text" ? text : text.slice(kind.length + 4);
  }

  /** What the reader sees of the line, without colours: what search looks in. */
  plain(index: number): string {
    let plain = this.#plain[index];
    if (plain === undefined) {
      plain = plainText(this.body(index));
      this.#plain[index] = plain;
    }
    return plain;
  }

  /** The styled runs of what the reader sees. */
  segments(index: number): AnsiSegment[] {
    let segments = this.#segments[index];
    if (segments === undefined) {
      segments = ansiSegments(this.body(index));
      this.#segments[index] = segments;
    }
    return segments;
  }

  #reset(): void {
    this.generation++;
    this.widest = 0;
    this.#lines.length = 0;
    this.#kinds.length = 0;
    this.#parents.length = 0;
    this.#depths.length = 0;
    this.#groups.length = 0;
    this.#labelled.length = 0;
    this.#ends.clear();
    this.#open.length = 0;
    this.#plain = [];
    this.#segments = [];
  }

  #push(line: LogLine): void {
    const index = this.#lines.length;
    this.#lines.push(line);
    // Slipway's own notes never carry markers; a step's output might print `##[` at will, as
    // on GitHub, where it has the same effect.
    const match = line.stream === "system" ? null : MARKER.exec(line.text);
    const kind = (match?.[1] as LineKind | undefined) ?? "text";
    this.#kinds.push(kind);
    const parent = this.#open.at(-1) ?? -1;
    if (kind === "endgroup") {
      // A stray end outside any group is hidden like any other end.
      const group = this.#open.pop();
      if (group !== undefined) this.#ends.set(group, index);
      this.#parents.push(group ?? -1);
      this.#depths.push(this.#open.length + (group === undefined ? 0 : 1));
      return;
    }
    this.#parents.push(parent);
    this.#depths.push(this.#open.length);
    if (kind === "group") {
      this.#groups.push(index);
      this.#open.push(index);
    } else if (kind === "error" || kind === "warning" || kind === "notice") {
      this.#labelled.push(index);
    }
    // An estimate is enough (tabs and wide characters aside): colours are the usual excess.
    const length = line.text.includes("\x1b") ? plainText(line.text).length : line.text.length;
    if (length > this.widest) this.widest = Math.min(length, WIDEST);
  }
}

function same(a: LogLine, b: LogLine): boolean {
  return (
    a === b ||
    (a.seq === b.seq &&
      a.at === b.at &&
      a.text === b.text &&
      a.stream === b.stream &&
      a.attempt === b.attempt)
  );
}

/**
 * The lines shown, by index, in order: everything but group ends and the insides of closed
 * groups. Linear in the lines shown plus the groups skipped, so toggling a group in a long log
 * costs a few milliseconds at most.
 */
export function visibleLines(model: LogModel, expanded: (group: number) => boolean): Int32Array {
  const shown = new Int32Array(model.length);
  let count = 0;
  let index = 0;
  while (index < model.length) {
    const kind = model.kind(index);
    if (kind === "endgroup") {
      index++;
      continue;
    }
    shown[count++] = index;
    if (kind === "group" && !expanded(index)) {
      const end = model.groupEnd(index);
      index = end === undefined ? model.length : end + 1;
    } else {
      index++;
    }
  }
  return shown.subarray(0, count);
}

/** The row showing `line`, or the last row before it when it is hidden; 0 when there is none. */
export function rowOf(rows: Int32Array, line: number): number {
  let low = 0;
  let high = rows.length - 1;
  let found = 0;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (rows[middle]! <= line) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}
