import { lazy, Suspense } from "react";
import type { Job, RunDetail } from "../../api/types.js";
import { elapsed, formatDuration } from "../../app/format.js";
import { stepNotesKey } from "../../app/run-events.js";
import type { RunNotes } from "../../app/run-events.js";
import { StatusBadge } from "../../app/Status.js";

// The log viewer (virtualized rows, ANSI, Markdown) loads when a step is first opened.
const LogPanel = lazy(() => import("./LogPanel.js").then((m) => ({ default: m.LogPanel })));

interface Selection {
  job: string | undefined;
  step: number | undefined;
}

function attemptsNote(job: Job): string {
  if (job.attempts.length <= 1) return "";
  const lost = job.attempts.filter((a) => a.status === "lost").length;
  return `attempt ${job.attempts.length}${lost > 0 ? ` (${lost} lost)` : ""}`;
}

function agentOf(job: Job): string {
  return job.attempts.at(-1)?.agent ?? "";
}

/**
 * The run's jobs with status, duration and cache hits; a selected job shows its steps, and a
 * selected step its log. The selection lives in the URL (?job=KEY&step=N): a link to it opens it.
 */
export function JobsPanel({
  detail,
  selection,
  select,
  now,
  live,
  notes,
}: {
  detail: RunDetail;
  notes: RunNotes;
  selection: Selection;
  select(selection: Selection): void;
  now: number;
  live: boolean;
}) {
  const job = detail.jobs.find((j) => j.key === selection.job);
  const step = job?.steps.find((s) => s.index === selection.step);
  return (
    <div className="jobs-panel">
      <div className="jobs-column">
        <h2 className="section-title">Jobs</h2>
        <ul className="job-list" aria-label="Jobs">
          {detail.jobs.map((j) => (
            <li key={j.key}>
              <button
                type="button"
                className={`job-item${j.key === selection.job ? " selected" : ""}`}
                aria-pressed={j.key === selection.job}
                data-job={j.key}
                onClick={() => select({ job: j.key === selection.job ? undefined : j.key, step: undefined })}
              >
                <StatusBadge status={j.status} />
                <span className="job-name">{j.key}</span>
                {j.cacheHit && (
                  <span className="tag cache-hit" title={`cache key ${j.cacheKey ?? ""}`}>
                    cache hit
                  </span>
                )}
                <span className="job-duration num">
                  {formatDuration(elapsed(j.startedAt, j.finishedAt, now))}
                </span>
                <span className="job-extra muted small">
                  {[attemptsNote(j), agentOf(j)].filter(Boolean).join(" · ")}
                </span>
              </button>
              {j.key === selection.job && (
                <ol className="step-list" aria-label={`Steps of ${j.key}`}>
                  {j.steps.map((s) => {
                    const last = s.attempts.at(-1);
                    return (
                      <li key={s.index}>
                        <button
                          type="button"
                          className={`step-item${s.index === selection.step ? " selected" : ""}`}
                          aria-pressed={s.index === selection.step}
                          data-step={s.index}
                          onClick={() => select({ job: j.key, step: s.index })}
                        >
                          <StatusBadge status={s.status} />
                          <span className="step-name">{s.name}</span>
                          {last?.cacheHit && <span className="tag cache-hit">cache hit</span>}
                          <span className="job-duration num">
                            {formatDuration(elapsed(last?.startedAt, last?.finishedAt, now))}
                          </span>
                        </button>
                      </li>
                    );
                  })}
                  {j.steps.length === 0 && <li className="muted small">No steps ran.</li>}
                </ol>
              )}
              {j.key === selection.job && j.reason !== undefined && (
                <p className="job-reason small">{j.reason}</p>
              )}
            </li>
          ))}
        </ul>
      </div>
      <div className="log-column">
        {job !== undefined && step !== undefined ? (
          <Suspense fallback={<p className="page-note log-placeholder">Loading the log…</p>}>
            <LogPanel
              key={`${job.key}/${step.index}`}
              runId={detail.run.id}
              runNumber={detail.run.number}
              job={job}
              step={step}
              live={live}
              notes={notes.get(stepNotesKey(job.key, step.index))}
            />
          </Suspense>
        ) : (
          <p className="page-note log-placeholder">
            {job === undefined
              ? "Choose a job, then a step, to read its log."
              : "Choose a step to read its log."}
          </p>
        )}
      </div>
    </div>
  );
}
