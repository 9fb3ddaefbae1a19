import { memo, useSyncExternalStore } from "react";
import { elapsed, formatDuration } from "../../app/format.js";
import { statusTone } from "../../app/Status.js";
import type { Clock } from "./clock.js";
import type { Box } from "./layout.js";
import type { GraphJob } from "./types.js";

/** About what fits on one line of a box at the node font size; the full name is in its title. */
const MAX_LABEL = 25;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function statusText(status: string): string {
  return status.replaceAll("_", " ");
}

export function jobDuration(job: GraphJob, now: number | undefined): string {
  if (job.startedAt === undefined) return "";
  if (job.finishedAt === undefined && now === undefined) return "";
  return formatDuration(elapsed(job.startedAt, job.finishedAt, now ?? job.startedAt));
}

interface GraphNodeProps {
  job: GraphJob;
  label: string;
  box: Box;
  selected: boolean;
  /** The one node in the tab order (roving tabindex): Tab enters the graph, arrows move in it. */
  tabbable: boolean;
  /** The graph's clock for a running job (a tick re-renders it and nothing else), else a stopped one. */
  clock: Clock;
  register(key: string, element: SVGGElement | null): void;
  onActivate(key: string): void;
  onFocusNode(key: string): void;
}

/** One job: a box with a status stripe, its name, status, duration and cache hit. */
export const GraphNode = memo(function GraphNode({
  job,
  label,
  box,
  selected,
  tabbable,
  clock,
  register,
  onActivate,
  onFocusNode,
}: GraphNodeProps) {
  const now = useSyncExternalStore(clock.subscribe, clock.now);
  const duration = jobDuration(job, now);
  const status = statusText(job.status);
  const spoken = [`${job.key}: ${status}`, duration, job.cacheHit ? "cache hit" : ""]
    .filter(Boolean)
    .join(", ");
  return (
    <g
      ref={(element) => register(job.key, element)}
      className={`rg-node${selected ? " rg-selected" : ""}`}
      data-key={job.key}
      data-status={job.status}
      data-tone={statusTone(job.status)}
      transform={`translate(${box.x} ${box.y})`}
      role="button"
      tabIndex={tabbable ? 0 : -1}
      aria-pressed={selected}
      aria-label={spoken}
      onClick={() => onActivate(job.key)}
      onFocus={() => onFocusNode(job.key)}
    >
      <title>{spoken}</title>
      <rect className="rg-node-box" width={box.width} height={box.height} rx={6} />
      <rect className="rg-node-stripe" width={5} height={box.height} rx={2} />
      <text className="rg-node-name" x={14} y={19}>
        {truncate(label, MAX_LABEL)}
      </text>
      <text className="rg-node-meta" x={14} y={36}>
        <tspan className="rg-node-status">{status}</tspan>
        {duration && <tspan className="rg-node-duration"> · {duration}</tspan>}
      </text>
      {job.cacheHit && (
        <text className="rg-node-cache" x={box.width - 8} y={36} textAnchor="end">
          cache hit
        </text>
      )}
    </g>
  );
});
