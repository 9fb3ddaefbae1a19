/**
 * Helm charts: templates are not YAML until rendered, so a directory with a Chart.yaml is rendered
 * with `helm template` and the output is checked. Helm prefixes each rendered document with
 * `# Source: <chart>/templates/<file>`, which names the template; positions inside it are
 * approximate (the document's n-th rendered line is reported as the template's n-th line), since
 * conditionals and includes shift lines and helm keeps no finer map.
 */
import { posix } from "node:path";
import type { ScanDiagnostic, SourceSpan, Suppression } from "../model.js";
import type { LFile, LNode } from "./yaml-tree.js";

export const CHART_FILE = "Chart.yaml";

/** Chart directories that are not inside another chart (subcharts render with their parent). */
export function topLevelCharts(paths: readonly string[]): string[] {
  const dirs = paths.filter((p) => posix.basename(p) === CHART_FILE).map((p) => posix.dirname(p));
  return dirs.filter((dir) => !dirs.some((other) => other !== dir && within(dir, other))).sort();
}

/** True when `path` is `dir` or below it ("." is the scan root). */
export function within(path: string, dir: string): boolean {
  return dir === "." || path === dir || path.startsWith(`${dir}/`);
}

const SOURCE = /^# Source: (.+?)\s*$/;

/**
 * Maps positions in helm's output to the templates: a line after `# Source: web/templates/x.yaml`
 * becomes a line of `<chart dir>/templates/x.yaml` (counted from that comment), clamped to the
 * template's length. Lines with no known template map to the chart's Chart.yaml.
 */
export function helmLineMapper(
  rendered: string,
  chartDir: string,
  lineCounts: ReadonlyMap<string, number>,
): (span: SourceSpan) => SourceSpan {
  const lines = rendered.split("\n");
  // For each rendered line, the `# Source:` comment in force: its line and the template it names.
  const sources: { line: number; file: string | undefined }[] = [];
  let current: { line: number; file: string | undefined } = { line: 0, file: undefined };
  for (let i = 0; i < lines.length; i++) {
    const match = SOURCE.exec(lines[i] ?? "");
    if (match) {
      const inChart = (match[1] ?? "").split("/").slice(1).join("/");
      const file = chartDir === "." ? inChart : `${chartDir}/${inChart}`;
      current = { line: i + 1, file: lineCounts.has(file) ? file : undefined };
    }
    sources.push(current);
  }
  const chartFile = chartDir === "." ? CHART_FILE : `${chartDir}/${CHART_FILE}`;
  const place = (line: number): { file: string; line: number } => {
    const source = sources[line - 1];
    if (!source?.file) return { file: chartFile, line: 1 };
    const length = lineCounts.get(source.file) ?? 1;
    return { file: source.file, line: Math.min(Math.max(1, line - source.line), length) };
  };
  return (span) => {
    const start = place(span.line);
    const end = place(span.endLine ?? span.line);
    return {
      file: start.file,
      line: start.line,
      column: span.column,
      endLine: end.file === start.file ? Math.max(end.line, start.line) : start.line,
      endColumn: end.file === start.file ? span.endColumn : undefined,
    };
  };
}

/** Applies a position mapping to every node of a parsed file, its suppressions and diagnostics. */
export function remapFile(
  file: LFile,
  map: (span: SourceSpan) => SourceSpan,
  suppressions: Suppression[],
  diagnostics: ScanDiagnostic[],
): void {
  const seen = new Set<LNode>();
  const visit = (node: LNode): void => {
    if (seen.has(node)) return;
    seen.add(node);
    node.span = map(node.span);
    if (node.kind === "map")
      for (const pair of node.pairs) {
        pair.keySpan = map(pair.keySpan);
        pair.span = map(pair.span);
        visit(pair.value);
      }
    else if (node.kind === "seq") node.items.forEach(visit);
  };
  for (const doc of file.docs) {
    doc.span = map(doc.span);
    if (doc.root) visit(doc.root);
  }
  for (const suppression of suppressions) suppression.span = map(suppression.span);
  for (const diagnostic of [...diagnostics, ...file.diagnostics]) diagnostic.span = map(diagnostic.span);
}
