import { lazy, Suspense, useEffect } from "react";
import type { ReactNode } from "react";
import { useParams, useSearchParams } from "react-router";
import { ErrorBanner } from "../app/ErrorBanner.js";
import { useTitle } from "../app/Layout.js";
import { StatusBadge } from "../app/Status.js";
import { TabPanel, Tabs } from "../app/Tabs.js";
import { useNow } from "../app/useResource.js";
import { useRunLive } from "../app/useRunLive.js";
import { ArtifactsTab } from "./run/ArtifactsTab.js";
import { JobsPanel } from "./run/JobsPanel.js";
import { RunActions } from "./run/RunActions.js";
import { RunSummary } from "./run/RunSummary.js";
import { TestsTab } from "./run/TestsTab.js";

// The graph's layout engine is the largest part of the UI: loaded with the first run page.
const RunGraphView = lazy(() => import("./run/RunGraphView.js").then((m) => ({ default: m.RunGraphView })));
const TimelineView = lazy(() => import("./run/RunGraphView.js").then((m) => ({ default: m.TimelineView })));

/** Holds the place of a view while its code loads, at the height it will have. */
function Loading({ children, what }: { children: ReactNode; what: string }) {
  return <Suspense fallback={<div className="view-loading">Loading the {what}…</div>}>{children}</Suspense>;
}

const TABS = [
  { id: "jobs", label: "Graph and logs" },
  { id: "timeline", label: "Timeline" },
  { id: "tests", label: "Tests" },
  { id: "artifacts", label: "Artifacts" },
] as const;
type TabId = (typeof TABS)[number]["id"];

export function RunPage() {
  const id = useParams()["id"] ?? "";
  const [params, setParams] = useSearchParams();
  // The layout worker starts while the run is fetched, so that its start-up overlaps the request.
  useEffect(() => {
    void import("../components/graph/index.js").then((graph) => graph.preloadGraphLayout());
  }, []);
  const { detail, notes, error, live, reload } = useRunLive(id);
  const now = useNow();
  const run = detail?.run;
  useTitle(run ? `#${run.number} ${run.pipelineName} (${run.status})` : "Run");

  const tab: TabId = TABS.find((t) => t.id === params.get("tab"))?.id ?? "jobs";
  const stepParam = params.get("step");
  const selection = {
    job: params.get("job") ?? undefined,
    step: stepParam !== null && /^\d+$/.test(stepParam) ? Number(stepParam) : undefined,
  };
  const update = (change: Record<string, string | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(change)) {
      if (value === undefined) next.delete(key);
      else next.set(key, value);
    }
    setParams(next, { replace: true });
  };
  const selectJob = (key: string, step?: number) =>
    update({ tab: undefined, job: key, step: step === undefined ? undefined : String(step) });

  if (detail === undefined || run === undefined) {
    return error ? <ErrorBanner error={error} /> : <p className="page-note">Loading run…</p>;
  }
  // Tests and artifacts are loaded again when the run's state changes (a job finished).
  const version = `${run.status}:${detail.jobs.filter((j) => j.finishedAt !== undefined).length}`;

  return (
    <article aria-labelledby="run-title" className="run-page">
      <div className="page-head">
        <h1 id="run-title">
          #{run.number} {run.pipelineName}
        </h1>
        <span data-testid="run-status">
          <StatusBadge status={run.status} />
        </span>
        <span className="live-note">{live ? "live" : ""}</span>
        <RunActions detail={detail} onChanged={reload} />
      </div>
      <ErrorBanner error={error} />
      <RunSummary run={run} now={now} />
      <Tabs
        tabs={TABS}
        current={tab}
        onChange={(next) => update({ tab: next === "jobs" ? undefined : next })}
        label="Run views"
        idPrefix="run"
      />
      <TabPanel idPrefix="run" id={tab}>
        {tab === "jobs" && (
          <>
            <Loading what="graph">
              <RunGraphView detail={detail} selected={selection.job} onSelect={selectJob} now={now} />
            </Loading>
            <JobsPanel
              detail={detail}
              selection={selection}
              select={(s) => update({ job: s.job, step: s.step === undefined ? undefined : String(s.step) })}
              now={now}
              live={live}
              notes={notes}
            />
          </>
        )}
        {tab === "timeline" && (
          <Loading what="timeline">
            <TimelineView detail={detail} selected={selection.job} onSelect={selectJob} now={now} />
          </Loading>
        )}
        {tab === "tests" && <TestsTab runId={run.id} version={version} />}
        {tab === "artifacts" && <ArtifactsTab runId={run.id} version={version} />}
      </TabPanel>
    </article>
  );
}
