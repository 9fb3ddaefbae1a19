export { Timeline } from "./Timeline.js";
export type { TimelineProps } from "./Timeline.js";
export { timelineJobsFromRun } from "./from-run.js";
export type { TimelineJob, TimelineStep } from "./types.js";
