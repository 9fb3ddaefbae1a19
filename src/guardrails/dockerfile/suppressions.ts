import type { ScanDiagnostic, SourceSpan, Suppression } from "../model.js";
import { parseSuppressionComment } from "../suppression.js";
import type { DockerfileModel } from "./model.js";

/**
 * What a `# slipway:ignore RULE-ID reason` comment covers in a Dockerfile:
 * - directly above an instruction (only comment lines in between): that instruction, with its
 *   continuation lines and here-documents; above a FROM, the whole stage it starts;
 * - at the top of the file, before the first instruction and followed by a blank line: the
 *   whole file;
 * - inside an instruction's continuation lines: the line below it.
 * A suppression anywhere else covers nothing, and says so as a diagnostic.
 */
export function dockerfileSuppressions(model: DockerfileModel): {
  suppressions: Suppression[];
  diagnostics: ScanDiagnostic[];
} {
  const { parsed } = model;
  const lines = parsed.lines;
  const suppressions: Suppression[] = [];
  const diagnostics: ScanDiagnostic[] = [];
  const commentLines = new Set(parsed.comments.map((c) => c.line));
  const instructionAt = new Map(parsed.instructions.map((i) => [i.span.line, i]));
  const stageAt = new Map(model.stages.map((s) => [s.from.span.line, s]));
  const firstInstructionLine = parsed.instructions[0]?.span.line ?? Infinity;
  const lastLine = lines.lineCount;

  for (const comment of parsed.comments) {
    if (!comment.text.includes("slipway:ignore")) continue;
    let next = comment.line + 1;
    while (commentLines.has(next)) next++;
    const nextText =
      next <= lastLine
        ? lines.text.slice(lines.lineStart(next), next < lastLine ? lines.lineStart(next + 1) : undefined)
        : "";
    let covers: SourceSpan | undefined;
    if (comment.insideInstruction) covers = lines.lines(next, next);
    else if (nextText.trim() === "") {
      if (comment.line < firstInstructionLine) covers = lines.lines(1, lastLine);
    } else {
      const stage = stageAt.get(next);
      covers = stage ? stage.span : instructionAt.get(next)?.span;
    }
    const parsedComment = parseSuppressionComment(comment.text, covers ?? comment.span, comment.span);
    if (!parsedComment) continue;
    if ("diagnostic" in parsedComment) {
      diagnostics.push(parsedComment.diagnostic);
      continue;
    }
    if (!covers) {
      diagnostics.push({
        span: comment.span,
        message: "slipway:ignore covers nothing here",
        hint: "put it on the line directly above the instruction it silences, or at the top of the file followed by a blank line to silence the whole file",
      });
      continue;
    }
    suppressions.push(...parsedComment.suppressions);
  }
  return { suppressions, diagnostics };
}
