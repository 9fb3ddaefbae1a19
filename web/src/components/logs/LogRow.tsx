import { memo, type MouseEvent, type ReactNode } from "react";
import type { AnsiSegment } from "./ansi.js";
import type { LineKind } from "./log-model.js";
import { timeOfDay } from "./log-text.js";
import type { LineMatch } from "./search.js";
import type { LogLine } from "./types.js";

/** Row height in pixels; the stylesheet gets it as --slw-log-row. One height is what keeps scrolling cheap. */
export const ROW_HEIGHT = 20;

/** What a row reports; one stable object for every row, so rows stay memoized. */
export interface RowActions {
  /** A click on the row: makes it the current row, opens or closes a group. */
  activate(index: number): void;
  /** A click on the line number. */
  number(index: number, event: MouseEvent<HTMLElement>): void;
}

export interface LogRowProps {
  id: string;
  index: number;
  line: LogLine;
  kind: LineKind;
  depth: number;
  segments: readonly AnsiSegment[];
  matches: readonly LineMatch[];
  /** The position of the current match if it is in this row, else -1. */
  current: number;
  /** For group lines: open or not. */
  expanded: boolean | undefined;
  top: number;
  showTime: boolean;
  highlighted: boolean;
  active: boolean;
  /** The first line of an attempt after another one. */
  attemptStart: boolean;
  href: string | undefined;
  actions: RowActions;
}

const LABEL: Partial<Record<LineKind, string>> = {
  error: "Error",
  warning: "Warning",
  notice: "Notice",
  debug: "Debug",
};

function LogRowView(props: LogRowProps) {
  const { id, index, line, kind, depth, expanded, top, showTime, href, actions } = props;
  const number = index + 1;
  const classes = ["slw-log__row", `slw-log__row--${kind}`];
  if (line.stream !== "stdout") classes.push(`slw-log__row--${line.stream}`);
  if (props.highlighted) classes.push("is-highlighted");
  if (props.active) classes.push("is-active");
  if (props.attemptStart) classes.push("slw-log__row--attempt");
  const label = LABEL[kind];
  const iso = showTime ? new Date(line.at).toISOString() : "";
  return (
    <div
      id={id}
      role="treeitem"
      aria-level={depth + 1}
      aria-expanded={expanded}
      aria-current={props.highlighted ? "location" : undefined}
      aria-selected={props.active}
      className={classes.join(" ")}
      data-line={number}
      title={props.attemptStart ? `attempt ${line.attempt ?? ""}` : undefined}
      style={{ transform: `translateY(${top}px)` }}
      onClick={() => actions.activate(index)}
    >
      {href !== undefined ? (
        <a
          className="slw-log__number"
          href={href}
          tabIndex={-1}
          onClick={(event) => actions.number(index, event)}
        >
          {number}
        </a>
      ) : (
        <button
          type="button"
          className="slw-log__number"
          tabIndex={-1}
          onClick={(event) => actions.number(index, event)}
        >
          {number}
        </button>
      )}
      {showTime && (
        <time className="slw-log__time" dateTime={iso} title={iso}>
          {timeOfDay(line.at)}
        </time>
      )}
      <span className="slw-log__text" style={depth > 0 ? { paddingLeft: `${depth * 2}ch` } : undefined}>
        {kind === "group" && (
          <span className="slw-log__toggle" aria-hidden="true">
            {expanded ? "▾" : "▸"}
          </span>
        )}
        {line.stream === "system" && <span className="slw-log__label">slipway </span>}
        {label !== undefined && <span className="slw-log__label">{label}: </span>}
        {renderText(props.segments, props.matches, props.current)}
      </span>
    </div>
  );
}

export const LogRow = memo(LogRowView);

/** The runs of the line, with matches cut out of them as <mark>s (a match may span runs). */
function renderText(
  segments: readonly AnsiSegment[],
  matches: readonly LineMatch[],
  current: number,
): ReactNode[] {
  const nodes: ReactNode[] = [];
  let offset = 0;
  let next = 0;
  for (const segment of segments) {
    const start = offset;
    const end = offset + segment.text.length;
    let at = start;
    while (at < end) {
      while (next < matches.length && matches[next]!.end <= at) next++;
      const match = matches[next];
      if (match === undefined || match.start >= end) {
        nodes.push(styled(segment, segment.text.slice(at - start), nodes.length));
        break;
      }
      if (match.start > at) {
        nodes.push(styled(segment, segment.text.slice(at - start, match.start - start), nodes.length));
        at = match.start;
      }
      const stop = Math.min(match.end, end);
      nodes.push(
        <mark
          key={nodes.length}
          className={match.index === current ? "slw-log__match is-current" : "slw-log__match"}
        >
          {styled(segment, segment.text.slice(at - start, stop - start), 0)}
        </mark>,
      );
      at = stop;
    }
    offset = end;
  }
  return nodes;
}

function styled(segment: AnsiSegment, text: string, key: number): ReactNode {
  if (segment.className === undefined && segment.style === undefined) return text;
  return (
    <span key={key} className={segment.className} style={segment.style}>
      {text}
    </span>
  );
}
