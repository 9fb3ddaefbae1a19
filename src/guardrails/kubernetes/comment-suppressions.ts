/**
 * `# slipway:ignore RULE-ID [expires=YYYY-MM-DD] reason` comments in YAML files.
 *
 * A comment on its own line covers the node that starts on the next line holding content: a
 * document when the comment is above it (above `---` or above the document's first key), a key
 * with everything nested below it, or a sequence item (`- name: app` covers that container).
 * A comment at the end of a line covers the node that starts on that line.
 */
import type { ScanDiagnostic, SourceSpan, Suppression } from "../model.js";
import { parseSuppressionComment } from "../suppression.js";
import type { LFile, LNode } from "./yaml-tree.js";

const COMMENT = /(^|\s)#\s*(slipway:ignore\b.*)$/;

export interface CommentSuppressions {
  suppressions: Suppression[];
  diagnostics: ScanDiagnostic[];
}

export function commentSuppressions(file: LFile): CommentSuppressions {
  const out: CommentSuppressions = { suppressions: [], diagnostics: [] };
  if (!file.text.includes("slipway:ignore")) return out;
  const lines = file.text.split("\n");
  const starts = nodeStarts(file);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (!line.includes("slipway:ignore")) continue;
    const match = COMMENT.exec(line);
    if (!match) continue;
    const hash = match.index + (match[1] ?? "").length;
    const trailing = line.slice(0, hash).trim() !== "";
    const target = trailing ? i + 1 : nextContentLine(lines, i + 1);
    const covers: SourceSpan = (target !== undefined ? starts.get(target) : undefined) ?? {
      file: file.path,
      line: target ?? i + 1,
      column: 1,
      endLine: target ?? i + 1,
    };
    const at: SourceSpan = { file: file.path, line: i + 1, column: hash + 1 };
    const parsed = parseSuppressionComment(match[2] ?? "", covers, at);
    if (!parsed) continue;
    if ("diagnostic" in parsed) out.diagnostics.push(parsed.diagnostic);
    else out.suppressions.push(...parsed.suppressions);
  }
  return out;
}

/** The 1-based number of the first line from index `from` that holds YAML content. */
function nextContentLine(lines: readonly string[], from: number): number | undefined {
  for (let j = from; j < lines.length; j++) {
    const trimmed = (lines[j] ?? "").trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    // A document marker alone: the comment is about the document that follows it.
    if (trimmed === "---" || trimmed.startsWith("--- #")) continue;
    return j + 1;
  }
  return undefined;
}

/**
 * For each line, what a comment there means: the document that starts on it, else the sequence
 * item (a container, a rule), else the key. Collections also start on their first key's line, so
 * preferring the larger node would make a comment above one key cover all its siblings.
 */
function nodeStarts(file: LFile): Map<number, SourceSpan> {
  const documents = new Map<number, SourceSpan>();
  const itemStarts = new Map<number, SourceSpan>();
  const keys = new Map<number, SourceSpan>();
  const first = (map: Map<number, SourceSpan>, span: SourceSpan): void => {
    if (span.file === file.path && !map.has(span.line)) map.set(span.line, span);
  };
  const seen = new Set<LNode>();
  const visit = (node: LNode): void => {
    if (seen.has(node)) return;
    seen.add(node);
    if (node.kind === "map")
      for (const pair of node.pairs) {
        first(keys, pair.span);
        visit(pair.value);
      }
    else if (node.kind === "seq")
      for (const item of node.items) {
        first(itemStarts, item.span);
        visit(item);
      }
  };
  for (const doc of file.docs) {
    first(documents, doc.span);
    if (doc.root) visit(doc.root);
  }
  const starts = new Map(keys);
  for (const [line, span] of itemStarts) starts.set(line, span);
  for (const [line, span] of documents) starts.set(line, span);
  return starts;
}
