import type { KeyboardEvent, MouseEvent, RefObject } from "react";
import { MAX_MATCHES } from "./search.js";

export interface LogToolbarProps {
  searchRef: RefObject<HTMLInputElement | null>;
  query: string;
  onQuery(query: string): void;
  /** Matches found, and which one is current (0-based; -1 with none). */
  count: number;
  truncated: boolean;
  current: number;
  onStep(direction: 1 | -1): void;
  showTime: boolean;
  onShowTime(show: boolean): void;
  hasGroups: boolean;
  onExpandAll(expand: boolean): void;
  downloadName: string;
  onDownload(event: MouseEvent<HTMLAnchorElement>): void;
}

export function LogToolbar(props: LogToolbarProps) {
  const { query, count, current } = props;
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "Enter") {
      event.preventDefault();
      props.onStep(event.shiftKey ? -1 : 1);
    } else if (event.key === "Escape") {
      // Handled here, not by the browser's clearing of search fields, which varies.
      event.preventDefault();
      props.onQuery("");
    }
  };
  const status =
    query === ""
      ? ""
      : count === 0
        ? "No matches"
        : `${current + 1} of ${props.truncated ? `${MAX_MATCHES}+` : count}`;
  return (
    <div className="slw-log__toolbar" role="toolbar" aria-label="Log tools">
      <div className="slw-log__search" role="search">
        <input
          ref={props.searchRef}
          type="search"
          className="slw-log__search-input"
          aria-label="Search the log"
          placeholder="Search (Ctrl+F)"
          value={query}
          onChange={(event) => props.onQuery(event.target.value)}
          onKeyDown={onKeyDown}
        />
        <span className="slw-log__count" aria-live="polite" aria-atomic="true">
          {status}
        </span>
        <button
          type="button"
          className="slw-log__button"
          aria-label="Previous match"
          title="Previous match (Shift+Enter)"
          disabled={count === 0}
          onClick={() => props.onStep(-1)}
        >
          ↑
        </button>
        <button
          type="button"
          className="slw-log__button"
          aria-label="Next match"
          title="Next match (Enter)"
          disabled={count === 0}
          onClick={() => props.onStep(1)}
        >
          ↓
        </button>
      </div>
      <div className="slw-log__actions">
        {/* Always there, disabled without groups: buttons appearing as lines arrive would shift the bar. */}
        <button
          type="button"
          className="slw-log__button"
          disabled={!props.hasGroups}
          onClick={() => props.onExpandAll(true)}
        >
          Expand all
        </button>
        <button
          type="button"
          className="slw-log__button"
          disabled={!props.hasGroups}
          onClick={() => props.onExpandAll(false)}
        >
          Collapse all
        </button>
        <button
          type="button"
          className="slw-log__button"
          aria-pressed={props.showTime}
          onClick={() => props.onShowTime(!props.showTime)}
        >
          Timestamps
        </button>
        {/* The file is made on click, from the lines at that moment: a live log keeps growing. */}
        <a className="slw-log__button" href="#" download={props.downloadName} onClick={props.onDownload}>
          Download
        </a>
      </div>
    </div>
  );
}
