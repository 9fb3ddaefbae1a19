import type { JobStatus } from "../../api/types.js";

/** One job instance as the graph draws it: a plain job or one child of a matrix job. */
export interface GraphJob {
  /** Unique in the run; a matrix child's key carries its values: `test (linux, 20)`. */
  key: string;
  /** The job's id in the pipeline: every child of a matrix job shares it. */
  jobId: string;
  name: string;
  status: JobStatus;
  /** Keys of the instances this one waits for; a job id stands for all its instances. */
  needs: readonly string[];
  matrix?: Readonly<Record<string, unknown>> | undefined;
  startedAt?: number | undefined;
  finishedAt?: number | undefined;
  cacheHit?: boolean | undefined;
}
