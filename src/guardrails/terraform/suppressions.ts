/**
 * `# slipway:ignore RULE-ID reason` in Terraform files. A comment inside a top-level block, or
 * on the comment lines directly above one, covers the whole block: for a module call that is
 * everything the module creates (findings carry the call's span in `enclosing`). Elsewhere a
 * comment covers its own line and the next.
 */
import type { ScanDiagnostic, SourceSpan, Suppression } from "../model.js";
import { parseSuppressionComment } from "../suppression.js";
import type { ParsedFile } from "./syntax.js";

export function fileSuppressions(file: ParsedFile): {
  suppressions: Suppression[];
  diagnostics: ScanDiagnostic[];
} {
  const suppressions: Suppression[] = [];
  const diagnostics: ScanDiagnostic[] = [];
  const relevant = file.comments.filter((c) => c.text.includes("slipway:ignore"));
  if (relevant.length === 0) return { suppressions, diagnostics };
  // Lines that hold nothing but a comment, so a run of them leads to the block below.
  const commentLines = new Set<number>();
  const codeStarts = new Map<number, SourceSpan>();
  for (const block of file.body.blocks) codeStarts.set(block.span.line, block.span);
  for (const comment of file.comments) {
    const startsLine = !file.body.blocks.some(
      (b) => b.span.line === comment.span.line && b.span.column < comment.span.column,
    );
    const attributeOnLine = file.body.attributes.some((a) => a.span.line === comment.span.line);
    if (startsLine && !attributeOnLine)
      for (let line = comment.span.line; line <= (comment.span.endLine ?? comment.span.line); line++)
        commentLines.add(line);
  }
  for (const comment of relevant) {
    const covers = coveredSpan(file, comment.span, commentLines, codeStarts);
    const result = parseSuppressionComment(
      comment.text.replace(/^(#|\/\/|\/\*)/, "").replace(/\*\/$/, ""),
      covers,
      {
        file: comment.span.file,
        line: comment.span.line,
        column: comment.span.column,
      },
    );
    if (!result) continue;
    if ("diagnostic" in result) diagnostics.push(result.diagnostic);
    else suppressions.push(...result.suppressions);
  }
  return { suppressions, diagnostics };
}

function coveredSpan(
  file: ParsedFile,
  comment: SourceSpan,
  commentLines: ReadonlySet<number>,
  blockStarts: ReadonlyMap<number, SourceSpan>,
): SourceSpan {
  const inside = file.body.blocks.find(
    (b) => b.span.line <= comment.line && (b.span.endLine ?? b.span.line) >= comment.line,
  );
  if (inside) return wholeLines(inside.span);
  let next = (comment.endLine ?? comment.line) + 1;
  while (commentLines.has(next) && !blockStarts.has(next)) next++;
  const below = blockStarts.get(next);
  if (below) return wholeLines(below);
  return {
    file: comment.file,
    line: comment.line,
    column: 1,
    endLine: (comment.endLine ?? comment.line) + 1,
  };
}

function wholeLines(span: SourceSpan): SourceSpan {
  return { file: span.file, line: span.line, column: 1, endLine: span.endLine ?? span.line };
}
