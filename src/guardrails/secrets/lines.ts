import type { SourceSpan } from "../model.js";

/** Turns offsets in a file's text into 1-based lines and columns; built once per file that has a match. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(
    private readonly file: string,
    text: string,
  ) {
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }

  position(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - (this.starts[low] ?? 0) + 1 };
  }

  span(start: number, end: number): SourceSpan {
    const from = this.position(start);
    const to = this.position(end);
    return { file: this.file, line: from.line, column: from.column, endLine: to.line, endColumn: to.column };
  }
}
