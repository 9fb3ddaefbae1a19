import { useEffect, useMemo, useRef, useState } from "react";
import type { CSSProperties, KeyboardEvent as ReactKeyboardEvent } from "react";
import { formatDuration } from "../../app/format.js";
import { statusTone } from "../../app/Status.js";
import { tickLabel, ticks } from "./axis.js";
import type { TimelineJob, TimelineStep } from "./types.js";
import "./timeline.css";

export interface TimelineProps {
  jobs: readonly TimelineJob[];
  /** The clock running bars grow to; the timeline keeps its own when not given. */
  now?: number | undefined;
  selected?: string | undefined;
  /** A job's key, and the step's index when a step row was chosen. */
  onSelect?: ((key: string, step?: number) => void) | undefined;
  /** Where the axis starts (the run's start); the first job's start when not given. */
  start?: number | undefined;
  label?: string | undefined;
}

type Row =
  | { kind: "job"; id: string; job: TimelineJob; position: number; count: number }
  | { kind: "step"; id: string; job: TimelineJob; step: TimelineStep; position: number; count: number };

interface Span {
  from: number;
  to: number;
}

function useClock(now: number | undefined, running: boolean): number {
  const [own, setOwn] = useState(() => Date.now());
  useEffect(() => {
    if (now !== undefined || !running) return;
    const timer = setInterval(() => setOwn(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [now, running]);
  return now ?? own;
}

/** A bar's extent: to now while it runs; none before it starts. */
function spanOf(item: { startedAt?: number | undefined; finishedAt?: number | undefined }, clock: number) {
  if (item.startedAt === undefined) return undefined;
  return { from: item.startedAt, to: Math.max(item.startedAt, item.finishedAt ?? clock) };
}

/** Jobs by start (plan order among equals), jobs that have not started last. */
function ordered(jobs: readonly TimelineJob[]): TimelineJob[] {
  return jobs
    .map((job, index) => ({ job, index }))
    .sort(
      (a, b) =>
        (a.job.startedAt ?? Infinity) - (b.job.startedAt ?? Infinity) ||
        (a.job.finishedAt ?? Infinity) - (b.job.finishedAt ?? Infinity) ||
        a.index - b.index,
    )
    .map(({ job }) => job);
}

function Bar({ span, range, status }: { span: Span | undefined; range: Span; status: string }) {
  if (!span) return <span className="tl-track" />;
  const width = range.to - range.from;
  const style: CSSProperties = {
    left: `${((span.from - range.from) / width) * 100}%`,
    width: `${((span.to - span.from) / width) * 100}%`,
  };
  return (
    <span className="tl-track">
      <span className="tl-bar" data-tone={statusTone(status)} data-status={status} style={style} />
    </span>
  );
}

/**
 * The run as a Gantt chart: a bar per job from its start to its end (to now while it runs),
 * with its steps under it when expanded. A tree for the keyboard: Up and Down move, Right
 * expands or enters the steps, Left collapses or goes back to the job, Enter selects.
 */
export function Timeline({ jobs, now, selected, onSelect, start, label = "Timeline" }: TimelineProps) {
  const running = jobs.some((j) => j.status === "running" || j.steps.some((s) => s.status === "running"));
  const clock = useClock(now, running);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());
  const [focused, setFocused] = useState<string | undefined>(undefined);
  const elements = useRef(new Map<string, HTMLDivElement>());

  const sorted = useMemo(() => ordered(jobs), [jobs]);
  const rows = useMemo(() => {
    const out: Row[] = [];
    sorted.forEach((job, i) => {
      out.push({ kind: "job", id: `job:${job.key}`, job, position: i + 1, count: sorted.length });
      if (!expanded.has(job.key)) return;
      job.steps.forEach((step, j) =>
        out.push({
          kind: "step",
          id: `step:${job.key}:${step.index}`,
          job,
          step,
          position: j + 1,
          count: job.steps.length,
        }),
      );
    });
    return out;
  }, [sorted, expanded]);

  const spans = jobs.flatMap((job) => [job, ...job.steps]).flatMap((item) => spanOf(item, clock) ?? []);
  const from = start ?? Math.min(...spans.map((s) => s.from));
  const to = Math.max(from + 1_000, ...spans.map((s) => s.to));
  const range = { from, to };
  const axis = spans.length > 0 ? ticks(to - from) : [];

  const tabbable =
    rows.find((r) => r.id === focused)?.id ??
    rows.find((r) => r.kind === "job" && r.job.key === selected)?.id ??
    rows[0]?.id;

  const toggle = (key: string, open: boolean) =>
    setExpanded((current) => {
      if (current.has(key) === open) return current;
      const next = new Set(current);
      if (open) next.add(key);
      else next.delete(key);
      return next;
    });

  const choose = (row: Row) => {
    if (row.kind === "job") onSelect?.(row.job.key);
    else onSelect?.(row.job.key, row.step.index);
  };

  const onKeyDown = (event: ReactKeyboardEvent<HTMLDivElement>) => {
    const id = (event.target as Element).closest("[data-row]")?.getAttribute("data-row");
    const index = rows.findIndex((r) => r.id === id);
    const row = rows[index];
    if (!row) return;
    const move = (target: Row | undefined) => {
      if (!target) return;
      event.preventDefault();
      elements.current.get(target.id)?.focus();
    };
    switch (event.key) {
      case "ArrowDown":
        return move(rows[index + 1]);
      case "ArrowUp":
        return move(rows[index - 1]);
      case "Home":
        return move(rows[0]);
      case "End":
        return move(rows.at(-1));
      case "ArrowRight":
        if (row.kind !== "job" || row.job.steps.length === 0) return;
        event.preventDefault();
        if (!expanded.has(row.job.key)) toggle(row.job.key, true);
        else move(rows[index + 1]);
        return;
      case "ArrowLeft":
        event.preventDefault();
        if (row.kind === "step") move(rows.find((r) => r.kind === "job" && r.job.key === row.job.key));
        else toggle(row.job.key, false);
        return;
      case "Enter":
      case " ":
        event.preventDefault();
        choose(row);
        return;
    }
  };

  return (
    <section className="timeline" aria-label={label}>
      <div className="tl-head" aria-hidden="true">
        <span className="tl-label">Job</span>
        <span className="tl-axis">
          {axis.map((t) => (
            <span key={t} className="tl-tick" style={{ left: `${(t / (to - from)) * 100}%` }}>
              {tickLabel(t)}
            </span>
          ))}
        </span>
        <span className="tl-duration">Duration</span>
      </div>
      <div className="tl-body" role="tree" aria-label={label} onKeyDown={onKeyDown}>
        <div className="tl-grid" aria-hidden="true">
          {axis.map((t) => (
            <span key={t} className="tl-gridline" style={{ left: `${(t / (to - from)) * 100}%` }} />
          ))}
        </div>
        {rows.map((row) => {
          const item = row.kind === "job" ? row.job : row.step;
          const span = spanOf(item, clock);
          const duration = span ? formatDuration(span.to - span.from) : "";
          const name = row.kind === "job" ? row.job.key : row.step.name;
          const open = row.kind === "job" && expanded.has(row.job.key);
          const status = item.status.replaceAll("_", " ");
          return (
            <div
              key={row.id}
              ref={(element) => {
                if (element) elements.current.set(row.id, element);
                else elements.current.delete(row.id);
              }}
              className={`tl-row tl-${row.kind}${row.kind === "job" && row.job.key === selected ? " tl-selected" : ""}`}
              role="treeitem"
              aria-level={row.kind === "job" ? 1 : 2}
              aria-posinset={row.position}
              aria-setsize={row.count}
              aria-expanded={row.kind === "job" && row.job.steps.length > 0 ? open : undefined}
              aria-selected={row.kind === "job" ? row.job.key === selected : false}
              aria-label={[`${name}: ${status}`, duration, item.cacheHit ? "cache hit" : ""]
                .filter(Boolean)
                .join(", ")}
              tabIndex={row.id === tabbable ? 0 : -1}
              data-row={row.id}
              data-key={row.job.key}
              data-step={row.kind === "step" ? row.step.index : undefined}
              onFocus={() => setFocused(row.id)}
              onClick={() => choose(row)}
            >
              <span className="tl-label">
                {row.kind === "job" && row.job.steps.length > 0 ? (
                  <span
                    className="tl-toggle"
                    aria-hidden="true"
                    onClick={(event) => {
                      event.stopPropagation();
                      toggle(row.job.key, !open);
                    }}
                  >
                    {open ? "▾" : "▸"}
                  </span>
                ) : (
                  <span className="tl-toggle" aria-hidden="true" />
                )}
                <span className="tl-dot" data-tone={statusTone(item.status)} aria-hidden="true" />
                <span className="tl-name" title={name}>
                  {name}
                </span>
                {item.cacheHit && <span className="tl-cache">cache hit</span>}
              </span>
              <Bar span={span} range={range} status={item.status} />
              <span className="tl-duration">{duration}</span>
            </div>
          );
        })}
        {rows.length === 0 && <p className="tl-empty">No jobs in this run.</p>}
      </div>
    </section>
  );
}
