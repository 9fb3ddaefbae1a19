export { formatText, type TextOptions } from "./text.js";
export { formatJson, toJsonReport, type JsonReport, type JsonFinding, type JsonLocation } from "./json.js";
export { formatSarif, toSarif, type SarifOptions } from "./sarif.js";
export { formatJunit } from "./junit.js";
export { codeFrame } from "./code-frame.js";
