import type { RunDetail } from "../../api/types.js";
import type { TimelineJob } from "./types.js";

/** The timeline's input from GET /api/runs/ID: each step drawn by its last attempt. */
export function timelineJobsFromRun(run: Pick<RunDetail, "jobs">): TimelineJob[] {
  return run.jobs.map((job) => ({
    key: job.key,
    name: job.name,
    status: job.status,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    cacheHit: job.cacheHit,
    steps: job.steps.map((step) => {
      const last = step.attempts.at(-1);
      return {
        index: step.index,
        name: step.name,
        status: step.status,
        startedAt: last?.startedAt,
        finishedAt: last?.finishedAt,
        cacheHit: last?.cacheHit,
      };
    }),
  }));
}
