import { useMemo } from "react";
import { graphJobsFromRun, RunGraph } from "../../components/graph/index.js";
import { timelineJobsFromRun, Timeline } from "../../components/timeline/index.js";
import type { RunDetail } from "../../api/types.js";

/*
 * The run's graph and timeline, from the run as GET /api/runs/ID has it. Loaded on demand
 * (Run.tsx imports this module lazily): the layout engine is the largest part of the UI.
 */

export function RunGraphView({
  detail,
  selected,
  onSelect,
  now,
}: {
  detail: RunDetail;
  selected: string | undefined;
  onSelect(key: string): void;
  now: number;
}) {
  const jobs = useMemo(() => graphJobsFromRun(detail), [detail]);
  return (
    <RunGraph
      jobs={jobs}
      selected={selected}
      onSelect={onSelect}
      now={now}
      label={`Jobs of run ${detail.run.number}`}
    />
  );
}

export function TimelineView({
  detail,
  selected,
  onSelect,
  now,
}: {
  detail: RunDetail;
  selected: string | undefined;
  onSelect(key: string, step?: number): void;
  now: number;
}) {
  const jobs = useMemo(() => timelineJobsFromRun(detail), [detail]);
  return (
    <Timeline
      jobs={jobs}
      now={now}
      selected={selected}
      onSelect={onSelect}
      start={detail.run.startedAt}
      label={`Timeline of run ${detail.run.number}`}
    />
  );
}
