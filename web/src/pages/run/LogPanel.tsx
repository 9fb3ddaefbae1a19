import { useLocation, useNavigate } from "react-router";
import type { Job, Step } from "../../api/types.js";
import { ErrorBanner } from "../../app/ErrorBanner.js";
import type { StepNotes } from "../../app/run-events.js";
import { StatusBadge } from "../../app/Status.js";
import { LogViewer } from "../../components/logs/index.js";
import { useStepLog } from "./useStepLog.js";

const LINE_HASH = /^#L(\d+)$/;

/**
 * One step's log in the log viewer: followed live while the step runs, with the annotations and
 * summary the step reported. A line's link is the page's address with `#L<line>`.
 */
export function LogPanel({
  runId,
  runNumber,
  job,
  step,
  live,
  notes,
}: {
  runId: string;
  runNumber: number;
  job: Job;
  step: Step;
  live: boolean;
  notes: StepNotes | undefined;
}) {
  const location = useLocation();
  const navigate = useNavigate();
  const running =
    live && (step.status === "running" || step.status === "queued" || step.status === "waiting");
  const log = useStepLog(runId, job.key, step.index, running);
  const linked = LINE_HASH.exec(location.hash)?.[1];
  const fileName = `run-${runNumber}-${job.key}-${step.name}`.replace(/[^A-Za-z0-9._-]+/g, "_");
  return (
    <section className="log-panel" aria-label={`Log of ${job.key}, ${step.name}`} data-testid="log-panel">
      <header className="log-head">
        <StatusBadge status={step.status} />
        <h2 className="section-title">
          {job.key} › {step.name}
        </h2>
        <span className="muted small">{log.tailing ? "following" : ""}</span>
      </header>
      <ErrorBanner error={log.error} />
      <LogViewer
        lines={log.lines}
        live={running}
        highlight={linked !== undefined ? Number(linked) : undefined}
        onLineLink={(line) => void navigate({ search: location.search, hash: `L${line}` }, { replace: true })}
        lineHref={(line) => `${location.pathname}${location.search}#L${line}`}
        annotations={notes?.annotations}
        summary={notes?.summary}
        downloadName={`${fileName}.log`}
        label={`${job.key} › ${step.name}`}
      />
    </section>
  );
}
