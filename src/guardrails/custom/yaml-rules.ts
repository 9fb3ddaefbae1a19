import { sortByPosition, validateDocument, type DiagnosticStyle } from "../../config/schema-diagnostics.js";
import { closest } from "../../config/suggest.js";
import { YamlSource, type YamlPath } from "../../config/yaml-source.js";
import type { Diagnostic } from "../../errors/index.js";
import type { CustomRule, GenericResource, Reporter } from "../model.js";
import { describeViolation, evaluate, evidence, OPERATORS, type Condition, type Test } from "./condition.js";
import {
  CONDITION_KEYS,
  YAML_RULE_KEYS,
  yamlRulesFileSchema,
  type RawCondition,
  type YamlRule,
} from "./schema.js";
import { recordRuleSource } from "./source.js";

export interface LoadedRules {
  rules: CustomRule[];
  diagnostics: Diagnostic[];
}

const STYLE: DiagnosticStyle = {
  describePath: (path) => (path.length === 0 ? "the rules file" : path.map(String).join(".")),
  suggestKey: (key, path) => {
    const known = keysAt(path);
    const close = closest(key, known);
    return close
      ? `did you mean "${close}"? Allowed: ${known.join(", ")}`
      : `allowed keys: ${known.join(", ")}`;
  },
};

/** Which keys the mapping at `path` allows: the file, a rule, or a condition. */
function keysAt(path: YamlPath): string[] {
  if (path.length === 0) return ["rules"];
  if (path.length === 2 && path[0] === "rules") return YAML_RULE_KEYS;
  return [...CONDITION_KEYS];
}

/**
 * Reads declarative rules: each names the resource types it checks and what they must satisfy
 * (`require`); a resource for which `require` is false is a finding, one for which it is unknown
 * is not. Every problem of the file is reported with its line and column.
 */
export function parseYamlRules(file: string, text: string): LoadedRules {
  const { source, diagnostics } = YamlSource.parse(file, text);
  if (diagnostics.length > 0) return { rules: [], diagnostics };
  const raw = source.toJS() ?? {};
  const { data, diagnostics: schemaDiagnostics } = validateDocument(yamlRulesFileSchema, raw, source, STYLE);
  if (!data) return { rules: [], diagnostics: sortByPosition(schemaDiagnostics) };
  const rules = data.rules.map((rule, index) => {
    const compiled = compileRule(rule);
    const position = source.positionOf(["rules", index, "id"]);
    recordRuleSource(compiled, { file, line: position.line, column: position.column });
    return compiled;
  });
  return { rules, diagnostics: sortByPosition(schemaDiagnostics) };
}

function compileRule(rule: YamlRule): CustomRule {
  const types = new Set(typeof rule.resource === "string" ? [rule.resource] : rule.resource);
  const everyType = types.has("*");
  const require = compileCondition(rule.require);
  const when = rule.when ? compileCondition(rule.when) : undefined;
  const { id, title, severity, framework, rationale, remediation, references } = rule;
  return {
    id,
    title,
    severity,
    framework,
    rationale,
    remediation,
    references,
    checkResources(resources: readonly GenericResource[], report: Reporter) {
      for (const resource of resources) {
        if (!everyType && !types.has(resource.type)) continue;
        if (when && evaluate(when, resource).value !== true) continue;
        const outcome = evaluate(require, resource);
        if (outcome.value !== false) continue;
        const { span, provenance } = evidence(outcome);
        report({
          message: rule.message ?? describeViolation(outcome),
          span: span ?? resource.span,
          resource: resource.address,
          provenance,
          // A suppression on the resource covers a finding on any of its attributes.
          enclosing: [resource.span, ...(resource.enclosing ?? [])],
        });
      }
    },
  };
}

export function compileCondition(raw: RawCondition): Condition {
  if (raw.all) return { all: raw.all.map(compileCondition) };
  if (raw.any) return { any: raw.any.map(compileCondition) };
  if (raw.not) return { not: compileCondition(raw.not) };
  const op = OPERATORS.find((name) => Object.hasOwn(raw, name) && raw[name] !== undefined) ?? "exists";
  return { attribute: raw.attribute ?? "", test: compileTest(op, raw) };
}

function compileTest(op: (typeof OPERATORS)[number], raw: RawCondition): Test {
  switch (op) {
    case "exists":
      return { op, expected: raw.exists ?? true };
    case "in":
    case "not-in":
      return { op, expected: raw[op] ?? [] };
    case "matches":
      return { op, expected: new RegExp(raw.matches ?? "") };
    case "greater-than":
    case "less-than":
      return { op, expected: raw[op] ?? 0 };
    default:
      return { op, expected: raw[op] };
  }
}
