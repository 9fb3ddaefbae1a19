export { LogViewer } from "./LogViewer.js";
export type { Annotation, LogLine, LogViewerProps } from "./types.js";
