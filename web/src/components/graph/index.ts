export { RunGraph } from "./RunGraph.js";
export type { GraphLayoutStats, RunGraphProps } from "./RunGraph.js";
export { graphJobsFromRun } from "./from-run.js";
export type { GraphJob } from "./types.js";
export {
  defaultLayoutEngine,
  inlineLayoutEngine,
  preloadGraphLayout,
  workerLayoutEngine,
} from "./engines.js";
export type { GraphLayout, GraphLayoutEngine } from "./layout.js";
export { buildGraphModel } from "./model.js";
export type { GraphModel } from "./model.js";
// For other layout engines (the benchmark's baseline): the sizes the drawing expects.
export { childOffset, GROUP_WIDTH, groupHeight, NODE_HEIGHT, NODE_WIDTH } from "./geometry.js";
export type { Box } from "./geometry.js";
