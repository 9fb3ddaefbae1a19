import { memo, useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import type { KeyboardEvent as ReactKeyboardEvent, MouseEvent as ReactMouseEvent } from "react";
import { statusTone } from "../../app/Status.js";
import { createClock, stoppedClock } from "./clock.js";
import type { Clock } from "./clock.js";
import { defaultLayoutEngine } from "./engines.js";
import { GraphNode } from "./GraphNode.js";
import { cachedLayout, GROUP_HEADER, layoutGraphCached } from "./layout.js";
import type { GraphLayout, GraphLayoutEngine } from "./layout.js";
import { buildGraphModel, graphShapeKey } from "./model.js";
import type { GraphModel, ModelGroup } from "./model.js";
import { directionOfKey, neighbour, readingOrder } from "./navigation.js";
import type { GraphJob } from "./types.js";
import { useViewport } from "./useViewport.js";
import "./graph.css";

export interface GraphLayoutStats {
  /** From handing the graph to the layout engine to having its positions back. */
  layoutMs: number;
  nodes: number;
  edges: number;
}

export interface RunGraphProps {
  jobs: readonly GraphJob[];
  /** Key of the selected job. */
  selected?: string | undefined;
  /** Called with a job's key on click, Enter or Space. */
  onSelect?: ((key: string) => void) | undefined;
  /** The clock running jobs' durations count to; the graph keeps its own when not given. */
  now?: number | undefined;
  /** Where layouts are computed; dagre in a web worker by default. */
  layoutEngine?: GraphLayoutEngine | undefined;
  /** Called once a new layout is on screen. */
  onLayout?: ((stats: GraphLayoutStats) => void) | undefined;
  label?: string | undefined;
}

interface Placed {
  model: GraphModel;
  layout: GraphLayout;
  layoutMs: number;
}

const MIN_HEIGHT = 140;
const MAX_HEIGHT = 520;
const PENDING_HEIGHT = 200;
const ZOOM_STEP = 1.25;

/** Falls back to a clock of the graph's own, ticking only while some job runs. */
function useClock(now: number | undefined, running: boolean): number | undefined {
  const [own, setOwn] = useState(() => Date.now());
  useEffect(() => {
    if (now !== undefined || !running) return;
    const timer = setInterval(() => setOwn(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [now, running]);
  return now ?? (running ? own : undefined);
}

function groupTone(group: ModelGroup, jobs: ReadonlyMap<string, GraphJob>): string {
  const tones = group.keys.map((k) => statusTone(jobs.get(k)?.status ?? "queued"));
  for (const tone of ["failure", "running", "waiting", "queued", "cancelled", "success"]) {
    if (tones.includes(tone)) return tone;
  }
  return tones[0] ?? "queued";
}

interface ContentProps {
  placed: Placed;
  jobs: ReadonlyMap<string, GraphJob>;
  selected: string | undefined;
  tabbable: string | undefined;
  clock: Clock;
  markerId: string;
  register(key: string, element: SVGGElement | null): void;
  onActivate(key: string): void;
  onFocusNode(key: string): void;
}

/** Everything inside the pan/zoom transform: memoised, so panning re-renders none of it. */
const GraphContent = memo(function GraphContent({
  placed,
  jobs,
  selected,
  tabbable,
  clock,
  markerId,
  register,
  onActivate,
  onFocusNode,
}: ContentProps) {
  const { model, layout } = placed;
  const selectedJobId = selected === undefined ? undefined : jobs.get(selected)?.jobId;
  return (
    <>
      {model.groups.map((group) => {
        const box = layout.groups.get(group.id);
        if (!box) return null;
        return (
          <g
            key={group.id}
            className="rg-group"
            data-group={group.jobId}
            data-tone={groupTone(group, jobs)}
            transform={`translate(${box.x} ${box.y})`}
          >
            <rect className="rg-group-box" width={box.width} height={box.height} rx={8} />
            <text className="rg-group-name" x={10} y={GROUP_HEADER - 8}>
              {group.label}
              <tspan className="rg-group-count"> · {group.keys.length}</tspan>
            </text>
          </g>
        );
      })}
      <g className="rg-edges">
        {model.edges.map((edge) => {
          const d = layout.edges.get(edge.id);
          if (d === undefined) return null;
          const active =
            selected !== undefined &&
            (edge.from === selected ||
              edge.to === selected ||
              edge.from === selectedJobId ||
              edge.to === selectedJobId);
          return (
            <path
              key={edge.id}
              className={`rg-edge${active ? " rg-edge-active" : ""}`}
              data-from={edge.from}
              data-to={edge.to}
              d={d}
              markerEnd={`url(#${markerId})`}
            />
          );
        })}
      </g>
      {model.nodes.map((node) => {
        const job = jobs.get(node.key);
        const box = layout.nodes.get(node.key);
        if (!job || !box) return null;
        return (
          <GraphNode
            key={node.key}
            job={job}
            label={node.label}
            box={box}
            selected={node.key === selected}
            tabbable={node.key === tabbable}
            clock={job.status === "running" ? clock : stoppedClock}
            register={register}
            onActivate={onActivate}
            onFocusNode={onFocusNode}
          />
        );
      })}
    </>
  );
});

/**
 * The run's DAG: jobs as boxes coloured by status, matrix children grouped under their job,
 * needs as arrows, laid out left to right by dagre. The layout is computed again only when the
 * graph's shape changes (jobs, names, needs), so a live run's boxes never move as statuses do.
 * Drag or Shift+wheel to pan, wheel or the buttons to zoom; Tab into the graph, arrows to move
 * between jobs, Enter to select one.
 */
export function RunGraph({
  jobs,
  selected,
  onSelect,
  now,
  layoutEngine,
  onLayout,
  label = "Run graph",
}: RunGraphProps) {
  const engine = useMemo(() => layoutEngine ?? defaultLayoutEngine(), [layoutEngine]);
  const shape = graphShapeKey(jobs);
  // Keyed by the shape alone: new objects with the same shape (every poll) keep the model.
  const model = useMemo(() => buildGraphModel(jobs), [shape]);
  const [loaded, setLoaded] = useState<Placed | undefined>(undefined);
  const [failure, setFailure] = useState<string | undefined>(undefined);

  // A layout of this shape finished before (the graph shown again): drawn in this very render,
  // so the box does not flash its placeholder and change height.
  const known = cachedLayout(shape, engine);
  const fromCache = useMemo(
    () => (known ? { model, layout: known, layoutMs: 0 } : undefined),
    [model, known],
  );

  // Started while rendering rather than in an effect: effects wait for the whole page to mount
  // (a long log takes a while), and the worker could be laying out meanwhile. Memoised, so a
  // re-render does not start another (`shape` changes exactly when `model` does).
  const pending = useMemo(() => {
    if (fromCache) return undefined;
    const started = performance.now();
    const promise = layoutGraphCached(shape, model, engine).then((layout) => ({
      model,
      layout,
      layoutMs: performance.now() - started,
    }));
    promise.catch(() => undefined);
    return promise;
  }, [model, engine, fromCache]);

  useEffect(() => {
    if (!pending) return;
    let cancelled = false;
    pending.then(
      (result) => {
        if (cancelled) return;
        setLoaded(result);
        setFailure(undefined);
      },
      (error: unknown) => {
        if (!cancelled) setFailure(error instanceof Error ? error.message : String(error));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [pending]);

  // While a new shape is laid out, the previous layout stays on screen.
  const shown = useRef<Placed | undefined>(undefined);
  const placed = (loaded?.model === model ? loaded : fromCache) ?? shown.current;
  shown.current = placed;

  const onLayoutRef = useRef(onLayout);
  onLayoutRef.current = onLayout;
  useEffect(() => {
    if (placed) {
      onLayoutRef.current?.({
        layoutMs: placed.layoutMs,
        nodes: placed.layout.nodes.size,
        edges: placed.layout.edges.size,
      });
    }
  }, [placed]);

  const byKey = useMemo(() => new Map(jobs.map((j) => [j.key, j])), [jobs]);
  const running = jobs.some((j) => j.status === "running");
  const time = useClock(now, running);
  // One store for the component's life; the boxes of running jobs read the time from it.
  const [clock] = useState(() => createClock(time));
  useEffect(() => clock.set(time), [clock, time]);

  const frameRef = useRef<HTMLDivElement | null>(null);
  const content = useMemo(
    () => (placed ? { x: 0, y: 0, width: placed.layout.width, height: placed.layout.height } : undefined),
    [placed],
  );
  const viewport = useViewport(frameRef, content);
  const { consumeDrag, reveal } = viewport;

  const order = useMemo(() => (placed ? readingOrder(placed.layout.nodes) : []), [placed]);
  const [focused, setFocused] = useState<string | undefined>(undefined);
  const tabbable = [focused, selected, order[0]].find((k) => k !== undefined && placed?.layout.nodes.has(k));

  const elements = useRef(new Map<string, SVGGElement>());
  const register = useCallback((key: string, element: SVGGElement | null) => {
    if (element) elements.current.set(key, element);
    else elements.current.delete(key);
  }, []);

  const onSelectRef = useRef(onSelect);
  onSelectRef.current = onSelect;
  const onActivate = useCallback(
    (key: string) => {
      if (!consumeDrag()) onSelectRef.current?.(key);
    },
    [consumeDrag],
  );
  const placedRef = useRef(placed);
  placedRef.current = placed;
  // A box focused by a press is where the pointer is: panning it into view would jump the drawing
  // under the pointer (and under a drag that starts there). Focus by keyboard brings it into view.
  const pressing = useRef(false);
  const onFocusNode = useCallback(
    (key: string) => {
      setFocused(key);
      const box = placedRef.current?.layout.nodes.get(key);
      if (box && !pressing.current) reveal(box);
    },
    [reveal],
  );

  const onKeyDown = (event: ReactKeyboardEvent<HTMLDivElement>) => {
    const from = (event.target as Element).closest("[data-key]")?.getAttribute("data-key") ?? undefined;
    const move = (key: string | undefined) => {
      if (key === undefined) return;
      event.preventDefault();
      elements.current.get(key)?.focus();
    };
    const direction = directionOfKey(event.key);
    if (direction && from !== undefined && placed) move(neighbour(placed.layout.nodes, from, direction));
    else if (event.key === "Home") move(order[0]);
    else if (event.key === "End") move(order.at(-1));
    else if ((event.key === "Enter" || event.key === " ") && from !== undefined) {
      event.preventDefault();
      onSelectRef.current?.(from);
    } else if (event.key === "+" || event.key === "=") viewport.zoomBy(ZOOM_STEP);
    else if (event.key === "-") viewport.zoomBy(1 / ZOOM_STEP);
    else if (event.key === "0") viewport.fit();
  };

  const markerId = `rg-arrow-${useId().replace(/[^A-Za-z0-9_-]/g, "")}`;
  const hintId = `${markerId}-hint`;
  const height = placed
    ? Math.round(Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, placed.layout.height + 32)))
    : PENDING_HEIGHT;
  const { view } = viewport;

  return (
    <section className="run-graph" aria-label={label}>
      <div className="rg-toolbar" role="toolbar" aria-label="Graph view">
        <button type="button" onClick={() => viewport.zoomBy(1 / ZOOM_STEP)} aria-label="Zoom out">
          −
        </button>
        <span className="rg-zoom" aria-live="off">
          {Math.round(view.k * 100)}%
        </span>
        <button type="button" onClick={() => viewport.zoomBy(ZOOM_STEP)} aria-label="Zoom in">
          +
        </button>
        <button type="button" onClick={viewport.fit}>
          Fit
        </button>
      </div>
      <p id={hintId} className="rg-hint">
        Arrow keys move between jobs, Enter selects one; drag or Shift+wheel pans, wheel zooms.
      </p>
      {/*
        Panning moves the whole drawing as one composited layer (a CSS transform on the <svg>),
        so a drag repaints nothing; zooming sizes the <svg> and redraws it sharp.
      */}
      <div
        ref={frameRef}
        className="rg-viewport"
        style={{ height }}
        onPointerDown={(event) => {
          pressing.current = true;
          viewport.onPointerDown(event);
        }}
        onPointerMove={viewport.onPointerMove}
        onPointerUp={(event) => {
          pressing.current = false;
          viewport.onPointerUp(event);
        }}
        onPointerCancel={(event) => {
          pressing.current = false;
          viewport.onPointerUp(event);
        }}
        onClickCapture={(event: ReactMouseEvent) => {
          // A click that ends a drag is not a selection (the node's handler asks consumeDrag).
          if (!(event.target as Element).closest("[data-key]")) consumeDrag();
        }}
        onKeyDown={onKeyDown}
      >
        {failure !== undefined && <p className="rg-message">The graph could not be laid out: {failure}</p>}
        {placed === undefined && failure === undefined && (
          <p className="rg-message">Laying out {jobs.length} jobs…</p>
        )}
        <svg
          className="rg-svg"
          role="group"
          aria-label={`${label}: ${jobs.length} jobs`}
          aria-describedby={hintId}
          data-ready={placed ? "true" : "false"}
          width={placed ? placed.layout.width * view.k : 0}
          height={placed ? placed.layout.height * view.k : 0}
          viewBox={placed ? `0 0 ${placed.layout.width} ${placed.layout.height}` : undefined}
          style={{ transform: `translate(${view.x}px, ${view.y}px)` }}
        >
          <defs>
            <marker
              id={markerId}
              viewBox="0 0 10 10"
              refX="9"
              refY="5"
              markerWidth="7"
              markerHeight="7"
              orient="auto-start-reverse"
            >
              <path className="rg-arrow" d="M0 0 L10 5 L0 10 z" />
            </marker>
          </defs>
          {placed && (
            <GraphContent
              placed={placed}
              jobs={byKey}
              selected={selected}
              tabbable={tabbable}
              clock={clock}
              markerId={markerId}
              register={register}
              onActivate={onActivate}
              onFocusNode={onFocusNode}
            />
          )}
        </svg>
      </div>
    </section>
  );
}
