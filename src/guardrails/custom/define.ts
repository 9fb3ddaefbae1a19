import type { CustomRule, GenericResource, Reporter, RuleMeta } from "../model.js";

/** A rule written in TypeScript or JavaScript: its metadata and a check over one framework's resources. */
export interface RuleDefinition extends RuleMeta {
  check(resources: readonly GenericResource[], report: Reporter): void;
}

/**
 * Builds a custom rule from code. Rule modules (`.slipway/rules/*.ts`) import it from
 * `slipway/rules` and export the result in `rules`:
 *
 * ```ts
 * import { defineRule } from "slipway/rules";
 * export const rules = [defineRule({ id: "ACME-002", ..., check(resources, report) { ... } })];
 * ```
 */
export function defineRule(definition: RuleDefinition): CustomRule {
  return { ...definition, checkResources: (resources, report) => definition.check(resources, report) };
}

/**
 * What `import ... from "slipway/rules"` resolves to inside a rule module: the same function,
 * as source, so modules load without the package being installed where they live.
 */
export const RULES_MODULE_SOURCE =
  "export function defineRule(definition) { return { ...definition, checkResources: (resources, report) => definition.check(resources, report) }; }\n";
