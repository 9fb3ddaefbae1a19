import { ProcessExecutor } from "../../src/executors/process-executor.js";
import { describeExecutorContract } from "./executor-contract.js";

describeExecutorContract("ProcessExecutor", () => new ProcessExecutor({ killGraceMs: 1000 }));
