import type { SourceSpan } from "./model.js";

/**
 * Offsets to 1-based lines and columns for one file. Parsers keep offsets (cheap integers)
 * and turn them into spans only when something is reported.
 */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** Offset of the first character of a 1-based line. */
  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line - 1, this.starts.length - 1))] ?? 0;
  }

  position(offset: number): { line: number; column: number } {
    const at = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= at) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: at - (this.starts[low] ?? 0) + 1 };
  }

  /** The span of offsets [start, end). */
  span(start: number, end: number = start): SourceSpan {
    const from = this.position(start);
    const to = this.position(Math.max(start, end));
    return { file: this.file, line: from.line, column: from.column, endLine: to.line, endColumn: to.column };
  }

  /** The whole of lines `first` to `last` (1-based, inclusive). */
  lines(first: number, last: number): SourceSpan {
    const end = last >= this.starts.length ? this.text.length : this.lineStart(last + 1) - 1;
    return {
      ...this.span(this.lineStart(first), Math.max(this.lineStart(first), end)),
      line: first,
      column: 1,
    };
  }
}

/**
 * Text assembled from pieces of a file (a Dockerfile instruction joined across continuation
 * lines, a YAML block scalar without its indentation) that remembers, for each character, the
 * file offset it came from. Analyses run on `text`; reports map back through `offsets`.
 */
export interface PositionedText {
  text: string;
  /** `offsets[i]` is the file offset of `text[i]`; one extra entry for the end. */
  offsets: readonly number[];
}

export class PositionedTextBuilder {
  private text = "";
  private readonly offsets: number[] = [];

  /** Appends `piece`, whose first character is at file offset `at` and the rest follow it. */
  append(piece: string, at: number): void {
    this.text += piece;
    for (let i = 0; i < piece.length; i++) this.offsets.push(at + i);
  }

  /** Appends characters that are not in the file (a folded line break), placed at `at`. */
  synthesize(piece: string, at: number): void {
    this.text += piece;
    for (let i = 0; i < piece.length; i++) this.offsets.push(at);
  }

  build(end: number): PositionedText {
    return { text: this.text, offsets: [...this.offsets, end] };
  }
}

/** The span in the file of `text[start, end)`. */
export function textSpan(lines: LineIndex, text: PositionedText, start: number, end: number): SourceSpan {
  const last = text.offsets.length - 1;
  const from = text.offsets[Math.max(0, Math.min(start, last))] ?? 0;
  const lastChar = end > start ? text.offsets[Math.max(0, Math.min(end - 1, last))] : undefined;
  return lines.span(from, lastChar === undefined ? from : lastChar + 1);
}
