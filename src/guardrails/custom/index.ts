export { defineRule, type RuleDefinition } from "./define.js";
export { loadCustomRules, readCustomRules, DEFAULT_RULES_DIR } from "./load.js";
export { parseYamlRules, type LoadedRules } from "./yaml-rules.js";
export { loadModuleRules } from "./module-rules.js";
export { runCustomRules } from "./run.js";
export { evaluate, looseEquals, type Condition, type Outcome } from "./condition.js";
