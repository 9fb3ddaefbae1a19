import { useState } from "react";
import { useNavigate } from "react-router";
import { client, unwrap } from "../../api/client.js";
import type { RunDetail } from "../../api/types.js";
import { useAuth } from "../../app/auth.js";
import { ErrorBanner } from "../../app/ErrorBanner.js";
import { refusal } from "../../app/roles.js";

const FAILED = new Set(["failure", "timed_out", "cancelled", "interrupted"]);

/**
 * Cancel while the run is live; re-run (all jobs, or the failed ones) once it ended. A control
 * the token's role does not allow is disabled with the reason; the server still decides, and its
 * refusal is shown if it comes.
 */
export function RunActions({ detail, onChanged }: { detail: RunDetail; onChanged(): void }) {
  const { run, jobs } = detail;
  const { who, can } = useAuth();
  const navigate = useNavigate();
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const allowed = can("developer", run.project);
  const why = allowed ? undefined : refusal(who, "developer", run.project);
  const live = run.status === "queued" || run.status === "running";
  const anyFailed = jobs.some((job) => FAILED.has(job.status));
  const path = { params: { path: { id: run.id } } };

  const act = async (name: string, action: () => Promise<void>) => {
    setBusy(name);
    setError(undefined);
    try {
      await action();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(undefined);
    }
  };
  const rerun = (failedOnly: boolean) =>
    act(failedOnly ? "rerun-failed" : "rerun", async () => {
      const result = await unwrap(client.POST("/api/runs/{id}/rerun", { ...path, body: { failedOnly } }));
      const next = result.runs[0];
      if (next !== undefined) void navigate(`/runs/${encodeURIComponent(next.id)}`);
    });
  const cancel = () =>
    act("cancel", async () => {
      await unwrap(client.POST("/api/runs/{id}/cancel", path));
      onChanged();
    });

  return (
    <div className="run-actions">
      <div className="button-row" role="group" aria-label="Run actions">
        {live ? (
          <button
            type="button"
            className="button danger"
            onClick={() => void cancel()}
            disabled={!allowed || busy !== undefined}
            title={why}
          >
            {busy === "cancel" ? "Cancelling…" : "Cancel run"}
          </button>
        ) : (
          <>
            <button
              type="button"
              className="button"
              onClick={() => void rerun(false)}
              disabled={!allowed || busy !== undefined}
              title={why}
            >
              {busy === "rerun" ? "Starting…" : "Re-run all jobs"}
            </button>
            <button
              type="button"
              className="button"
              onClick={() => void rerun(true)}
              disabled={!allowed || !anyFailed || busy !== undefined}
              title={why ?? (anyFailed ? undefined : "no job failed")}
            >
              {busy === "rerun-failed" ? "Starting…" : "Re-run failed jobs"}
            </button>
          </>
        )}
        {why !== undefined && <span className="muted small">{why}</span>}
      </div>
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
    </div>
  );
}
