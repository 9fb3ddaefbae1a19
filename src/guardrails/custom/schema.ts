import { z } from "zod";
import { FRAMEWORKS, SEVERITIES } from "../model.js";
import { OPERATORS } from "./condition.js";

/** Prefixes of the built-in rules; custom ids use the organisation's own (ACME-001). */
export const BUILT_IN_PREFIXES = ["TF", "CFN", "K8S", "DOCKER", "GHA", "GITLAB", "SECRET"] as const;

/** The same shape `slipway:ignore` accepts, so custom findings can be suppressed like built-in ones. */
const RULE_ID = /^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-\d+$/;

export const ruleIdSchema = z
  .string()
  .regex(RULE_ID, "a rule id is upper-case words and a number joined by dashes, e.g. ACME-001")
  .refine((id) => !(BUILT_IN_PREFIXES as readonly string[]).includes(id.split("-")[0] ?? ""), {
    message: `ids starting with ${BUILT_IN_PREFIXES.join("-, ")}- belong to built-in rules; use your own prefix, e.g. ACME-001`,
  });

/** What every custom rule declares, in YAML or in code. */
export const ruleMetaSchema = z.object({
  id: ruleIdSchema,
  title: z.string().min(1),
  severity: z.enum(SEVERITIES),
  framework: z.enum(FRAMEWORKS),
  rationale: z.string().min(1),
  remediation: z.string().min(1),
  references: z.array(z.string()).default([]),
});

export interface RawCondition {
  all?: RawCondition[] | undefined;
  any?: RawCondition[] | undefined;
  not?: RawCondition | undefined;
  attribute?: string | undefined;
  exists?: boolean | undefined;
  equals?: unknown;
  "not-equals"?: unknown;
  in?: unknown[] | undefined;
  "not-in"?: unknown[] | undefined;
  matches?: string | undefined;
  contains?: unknown;
  "greater-than"?: number | undefined;
  "less-than"?: number | undefined;
}

export const CONDITION_KEYS = ["all", "any", "not", "attribute", ...OPERATORS] as const;

/**
 * One schema for every form of condition (all, any, not, or a test on an attribute), checked by
 * a refinement, rather than a union: a union of strict objects answers a typo with "matches
 * none of the forms", where this answers with the unknown key and its nearest known name.
 */
export const conditionSchema: z.ZodType<RawCondition> = z.lazy(() =>
  z
    .strictObject({
      all: z.array(conditionSchema).min(1).optional(),
      any: z.array(conditionSchema).min(1).optional(),
      not: conditionSchema.optional(),
      attribute: z.string().min(1).optional(),
      exists: z.boolean().optional(),
      equals: z.unknown().optional(),
      "not-equals": z.unknown().optional(),
      in: z.array(z.unknown()).optional(),
      "not-in": z.array(z.unknown()).optional(),
      matches: z.string().optional(),
      contains: z.unknown().optional(),
      "greater-than": z.number().optional(),
      "less-than": z.number().optional(),
    })
    .superRefine((condition, ctx) => {
      const keys = Object.keys(condition).filter(
        (key) => (condition as Record<string, unknown>)[key] !== undefined,
      );
      const combinators = keys.filter((key) => key === "all" || key === "any" || key === "not");
      const operators = keys.filter((key) => (OPERATORS as readonly string[]).includes(key));
      const hasAttribute = keys.includes("attribute");
      if (combinators.length + (hasAttribute ? 1 : 0) !== 1) {
        ctx.addIssue({
          code: "custom",
          message:
            combinators.length + (hasAttribute ? 1 : 0) === 0
              ? "a condition needs `all`, `any`, `not`, or an `attribute` with a test"
              : `a condition is one of \`all\`, \`any\`, \`not\` or an \`attribute\` test, found ${[...combinators, ...(hasAttribute ? ["attribute"] : [])].join(" and ")}`,
        });
        return;
      }
      if (!hasAttribute) {
        if (operators.length > 0)
          ctx.addIssue({
            code: "custom",
            message: `\`${operators[0]}\` tests an \`attribute\`; add one`,
            path: [operators[0] ?? ""],
          });
        return;
      }
      if (operators.length !== 1)
        ctx.addIssue({
          code: "custom",
          message:
            operators.length === 0
              ? `the test on \`${condition.attribute}\` needs one of ${OPERATORS.join(", ")}`
              : `the test on \`${condition.attribute}\` has ${operators.join(" and ")}; write one test per condition and combine them with \`all\``,
        });
      if (condition.matches !== undefined) {
        try {
          new RegExp(condition.matches);
        } catch (error) {
          ctx.addIssue({
            code: "custom",
            message: `invalid regular expression: ${(error as Error).message}`,
            path: ["matches"],
          });
        }
      }
    }),
);

export const yamlRuleSchema = z.strictObject({
  ...ruleMetaSchema.shape,
  /** The resource types the rule checks (`aws_s3_bucket`, `Deployment`), or `"*"` for all. */
  resource: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** A fixed message instead of the generated one. */
  message: z.string().min(1).optional(),
  /** Only resources for which this holds are checked. */
  when: conditionSchema.optional(),
  /** What each resource must satisfy; a resource that does not is a finding. */
  require: conditionSchema,
});
export type YamlRule = z.infer<typeof yamlRuleSchema>;

export const yamlRulesFileSchema = z.strictObject({ rules: z.array(yamlRuleSchema) });

export const YAML_RULE_KEYS = Object.keys(yamlRuleSchema.shape);
