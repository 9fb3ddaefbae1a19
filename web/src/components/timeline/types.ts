import type { JobStatus } from "../../api/types.js";

export interface TimelineStep {
  index: number;
  name: string;
  status: JobStatus;
  /** Of the step's last attempt. */
  startedAt?: number | undefined;
  finishedAt?: number | undefined;
  cacheHit?: boolean | undefined;
}

export interface TimelineJob {
  key: string;
  name: string;
  status: JobStatus;
  startedAt?: number | undefined;
  finishedAt?: number | undefined;
  cacheHit?: boolean | undefined;
  steps: readonly TimelineStep[];
}
