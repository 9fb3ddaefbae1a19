import type { ScanDiagnostic, SourceSpan, Suppression } from "../model.js";
import { parseSuppressionComment } from "../suppression.js";
import { offsetSpan, type YamlFile, type YNode } from "./yaml-tree.js";

export interface YamlSuppressionOptions {
  /**
   * Whether a suppression comment at the very top of the file (before any content) covers the
   * whole file always, or only when a blank line separates it from the content.
   */
  topOfFile: "always" | "blank-line";
  /** Replaces what a comment above a node covers (GitHub Actions: `jobs:` covers the file). */
  widen?: (
    target: { key: string | undefined; depth: number; span: SourceSpan },
    whole: SourceSpan,
  ) => SourceSpan;
}

interface Target {
  key: string | undefined;
  depth: number;
  span: SourceSpan;
}

/**
 * What `# slipway:ignore RULE-ID reason` covers in a YAML file:
 * - a comment line directly above a mapping key or a list item (only comment lines between)
 *   covers that key or item with everything nested in it: a job, a step, a variable;
 * - a comment at the end of a line covers that line;
 * - a `#` line inside a block scalar (a shell comment in `run: |`) covers the script line below;
 * - at the top of the file, the whole file (see `topOfFile`).
 * A suppression that covers nothing is reported as a diagnostic.
 */
export function yamlSuppressions(
  file: YamlFile,
  options: YamlSuppressionOptions,
): { suppressions: Suppression[]; diagnostics: ScanDiagnostic[] } {
  const suppressions: Suppression[] = [];
  const diagnostics: ScanDiagnostic[] = [];
  if (!file.text.includes("slipway:ignore")) return { suppressions, diagnostics };

  const lines = file.lines;
  const rows = file.text.split("\n");
  const targets = new Map<number, Target>();
  const blockLines = new Set<number>();
  for (const root of file.documents) index(file, root, 0, targets, blockLines);
  const whole = lines.lines(1, lines.lineCount);
  const firstContent =
    rows.findIndex((row) => row.trim() !== "" && !row.trim().startsWith("#") && row.trim() !== "---") + 1 ||
    Infinity;
  const isComment = (line: number): boolean =>
    !blockLines.has(line) && (rows[line - 1]?.trim().startsWith("#") ?? false);

  rows.forEach((row, i) => {
    const line = i + 1;
    const marker = row.indexOf("slipway:ignore");
    if (marker < 0) return;
    const hash = commentStart(row, marker);
    if (hash < 0) return;
    const trimmed = row.trimStart();
    const at = lines.span(
      lines.lineStart(line) + hash,
      lines.lineStart(line) + row.replace(/\r$/, "").length,
    );
    const text = row.slice(hash);
    let covers: SourceSpan | undefined;
    if (!trimmed.startsWith("#")) covers = lines.lines(line, line);
    else if (blockLines.has(line)) {
      let next = line + 1;
      while (blockLines.has(next) && rows[next - 1]?.trim().startsWith("#")) next++;
      covers = lines.lines(next, next);
    } else {
      let next = line + 1;
      while (isComment(next)) next++;
      const nextRow = rows[next - 1]?.trim() ?? "";
      if (line < firstContent && (options.topOfFile === "always" || nextRow === "")) covers = whole;
      else if (nextRow !== "") {
        const target = targets.get(next);
        if (target) covers = options.widen ? options.widen(target, whole) : target.span;
      }
    }
    const parsed = parseSuppressionComment(text, covers ?? at, at);
    if (!parsed) return;
    if ("diagnostic" in parsed) {
      diagnostics.push(parsed.diagnostic);
      return;
    }
    if (!covers) {
      diagnostics.push({
        span: at,
        message: "slipway:ignore covers nothing here",
        hint: "put it on the line directly above the key or list item it silences, or at the end of the offending line",
      });
      return;
    }
    suppressions.push(...parsed.suppressions);
  });
  return { suppressions, diagnostics };
}

/** Where the comment holding `marker` starts: a `#` at the line start or after a blank, outside quotes. */
function commentStart(row: string, marker: number): number {
  let quote: string | undefined;
  for (let i = 0; i < marker; i++) {
    const c = row[i];
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if ((c === '"' || c === "'") && (i === 0 || /[\s:[{,-]/.test(row[i - 1] ?? ""))) quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(row[i - 1] ?? ""))) return i;
  }
  return -1;
}

/** Registers, for each line, the outermost key or list item starting on it; and block scalar lines. */
function index(
  file: YamlFile,
  node: YNode,
  depth: number,
  targets: Map<number, Target>,
  blockLines: Set<number>,
  seen = new Set<YNode>(),
): void {
  // Aliases make the tree a graph; each node is indexed once, where it is written.
  if (seen.has(node)) return;
  seen.add(node);
  if (node.kind === "scalar") {
    if (node.style.startsWith("BLOCK")) {
      const first = file.lines.position(node.start).line + 1;
      const last = file.lines.position(Math.max(node.start, node.end - 1)).line;
      for (let line = first; line <= last; line++) blockLines.add(line);
    }
    return;
  }
  if (node.kind === "seq") {
    for (const item of node.items) {
      const line = file.lines.position(item.start).line;
      if (!targets.has(line))
        targets.set(line, { key: undefined, depth, span: offsetSpan(file, item.start, item.end) });
      index(file, item, depth + 1, targets, blockLines, seen);
    }
    return;
  }
  for (const pair of node.pairs) {
    // Merged pairs (`<<: *defaults`) live elsewhere in the file; they are indexed where written.
    if (pair.keyStart < node.start || pair.keyStart > node.end) continue;
    const line = file.lines.position(pair.keyStart).line;
    if (!targets.has(line))
      targets.set(line, { key: pair.key, depth, span: offsetSpan(file, pair.keyStart, pair.end) });
    index(file, pair.value, depth + 1, targets, blockLines, seen);
  }
}
