import type { JobStatus } from "../api/types.js";

const LABELS: Record<string, string> = {
  queued: "queued",
  waiting: "waiting",
  running: "running",
  success: "success",
  failure: "failure",
  cancelled: "cancelled",
  skipped: "skipped",
  timed_out: "timed out",
  interrupted: "interrupted",
  passed: "passed",
  failed: "failed",
  error: "error",
  flaky: "flaky",
};

/** The CSS status colour a status is drawn in (styles/theme.css). */
export function statusTone(status: string): string {
  switch (status) {
    case "success":
    case "passed":
      return "success";
    case "failure":
    case "failed":
    case "error":
    case "timed_out":
    case "interrupted":
      return "failure";
    case "running":
      return "running";
    case "waiting":
    case "flaky":
      return "waiting";
    case "skipped":
      return "skipped";
    case "cancelled":
      return "cancelled";
    default:
      return "queued";
  }
}

/** A status as a coloured label of fixed width, so a change of status moves nothing around it. */
export function StatusBadge({ status }: { status: JobStatus | string }) {
  return (
    <span className={`status status-${statusTone(status)}`} data-status={status}>
      <span className="status-dot" aria-hidden="true" />
      {LABELS[status] ?? status}
    </span>
  );
}
