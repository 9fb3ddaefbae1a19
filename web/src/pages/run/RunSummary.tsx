import { Link } from "react-router";
import type { Run } from "../../api/types.js";
import { branchOf, elapsed, formatDuration, formatTime, shortSha } from "../../app/format.js";

const FRONT_ENDS: Record<string, string> = {
  native: "Slipway",
  github: "GitHub Actions",
  gitlab: "GitLab CI",
};

/** What a run is: its commit, ref, trigger, who started it, the pipeline format, and its times. */
export function RunSummary({ run, now }: { run: Run; now: number }) {
  return (
    <dl className="run-meta" data-testid="run-meta">
      <div>
        <dt>Project</dt>
        <dd>
          {run.project !== undefined ? (
            <Link to={`/runs?project=${encodeURIComponent(run.project)}`}>{run.project}</Link>
          ) : (
            "local"
          )}
        </dd>
      </div>
      <div>
        <dt>Commit</dt>
        <dd>
          <code title={run.commit}>{shortSha(run.commit)}</code>
          {run.dirty && <span className="muted"> (with uncommitted changes)</span>}
        </dd>
      </div>
      <div>
        <dt>Branch</dt>
        <dd title={run.ref}>{branchOf(run.ref)}</dd>
      </div>
      <div>
        <dt>Trigger</dt>
        <dd>{run.trigger}</dd>
      </div>
      <div>
        <dt>Who</dt>
        <dd>{run.actor}</dd>
      </div>
      <div>
        <dt>Front-end</dt>
        <dd>
          {FRONT_ENDS[run.frontEnd] ?? run.frontEnd} <code className="muted">{run.file}</code>
        </dd>
      </div>
      <div>
        <dt>Queued</dt>
        <dd>{formatTime(run.queuedAt)}</dd>
      </div>
      <div>
        <dt>Duration</dt>
        <dd className="duration" data-testid="run-duration">
          {formatDuration(elapsed(run.startedAt, run.finishedAt, now)) || "not started"}
        </dd>
      </div>
    </dl>
  );
}
