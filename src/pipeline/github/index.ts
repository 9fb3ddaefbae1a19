export { loadGithubWorkflow } from "./load.js";
export type { GithubLoadOptions, LoadedWorkflow } from "./load.js";
export { SIMULATED_EVENTS } from "./trigger.js";
export type { SimulatedEvent, Trigger } from "./trigger.js";
export { GithubDialect } from "./dialect.js";
export type { ActionHandler, UsesStep } from "./actions.js";
export { registerAction } from "./actions.js";
