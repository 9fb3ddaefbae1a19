import type { ScanDiagnostic, SourceFile, Suppression } from "../model.js";
import { parseSuppressionComment } from "../suppression.js";

/**
 * Secrets live in every kind of file, so a suppression may be written in any comment syntax:
 * `#`, `//`, `--`, `;`, `/* *\/`, `<!-- -->`, or a `*` continuation line of a block comment.
 * The marker must follow the comment opener, so a string that merely mentions it does not count.
 */
const COMMENTED_MARKER = /(^\s*\*|#|\/\/|--|\/\*|<!--|;)\s*slipway:ignore\b/;
const CLOSER = /\s*(?:\*\/|-->)\s*$/;

/**
 * `slipway:ignore SECRET-NNN reason` covers its own line; alone on its line, it also covers the
 * next one. Only `SECRET-` ids and `*` are taken: other ids belong to the framework that owns the
 * file, which reads the same comment, and malformed comments are reported here only when they
 * name a secret rule, so one mistake gives one diagnostic.
 */
export function findSuppressions(file: SourceFile): {
  suppressions: Suppression[];
  diagnostics: ScanDiagnostic[];
} {
  const suppressions: Suppression[] = [];
  const diagnostics: ScanDiagnostic[] = [];
  const { text } = file;
  if (!text.includes("slipway:ignore")) return { suppressions, diagnostics };
  const lines = text.split("\n");
  lines.forEach((raw, index) => {
    if (!raw.includes("slipway:ignore")) return;
    const lineText = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const opener = COMMENTED_MARKER.exec(lineText);
    if (!opener) return;
    const line = index + 1;
    const openerColumn = opener.index + (opener[1]?.search(/\S/) ?? 0);
    const markerStart = lineText.indexOf("slipway:ignore", opener.index);
    const comment = lineText.slice(markerStart).replace(CLOSER, "");
    const standalone = lineText.slice(0, openerColumn).trim() === "";
    const covers = { file: file.path, line, column: 1, endLine: standalone ? line + 1 : line };
    const at = { file: file.path, line, column: markerStart + 1 };
    const parsed = parseSuppressionComment(comment, covers, at);
    if (!parsed) return;
    if ("diagnostic" in parsed) {
      if (comment.includes("SECRET-")) diagnostics.push(parsed.diagnostic);
      return;
    }
    suppressions.push(
      ...parsed.suppressions.filter((s) => s.ruleId === "*" || s.ruleId.startsWith("SECRET-")),
    );
  });
  return { suppressions, diagnostics };
}
