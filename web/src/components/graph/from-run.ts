import type { RunDetail } from "../../api/types.js";
import type { GraphJob } from "./types.js";

/** The graph's input from GET /api/runs/ID, in the order the plan lists the jobs. */
export function graphJobsFromRun(run: Pick<RunDetail, "jobs">): GraphJob[] {
  return run.jobs.map((job) => ({
    key: job.key,
    jobId: job.jobId,
    name: job.name,
    status: job.status,
    needs: job.needs,
    matrix: job.matrix,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    cacheHit: job.cacheHit,
  }));
}
