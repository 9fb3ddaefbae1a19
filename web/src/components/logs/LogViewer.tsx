import { observeElementRect, useVirtualizer, type Rect, type Virtualizer } from "@tanstack/react-virtual";
import {
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type CSSProperties,
  type KeyboardEvent,
  type MouseEvent,
} from "react";
import { AnnotationList } from "./AnnotationList.js";
import { locateAnnotations } from "./annotations.js";
import { LogModel, rowOf, visibleLines } from "./log-model.js";
import { logText } from "./log-text.js";
import { LogRow, ROW_HEIGHT, type RowActions } from "./LogRow.js";
import { LogToolbar } from "./LogToolbar.js";
import { LogSearch } from "./search.js";
import { StepSummary } from "./StepSummary.js";
import type { Annotation, LogViewerProps } from "./types.js";
import "./logs.css";

const DEFAULT_HEIGHT = "min(70vh, 48rem)";
/** Rows rendered above and below the visible ones, so fast scrolling shows no gaps. */
const OVERSCAN = 20;
/** Height assumed when the log has no layout (hidden, or a DOM without layout): a screenful. */
const UNMEASURED_HEIGHT = 600;
const NO_ANNOTATIONS: readonly Annotation[] = [];
const NO_OVERRIDES: ReadonlyMap<number, boolean> = new Map();
const estimateSize = () => ROW_HEIGHT;

/** Groups opened or closed by the reader, by line index, for one generation of the log. */
interface Overrides {
  generation: number;
  map: ReadonlyMap<number, boolean>;
}

/** A line to bring into view once the rows showing it are rendered. */
interface PendingScroll {
  line: number;
  align: "center" | "auto";
  /** Renders waited for its groups to open. */
  waited: number;
}

/**
 * A step's log: virtualized rows of one fixed height (50,000 lines scroll like 50), ANSI colours,
 * collapsible `##[group]`s, search, timestamps, links to lines, download, with the step's
 * annotations and summary above it. See {@link LogViewerProps} for how a live log is fed.
 *
 * Keyboard: the log is one tab stop (a tree). Up/Down, PageUp/PageDown, Home/End move the
 * current line; Right/Left open and close groups; Enter opens a group or links the line.
 * Ctrl/Cmd+F anywhere in the viewer goes to its search box; there Enter and Shift+Enter step
 * through matches and Escape clears the search.
 */
export function LogViewer(props: LogViewerProps) {
  const {
    lines,
    live = false,
    highlight,
    onLineLink,
    lineHref,
    summary,
    downloadName = "log.txt",
    height = DEFAULT_HEIGHT,
    label = "Log",
    defaultTimestamps = false,
  } = props;
  const annotations = props.annotations ?? NO_ANNOTATIONS;
  const id = useId();
  const scrollerRef = useRef<HTMLDivElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);

  const [model] = useState(() => new LogModel());
  const previous = { generation: model.generation, open: model.openGroups() };
  model.sync(lines);
  const { generation, version } = model;

  const [overrides, setOverrides] = useState<Overrides>({ generation, map: NO_OVERRIDES });
  const expandedBy = overrides.generation === generation ? overrides.map : NO_OVERRIDES;
  const [query, setQuery] = useState("");
  const [current, setCurrent] = useState(0);
  const [active, setActive] = useState<{ generation: number; line: number } | undefined>(undefined);
  const [showTime, setShowTime] = useState(defaultTimestamps);
  const [following, setFollowing] = useState(live && highlight === undefined);
  const followingRef = useRef(following);
  const pending = useRef<PendingScroll | undefined>(undefined);

  // A group being written shows open while the step runs. When it ends while the reader is
  // looking further up (maybe inside it), it stays open: closing it would pull the lines away.
  const keptOpen = useRef({ generation, groups: new Set<number>() });
  if (keptOpen.current.generation !== generation) keptOpen.current = { generation, groups: new Set() };
  if (live && !followingRef.current && previous.generation === generation) {
    for (const group of previous.open)
      if (model.groupEnd(group) !== undefined) keptOpen.current.groups.add(group);
  }

  const [search] = useState(() => new LogSearch());
  const results = search.update(model, query);
  const currentMatch = results.count === 0 ? -1 : Math.min(current, results.count - 1);
  const matchLine = currentMatch >= 0 ? results.lineOf(currentMatch) : undefined;
  const highlightLine =
    highlight !== undefined && Number.isInteger(highlight) && highlight >= 1 && highlight <= model.length
      ? highlight - 1
      : undefined;
  const activeLine =
    active?.generation === generation && active.line < model.length ? active.line : undefined;

  // The groups holding the highlighted line, the current match and the current line are open
  // unless the reader closed them.
  const revealed = new Set<number>();
  for (const line of [highlightLine, matchLine, activeLine]) {
    if (line !== undefined) for (const group of model.ancestors(line)) revealed.add(group);
  }
  const revealKey = [...revealed].join(",");
  const isExpanded = (group: number): boolean =>
    expandedBy.get(group) ??
    (revealed.has(group) ||
      keptOpen.current.groups.has(group) ||
      (live && model.groupEnd(group) === undefined));
  // Recomputed when the lines or the open groups change (isExpanded depends on nothing else),
  // never while scrolling.
  const rows = useMemo(() => visibleLines(model, isExpanded), [model, version, expandedBy, revealKey, live]);

  const virtualizer = useVirtualizer<HTMLDivElement, HTMLDivElement>({
    count: rows.length,
    getScrollElement: () => scrollerRef.current,
    estimateSize,
    overscan: OVERSCAN,
    initialRect: { width: 0, height: typeof height === "number" ? height : UNMEASURED_HEIGHT },
    observeElementRect: observeRectOrScreenful,
  });

  const located = useMemo(() => locateAnnotations(model, annotations), [model, version, annotations]);

  // Follow the end of a live log while the reader is at the bottom, before the browser paints.
  useLayoutEffect(() => {
    const scroller = scrollerRef.current;
    if (live && followingRef.current && scroller) scroller.scrollTop = scroller.scrollHeight;
  }, [live, rows]);

  const revealLine = (line: number, align: PendingScroll["align"]) => {
    const closed = model.ancestors(line).filter((group) => expandedBy.get(group) === false);
    if (closed.length > 0) {
      setOverrides((prior) => {
        const map = new Map(prior.generation === generation ? prior.map : NO_OVERRIDES);
        for (const group of closed) map.delete(group);
        return { generation, map };
      });
    }
    pending.current = { line, align, waited: 0 };
    if (followingRef.current) {
      followingRef.current = false;
      setFollowing(false);
    }
  };

  const highlighted = useRef<string | undefined>(undefined);
  useLayoutEffect(() => {
    if (highlightLine === undefined) return;
    const key = `${generation}:${highlightLine}`;
    if (highlighted.current === key) return;
    highlighted.current = key;
    revealLine(highlightLine, "center");
  });

  // After every render: scroll to a line asked for, once the rows show it.
  useLayoutEffect(() => {
    const target = pending.current;
    if (target === undefined || rows.length === 0) return;
    const row = rowOf(rows, target.line);
    if (rows[row] !== target.line && model.kind(target.line) !== "endgroup" && target.waited < 2) {
      target.waited++;
      return;
    }
    pending.current = undefined;
    virtualizer.scrollToIndex(row, { align: target.align });
  });

  const downloadUrl = useRef<string | undefined>(undefined);
  useEffect(
    () => () => {
      if (downloadUrl.current !== undefined) URL.revokeObjectURL(downloadUrl.current);
    },
    [],
  );

  const setExpanded = (group: number, expand: boolean) => {
    setOverrides((prior) => {
      const map = new Map(prior.generation === generation ? prior.map : NO_OVERRIDES);
      map.set(group, expand);
      return { generation, map };
    });
    if (!expand && activeLine !== undefined && model.within(activeLine, group))
      setActive({ generation, line: group });
  };

  const expandAll = (expand: boolean) => {
    const map = new Map<number, boolean>();
    for (const group of model.groups()) map.set(group, expand);
    setOverrides({ generation, map });
    const outermost = activeLine === undefined ? undefined : model.ancestors(activeLine).at(-1);
    if (!expand && outermost !== undefined) setActive({ generation, line: outermost });
  };

  const topLine = (): number => {
    const scroller = scrollerRef.current;
    const row = scroller ? Math.floor(scroller.scrollTop / ROW_HEIGHT) : 0;
    return rows[Math.min(row, rows.length - 1)] ?? 0;
  };

  const onQuery = (next: string) => {
    setQuery(next);
    const found = search.update(model, next);
    const first = found.firstFrom(activeLine ?? topLine());
    setCurrent(Math.max(first, 0));
    if (first >= 0) revealLine(found.lineOf(first), "center");
  };

  const onStep = (direction: 1 | -1) => {
    if (results.count === 0) return;
    const next = (currentMatch + direction + results.count) % results.count;
    setCurrent(next);
    revealLine(results.lineOf(next), "center");
  };

  const jump = (line: number) => {
    setActive({ generation, line });
    revealLine(line, "center");
    scrollerRef.current?.focus({ preventScroll: true });
    onLineLink?.(line + 1);
  };

  const onDownload = (event: MouseEvent<HTMLAnchorElement>) => {
    if (downloadUrl.current !== undefined) URL.revokeObjectURL(downloadUrl.current);
    const blob = new Blob([logText(model.lines(), { timestamps: showTime })], {
      type: "text/plain;charset=utf-8",
    });
    downloadUrl.current = URL.createObjectURL(blob);
    // The browser follows the link after this handler, so it downloads this file.
    event.currentTarget.href = downloadUrl.current;
  };

  const onScroll = () => {
    const scroller = scrollerRef.current;
    if (!scroller) return;
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight <= ROW_HEIGHT;
    if (atBottom !== followingRef.current) {
      followingRef.current = atBottom;
      setFollowing(atBottom);
    }
  };

  const toLatest = () => {
    followingRef.current = true;
    setFollowing(true);
    const scroller = scrollerRef.current;
    if (scroller) scroller.scrollTop = scroller.scrollHeight;
  };

  const onRootKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    // The browser's find cannot see rows that are not rendered; the viewer's search can.
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "f") {
      event.preventDefault();
      searchRef.current?.focus();
      searchRef.current?.select();
    }
  };

  const onTreeKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.target !== event.currentTarget || rows.length === 0) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const scroller = event.currentTarget;
    const page = Math.max(1, Math.floor((scroller.clientHeight || UNMEASURED_HEIGHT) / ROW_HEIGHT) - 1);
    const row = activeLine === undefined ? undefined : rowOf(rows, activeLine);
    const from = row ?? rowOf(rows, topLine());
    const isGroup = activeLine !== undefined && model.kind(activeLine) === "group";
    let to: number | undefined;
    switch (event.key) {
      case "ArrowDown":
        to = row === undefined ? from : from + 1;
        break;
      case "ArrowUp":
        to = row === undefined ? from : from - 1;
        break;
      case "PageDown":
        to = from + page;
        break;
      case "PageUp":
        to = from - page;
        break;
      case "Home":
        to = 0;
        break;
      case "End":
        to = rows.length - 1;
        break;
      case "ArrowRight":
        // Outside groups the key scrolls sideways, as it would anyway.
        if (!isGroup || activeLine === undefined) return;
        if (isExpanded(activeLine)) to = from + 1;
        else setExpanded(activeLine, true);
        break;
      case "ArrowLeft": {
        if (activeLine === undefined) return;
        if (isGroup && isExpanded(activeLine)) {
          setExpanded(activeLine, false);
          break;
        }
        const parent = model.parent(activeLine);
        if (parent < 0) return;
        to = rowOf(rows, parent);
        break;
      }
      case "Enter":
        if (activeLine === undefined) return;
        if (isGroup) setExpanded(activeLine, !isExpanded(activeLine));
        else onLineLink?.(activeLine + 1);
        break;
      default:
        return;
    }
    event.preventDefault();
    if (to === undefined) return;
    const target = Math.max(0, Math.min(rows.length - 1, to));
    setActive({ generation, line: rows[target]! });
    virtualizer.scrollToIndex(target, { align: "auto" });
  };

  // One object for all rows, calling the handlers of the latest render: rows stay memoized.
  const handlers = useRef<RowActions | undefined>(undefined);
  useLayoutEffect(() => {
    handlers.current = {
      activate: (index) => {
        setActive({ generation, line: index });
        // Selecting text across a group's title is not a click on it.
        const selection = window.getSelection();
        const selecting = selection !== null && !selection.isCollapsed && selection.toString() !== "";
        if (model.kind(index) === "group" && !selecting) setExpanded(index, !isExpanded(index));
      },
      number: (index, event) => {
        event.stopPropagation();
        setActive({ generation, line: index });
        if (onLineLink === undefined) return;
        const elsewhere =
          event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey;
        // A link opened in another tab or window is the browser's business.
        if (event.currentTarget instanceof HTMLAnchorElement && elsewhere) return;
        event.preventDefault();
        onLineLink(index + 1);
      },
    };
  });
  const [actions] = useState<RowActions>(() => ({
    activate: (index) => handlers.current?.activate(index),
    number: (index, event) => handlers.current?.number(index, event),
  }));

  const items = virtualizer.getVirtualItems();
  const activeShown = activeLine !== undefined && items.some((item) => rows[item.index] === activeLine);
  const digits = Math.max(5, String(model.length).length);
  const style = {
    "--slw-log-row": `${ROW_HEIGHT}px`,
    "--slw-log-digits": `${digits}ch`,
    "--slw-log-chars": String(model.widest + (showTime ? 14 : 0)),
  } as CSSProperties;
  const rowId = (line: number) => `${id}-line-${line}`;

  return (
    <section className="slw-log" aria-label={label} style={style} onKeyDown={onRootKeyDown}>
      <AnnotationList annotations={located} onJump={jump} />
      {summary !== undefined && <StepSummary markdown={summary} />}
      <LogToolbar
        searchRef={searchRef}
        query={query}
        onQuery={onQuery}
        count={results.count}
        truncated={results.truncated}
        current={currentMatch}
        onStep={onStep}
        showTime={showTime}
        onShowTime={setShowTime}
        hasGroups={model.groups().length > 0}
        onExpandAll={expandAll}
        downloadName={downloadName}
        onDownload={onDownload}
      />
      <div className="slw-log__viewport" style={{ height }}>
        <div
          ref={scrollerRef}
          className="slw-log__scroller"
          role="tree"
          aria-label={`${label}: lines`}
          aria-activedescendant={activeShown ? rowId(activeLine) : undefined}
          tabIndex={0}
          onScroll={onScroll}
          onKeyDown={onTreeKeyDown}
        >
          <div className="slw-log__canvas" style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const index = rows[item.index]!;
              const line = model.line(index);
              const kind = model.kind(index);
              return (
                <LogRow
                  key={index}
                  id={rowId(index)}
                  index={index}
                  line={line}
                  kind={kind}
                  depth={model.depth(index)}
                  segments={model.segments(index)}
                  matches={results.inLine(index)}
                  current={matchLine === index ? currentMatch : -1}
                  expanded={kind === "group" ? isExpanded(index) : undefined}
                  top={item.start}
                  showTime={showTime}
                  highlighted={index === highlightLine}
                  active={index === activeLine}
                  attemptStart={
                    index > 0 && line.attempt !== undefined && model.line(index - 1).attempt !== line.attempt
                  }
                  href={lineHref?.(index + 1)}
                  actions={actions}
                />
              );
            })}
          </div>
          {rows.length === 0 && (
            <p className="slw-log__empty">{live ? "Waiting for output…" : "No output."}</p>
          )}
        </div>
        {live && !following && rows.length > 0 && (
          <button type="button" className="slw-log__latest" onClick={toLatest}>
            Follow latest ↓
          </button>
        )}
      </div>
    </section>
  );
}

/**
 * The scroller's size as the virtualizer's default measures it, but a screenful when it measures
 * nothing: an element without layout (display: none, a DOM without layout) would otherwise show
 * no rows at all until it is laid out.
 */
function observeRectOrScreenful(
  instance: Virtualizer<HTMLDivElement, HTMLDivElement>,
  report: (rect: Rect) => void,
): void | (() => void) {
  return observeElementRect(instance, (rect) =>
    report(rect.height > 0 ? rect : { width: rect.width, height: UNMEASURED_HEIGHT }),
  );
}
