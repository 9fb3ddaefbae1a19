import type { LogModel } from "./log-model.js";

/** A match in one line: offsets in the line's plain text, and its position among all matches. */
export interface LineMatch {
  start: number;
  end: number;
  index: number;
}

/** Matches kept at most; the count says "100000+" beyond. */
export const MAX_MATCHES = 100_000;

const NO_MATCHES: readonly LineMatch[] = [];

/** What a search found; a new object whenever the results change, so rows can compare it. */
export interface SearchResults {
  readonly query: string;
  readonly count: number;
  /** True when there were more than {@link MAX_MATCHES}. */
  readonly truncated: boolean;
  /** The line of the `index`-th match. */
  lineOf(index: number): number;
  /** The first match at or after `line`, wrapping to the first; -1 with no matches. */
  firstFrom(line: number): number;
  /** The matches in one line (the same array while the results are the same). */
  inLine(line: number): readonly LineMatch[];
}

/**
 * Case-insensitive search over every line, collapsed groups included, in what the reader sees
 * (colours and markers removed). Incremental: while the log only grows and the query stays,
 * only new lines are searched, so a live log with an active search stays cheap.
 */
export class LogSearch {
  #query = "";
  #generation = -1;
  #searched = 0;
  #lines: number[] = [];
  #starts: number[] = [];
  #ends: number[] = [];
  #truncated = false;
  #results: SearchResults = this.#snapshot();

  update(model: LogModel, query: string): SearchResults {
    if (query !== this.#query || model.generation !== this.#generation || model.length < this.#searched) {
      this.#query = query;
      this.#generation = model.generation;
      this.#searched = 0;
      this.#lines = [];
      this.#starts = [];
      this.#ends = [];
      this.#truncated = false;
      this.#results = this.#snapshot();
    }
    if (this.#searched === model.length) return this.#results;
    const before = this.#lines.length;
    if (query !== "") this.#scan(model, query);
    this.#searched = model.length;
    if (this.#lines.length !== before || this.#results.query !== query) this.#results = this.#snapshot();
    return this.#results;
  }

  #scan(model: LogModel, query: string): void {
    const pattern = new RegExp(query.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gi");
    for (let line = this.#searched; line < model.length; line++) {
      if (model.kind(line) === "endgroup") continue;
      const text = model.plain(line);
      pattern.lastIndex = 0;
      for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
        if (this.#lines.length === MAX_MATCHES) {
          this.#truncated = true;
          return;
        }
        this.#lines.push(line);
        this.#starts.push(match.index);
        this.#ends.push(match.index + match[0].length);
      }
    }
  }

  #snapshot(): SearchResults {
    const lines = this.#lines;
    const starts = this.#starts;
    const ends = this.#ends;
    const count = lines.length;
    const perLine = new Map<number, readonly LineMatch[]>();
    /** The first match in `line` or after it; `count` when there is none. */
    const firstAtOrAfter = (line: number): number => {
      let low = 0;
      let high = count;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (lines[middle]! < line) low = middle + 1;
        else high = middle;
      }
      return low;
    };
    return {
      query: this.#query,
      count,
      truncated: this.#truncated,
      lineOf: (index) => lines[index] ?? -1,
      firstFrom: (line) => {
        if (count === 0) return -1;
        const index = firstAtOrAfter(line);
        return index === count ? 0 : index;
      },
      inLine: (line) => {
        let found = perLine.get(line);
        if (found === undefined) {
          const matches: LineMatch[] = [];
          for (let index = firstAtOrAfter(line); index < count && lines[index] === line; index++) {
            matches.push({ start: starts[index]!, end: ends[index]!, index });
          }
          found = matches.length === 0 ? NO_MATCHES : matches;
          perLine.set(line, found);
        }
        return found;
      },
    };
  }
}
