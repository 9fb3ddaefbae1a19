export type { Executor, StepCommand, StepOutcome } from "./executor.js";
export { ProcessExecutor } from "./process-executor.js";
export type { ProcessExecutorOptions } from "./process-executor.js";
export { LineSplitter } from "./line-splitter.js";
export { directCommand, resolveInvocation } from "./shell.js";
export { SlotExecutor, SLOT_LAUNCHER, type SlotExecutorOptions } from "./slot-executor.js";
