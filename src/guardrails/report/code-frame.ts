import type { SourceSpan } from "../model.js";

const MAX_WIDTH = 160;

/**
 * The offending line with a marker under the span, as compilers print it:
 *
 * ```
 *   12 |   cidr_blocks = ["0.0.0.0/0"]
 *      |                  ^^^^^^^^^^^
 * ```
 *
 * Tabs before the span are kept in the marker line so it lines up in any terminal. A span that
 * goes on to later lines is underlined to the end of its first line. `mask` hides the span's
 * text after its first characters (secrets must not reach CI logs through a code frame).
 */
export function codeFrame(lineText: string, span: SourceSpan, options: { mask?: boolean } = {}): string[] {
  const start = Math.max(0, span.column - 1);
  const multiLine = span.endLine !== undefined && span.endLine > span.line;
  const end = multiLine
    ? lineText.length
    : Math.max(start + 1, Math.min(lineText.length, (span.endColumn ?? span.column + 1) - 1));
  let text = options.mask ? maskRange(lineText, start, end) : lineText;
  let from = start;
  let to = end;
  // Minified or generated lines: show a window around the span.
  if (text.length > MAX_WIDTH) {
    const left = Math.max(0, start - 40);
    const right = Math.min(text.length, Math.max(end, start + 1) + 40, left + MAX_WIDTH);
    text = `${left > 0 ? "…" : ""}${text.slice(left, right)}${right < lineText.length ? "…" : ""}`;
    const shift = left > 0 ? left - 1 : 0;
    from = start - shift;
    to = Math.min(end, right) - shift;
  }
  const gutter = String(span.line);
  const lead = text.slice(0, from).replace(/[^\t]/g, " ");
  const marker = "^".repeat(Math.max(1, Math.min(to, text.length) - from));
  return [`${gutter} | ${text}`, `${" ".repeat(gutter.length)} | ${lead}${marker}`];
}

function maskRange(line: string, start: number, end: number): string {
  const to = Math.min(line.length, end);
  if (to <= start) return line;
  const shown = Math.min(4, Math.floor((to - start) / 4));
  return line.slice(0, start + shown) + "*".repeat(to - start - shown) + line.slice(to);
}
