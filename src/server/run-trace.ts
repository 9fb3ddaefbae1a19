import type { Store } from "../store/index.js";
import type { Tracing } from "../telemetry/index.js";

/**
 * Sends a finished run to the trace backend: a span for the run, one per job, one per step
 * attempt, with the times the history recorded. Built from the store after the run ends rather
 * than live, because a run may be coordinated by several servers in turn and its steps run on
 * agents: the history is the one place that saw all of it.
 */
export async function traceRun(tracing: Tracing, store: Store, runId: string): Promise<void> {
  const run = await store.getRun(runId);
  if (!run) return;
  const [jobs, steps] = await Promise.all([store.listJobs(runId), store.listSteps(runId)]);
  const start = run.startedAt ?? run.queuedAt;
  const root = tracing.startSpan(
    `run ${run.pipelineName}`,
    {
      "slipway.run.id": run.id,
      "slipway.run.number": run.number,
      "slipway.project": run.project ?? "",
      "slipway.pipeline.file": run.file,
      "slipway.front_end": run.frontEnd,
      "slipway.trigger": run.trigger,
      "slipway.actor": run.actor,
      "vcs.ref.head.revision": run.commit ?? "",
    },
    undefined,
    { startTimeMs: start },
  );
  for (const job of jobs) {
    if (job.startedAt === undefined) continue;
    const span = tracing.startSpan(
      `job ${job.key}`,
      { "slipway.job.key": job.key, "slipway.job.status": job.status, "slipway.job.cache_hit": job.cacheHit },
      root,
      { startTimeMs: job.startedAt },
    );
    for (const step of steps.filter((s) => s.jobKey === job.key)) {
      for (const attempt of step.attempts) {
        const child = tracing.startSpan(
          `step ${step.name}`,
          {
            "slipway.step.index": step.index,
            "slipway.step.attempt": attempt.attempt,
            "slipway.step.status": attempt.status,
            ...(attempt.exitCode !== undefined ? { "process.exit.code": attempt.exitCode } : {}),
          },
          span,
          { startTimeMs: attempt.startedAt },
        );
        child.setStatus(attempt.status === "success" || attempt.status === "skipped", attempt.reason);
        child.end(attempt.finishedAt ?? attempt.startedAt);
      }
    }
    span.setStatus(job.status === "success" || job.status === "skipped", job.reason);
    span.end(job.finishedAt ?? job.startedAt);
  }
  root.setStatus(run.status === "success", run.status);
  root.end(run.finishedAt ?? Date.now());
}
