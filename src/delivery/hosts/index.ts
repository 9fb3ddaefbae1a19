export { startInstance, describeExit } from "./instance.js";
export { InstanceNotReadyError } from "./instance-error.js";
export { PROBE_DEFAULTS, runProbe, urlHost } from "./probe.js";
export type { ProbeTarget } from "./probe.js";
export { shellQuote, shellCommand } from "./shell-quote.js";
export type {
  Instance,
  InstanceEvents,
  InstanceExit,
  InstanceProcess,
  InstanceSpec,
  InstanceState,
  Probe,
  RestartPolicy,
  SshHost,
} from "./types.js";
