import type { RuleMeta, SourceFile, SourceSpan } from "../model.js";
import type { AllowList } from "./allow-list.js";
import { shannonEntropy } from "./entropy.js";
import { LineIndex } from "../source-text.js";
import { isPlaceholder, isReference } from "./placeholders.js";

/** What a detector found in a file: the secret's value and where it is. */
export interface SecretMatch {
  value: string;
  /** Offsets in the file's text of what the finding points at (usually the value itself). */
  start: number;
  end: number;
  /** The name the value is assigned to, when there is one (`DB_PASSWORD`, `aws_secret_access_key`). */
  key?: string | undefined;
  /** More about the finding, appended to the message ("signed with HS256"). */
  detail?: string | undefined;
  /** A more precise name than the detector's, e.g. from the token's prefix. */
  kind?: string | undefined;
}

/**
 * One way a secret shows up in text. The pattern only runs on files that contain one of the
 * keywords, found by a single pass over each file for all detectors together: most files
 * contain none, and those cost one scan instead of one per pattern.
 */
export interface SecretDetector {
  /** What the secret is, as the message names it: "GitHub personal access token". */
  kind: string;
  /** Lower-case literals, one of which every match contains. Empty: the pattern always runs. */
  keywords: readonly string[];
  /** A global regex with indices (`gd`); by default the `secret` group is the value and `key` its name. */
  pattern: RegExp;
  extract?: ((match: RegExpExecArray, text: string, path: string) => SecretMatch | undefined) | undefined;
  /** Checks that need more than the pattern: a checksum, a decoded header, a nearby key id. */
  accept?: ((found: SecretMatch, text: string) => boolean) | undefined;
  /** Lowest Shannon entropy (bits per character) of a real value of this kind. */
  minEntropy?: number | undefined;
  /** Lines around each keyword that a match may span or need (default 0: the keyword's line). */
  contextLines?: number | undefined;
  /**
   * How specific a match is: 0 (the default) for a provider's own format, 1 for a match that
   * relies on context (a password in a URL, a registry credential, a PEM block), 2 for a generic
   * `password = ...` assignment. Where matches of different rules overlap, only the most
   * specific stays, so one secret gives one finding with the most precise name.
   */
  rank?: 0 | 1 | 2 | undefined;
}

export interface SecretRule extends RuleMeta {
  detectors: readonly SecretDetector[];
}

export interface Candidate extends Omit<SecretMatch, "kind"> {
  ruleId: string;
  kind: string;
  span: SourceSpan;
  rank: number;
}

/** The detectors of the rules that may report, with the keyword index shared by all files of a scan. */
export class DetectionPlan {
  private readonly entries: { rule: SecretRule; detector: SecretDetector }[] = [];
  private readonly byKeyword = new Map<string, number[]>();
  private readonly always: number[] = [];
  private readonly triggers = new Map<string, number[]>();
  private readonly keywordPattern: RegExp | undefined;

  constructor(rules: readonly SecretRule[]) {
    for (const rule of rules)
      for (const detector of rule.detectors) {
        const index = this.entries.push({ rule, detector }) - 1;
        if (detector.keywords.length === 0) this.always.push(index);
        for (const keyword of detector.keywords) {
          const list = this.byKeyword.get(keyword) ?? [];
          list.push(index);
          this.byKeyword.set(keyword, list);
        }
      }
    const keywords = [...this.byKeyword.keys()].sort((a, b) => b.length - a.length);
    // The alternation matches the longest keyword at a position; the shorter ones it contains
    // (`_password` holds `password`) must fire too.
    for (const keyword of keywords)
      this.triggers.set(keyword, [
        ...new Set(keywords.filter((k) => keyword.includes(k)).flatMap((k) => this.byKeyword.get(k) ?? [])),
      ]);
    this.keywordPattern =
      keywords.length > 0 ? new RegExp(keywords.map(escapeRegExp).join("|"), "gi") : undefined;
  }

  /** Every candidate secret in one file, before comments and suppressions are considered. */
  detect(file: SourceFile, allow: AllowList): Candidate[] {
    const { text } = file;
    const hits = new Map<number, number[]>();
    if (this.keywordPattern) {
      this.keywordPattern.lastIndex = 0;
      for (let m = this.keywordPattern.exec(text); m; m = this.keywordPattern.exec(text)) {
        for (const index of this.triggers.get(m[0].toLowerCase()) ?? []) {
          const positions = hits.get(index);
          if (positions) positions.push(m.index);
          else hits.set(index, [m.index]);
        }
        // A keyword may begin inside the one just matched: look again from the next character.
        this.keywordPattern.lastIndex = m.index + 1;
      }
    }
    for (const index of this.always) hits.set(index, []);
    if (hits.size === 0) return [];

    const found: Omit<Candidate, "span">[] = [];
    for (const index of [...hits.keys()].sort((a, b) => a - b)) {
      const entry = this.entries[index];
      if (!entry) continue;
      const { rule, detector } = entry;
      const ranges =
        detector.keywords.length === 0
          ? [{ start: 0, end: text.length }]
          : lineRanges(text, hits.get(index) ?? [], detector.contextLines ?? 0);
      for (const range of ranges) {
        // Only the lines around a keyword are searched: a pattern never scans text that cannot match.
        const slice = text.slice(range.start, range.end);
        const { pattern } = detector;
        pattern.lastIndex = 0;
        for (let m = pattern.exec(slice); m; m = pattern.exec(slice)) {
          if (m[0].length === 0) pattern.lastIndex++;
          shift(m, range.start);
          const match = detector.extract ? detector.extract(m, text, file.path) : fromGroups(m);
          if (!match || match.value.length === 0) continue;
          if (isPlaceholder(match.value) || isReference(match.value) || allow.allowsValue(match.value))
            continue;
          if (detector.minEntropy !== undefined && shannonEntropy(match.value) < detector.minEntropy)
            continue;
          if (detector.accept && !detector.accept(match, text)) continue;
          found.push({
            ...match,
            ruleId: rule.id,
            kind: match.kind ?? detector.kind,
            rank: detector.rank ?? 0,
          });
        }
      }
    }
    if (found.length === 0) return [];

    const kept = resolveOverlaps(found);
    const lines = new LineIndex(file.path, text);
    return kept.map((candidate) => ({ ...candidate, span: lines.span(candidate.start, candidate.end) }));
  }
}

/** The lines holding the given offsets, widened by `context` lines each way, merged. */
function lineRanges(
  text: string,
  offsets: readonly number[],
  context: number,
): { start: number; end: number }[] {
  const ranges: { start: number; end: number }[] = [];
  for (const offset of offsets) {
    const last = ranges.at(-1);
    if (last && offset < last.end) continue;
    let start = offset;
    for (let i = 0; i <= context && start > 0; i++) start = text.lastIndexOf("\n", start - 1) + 1 || 0;
    let end = offset;
    for (let i = 0; i <= context && end < text.length; i++) {
      const next = text.indexOf("\n", end + (i === 0 ? 0 : 1));
      end = next === -1 ? text.length : next;
    }
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else ranges.push({ start, end });
  }
  return ranges;
}

/** Moves a match found in a slice to the offsets of the whole text. */
function shift(m: RegExpExecArray, by: number): void {
  if (by === 0) return;
  m.index += by;
  if (!m.indices) return;
  // Named groups share their index pairs with the numbered ones: move each pair once.
  const moved = new Set<[number, number]>();
  for (const pair of [...m.indices, ...Object.values(m.indices.groups ?? {})]) {
    if (!pair || moved.has(pair)) continue;
    moved.add(pair);
    pair[0] += by;
    pair[1] += by;
  }
}

function fromGroups(m: RegExpExecArray): SecretMatch | undefined {
  const range = m.indices?.groups?.["secret"];
  const value = m.groups?.["secret"];
  if (!range || value === undefined) return undefined;
  return { value, start: range[0], end: range[1], key: m.groups?.["key"] };
}

/**
 * One finding per secret: where matches of different rules overlap, the less specific yield;
 * where the same rule matched overlapping text twice, the first stays. A sweep over the matches
 * in order of position, so a file with thousands of matches stays linear in practice.
 */
function resolveOverlaps<T extends { start: number; end: number; ruleId: string; rank: number }>(
  found: T[],
): T[] {
  const sorted = [...found].sort((a, b) => a.start - b.start || a.rank - b.rank);
  const beaten = new Set<T>();
  let open: T[] = [];
  for (const candidate of sorted) {
    open = open.filter((other) => other.end > candidate.start);
    for (const other of open) {
      if (other.rank < candidate.rank) beaten.add(candidate);
      else if (candidate.rank < other.rank) beaten.add(other);
    }
    open.push(candidate);
  }
  const kept: T[] = [];
  open = [];
  for (const candidate of sorted) {
    if (beaten.has(candidate)) continue;
    open = open.filter((other) => other.end > candidate.start);
    if (open.some((other) => other.ruleId === candidate.ruleId)) continue;
    open.push(candidate);
    kept.push(candidate);
  }
  return kept;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
