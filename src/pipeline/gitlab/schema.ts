import { z } from "zod";

/**
 * The shape of a GitLab CI job, `default:` and `workflow:`, after includes, extends and
 * `!reference` tags are merged. Objects are strict: an unknown key is reported with a
 * suggestion, never ignored. Keywords Slipway cannot run are accepted by the shape and rejected
 * by the compiler with a "not supported" error at their position (see keywords.ts).
 * https://docs.gitlab.com/ci/yaml/
 */

const variableName = z.string().regex(/^[A-Za-z0-9_]+$/, "a variable name: letters, digits and _");
/** Numbers are accepted where GitLab takes a string (`VERSION: 1.2`); booleans are not, as in GitLab. */
const text = z.union([z.string(), z.number()]).transform(String);
const nested: z.ZodType<unknown> = z.lazy(() => z.union([z.string(), z.array(nested)]));
const script = z.union([z.string(), z.array(nested)]);
const stringList = z.union([z.string(), z.array(z.string())]);
const duration = z.union([z.string(), z.number()]);
const exitCodes = z.union([z.number().int(), z.array(z.number().int()).min(1)]);

export const whenValues = ["on_success", "on_failure", "always", "manual", "delayed", "never"] as const;
export type When = (typeof whenValues)[number];

const jobVariables = z.record(
  variableName,
  z.union([text, z.strictObject({ value: text.optional(), expand: z.boolean().optional() })]),
);

export const globalVariablesSchema = z.record(
  variableName,
  z.union([
    text,
    z.strictObject({
      value: text.optional(),
      description: z.string().optional(),
      expand: z.boolean().optional(),
      options: z.array(text).optional(),
    }),
  ]),
);

const changes = z.union([
  z.array(z.string()),
  z.strictObject({ paths: z.array(z.string()), compare_to: z.string().optional() }),
]);
const exists = z.union([
  z.array(z.string()),
  z.strictObject({ paths: z.array(z.string()), project: z.string().optional(), ref: z.string().optional() }),
]);

const matrixValue = z.union([text, z.array(text)]);
const matrixEntry = z.record(variableName, matrixValue);

const need = z.union([
  z.string(),
  z.strictObject({
    job: z.string(),
    artifacts: z.boolean().optional(),
    optional: z.boolean().optional(),
    parallel: z.strictObject({ matrix: z.array(matrixEntry).min(1) }).optional(),
    project: z.string().optional(),
    ref: z.string().optional(),
    pipeline: z.string().optional(),
  }),
]);
const needs = z.union([z.array(need), z.strictObject({ pipeline: z.string(), job: z.string().optional() })]);

export const ruleSchema = z.strictObject({
  if: z.string().optional(),
  changes: changes.optional(),
  exists: exists.optional(),
  when: z.enum(whenValues).optional(),
  allow_failure: z.boolean().optional(),
  variables: z.record(variableName, text).optional(),
  needs: needs.optional(),
  interruptible: z.boolean().optional(),
  start_in: duration.optional(),
});
export type Rule = z.infer<typeof ruleSchema>;

const onlyExcept = z.union([
  z.string(),
  z.array(z.string()),
  z.strictObject({
    refs: z.array(z.string()).optional(),
    variables: z.array(z.string()).optional(),
    changes: changes.optional(),
    kubernetes: z.literal("active").optional(),
  }),
]);

const reportPaths = stringList;
export const reportTypes = [
  "accessibility",
  "annotations",
  "api_fuzzing",
  "browser_performance",
  "coverage_report",
  "codequality",
  "container_scanning",
  "coverage_fuzzing",
  "cyclonedx",
  "dast",
  "dependency_scanning",
  "dotenv",
  "junit",
  "license_scanning",
  "load_performance",
  "metrics",
  "requirements",
  "repository_xray",
  "sast",
  "secret_detection",
  "terraform",
] as const;

const reportShape: Record<string, z.ZodOptional<z.ZodType>> = {};
for (const type of reportTypes) {
  reportShape[type] =
    type === "coverage_report"
      ? z.strictObject({ coverage_format: z.enum(["cobertura", "jacoco"]), path: z.string() }).optional()
      : reportPaths.optional();
}
const reports = z.strictObject(reportShape);

export const artifactsSchema = z.strictObject({
  paths: z.array(z.string()).optional(),
  exclude: z.array(z.string()).optional(),
  expire_in: duration.optional(),
  expose_as: z.string().optional(),
  name: z.string().optional(),
  public: z.boolean().optional(),
  access: z.enum(["all", "developer", "maintainer", "none"]).optional(),
  reports: reports.optional(),
  untracked: z.boolean().optional(),
  when: z.enum(["on_success", "on_failure", "always"]).optional(),
});

const cacheEntry = z.strictObject({
  key: z
    .union([
      text,
      z.strictObject({
        files: z.array(z.string()).min(1).max(2).optional(),
        files_commits: z.array(z.string()).min(1).max(2).optional(),
        prefix: text.optional(),
      }),
    ])
    .optional(),
  paths: z.array(z.string()).optional(),
  untracked: z.boolean().optional(),
  unprotect: z.boolean().optional(),
  when: z.enum(["on_success", "on_failure", "always"]).optional(),
  policy: z.string().optional(),
  fallback_keys: z.array(z.string()).optional(),
});
const cache = z.union([cacheEntry, z.array(cacheEntry).max(4)]);

const image = z.union([
  z.string(),
  z.strictObject({
    name: z.string(),
    entrypoint: stringList.optional(),
    docker: z.strictObject({ platform: z.string().optional(), user: z.string().optional() }).optional(),
    kubernetes: z.strictObject({ user: text.optional() }).optional(),
    pull_policy: stringList.optional(),
  }),
]);

const retryWhen = z.enum([
  "always",
  "unknown_failure",
  "script_failure",
  "api_failure",
  "stuck_or_timeout_failure",
  "runner_system_failure",
  "runner_unsupported",
  "stale_schedule",
  "job_execution_timeout",
  "archived_failure",
  "unmet_prerequisites",
  "scheduler_failure",
  "data_integrity_failure",
]);
const retry = z.union([
  z.number().int().min(0).max(2),
  z.strictObject({
    max: z.number().int().min(0).max(2).optional(),
    when: z.union([retryWhen, z.array(retryWhen)]).optional(),
    exit_codes: exitCodes.optional(),
  }),
]);

const environment = z.union([
  z.string(),
  z.strictObject({
    name: z.string().optional(),
    url: z.string().optional(),
    on_stop: z.string().optional(),
    action: z.enum(["start", "prepare", "stop", "verify", "access"]).optional(),
    auto_stop_in: z.string().optional(),
    kubernetes: z.record(z.string(), z.unknown()).optional(),
    deployment_tier: z.string().optional(),
  }),
]);

const secrets = z.record(
  variableName,
  z
    .object({ file: z.boolean().optional(), token: z.string().optional() })
    .catchall(z.unknown())
    .refine((s) => Object.keys(s).some((k) => k !== "file" && k !== "token"), {
      message: "a secret names its provider (vault, gcp_secret_manager, azure_key_vault...)",
    }),
);

const defaultKeywords = {
  after_script: script.optional(),
  artifacts: artifactsSchema.optional(),
  before_script: script.optional(),
  cache: cache.optional(),
  hooks: z.strictObject({ pre_get_sources_script: script.optional() }).optional(),
  id_tokens: z.record(z.string(), z.unknown()).optional(),
  identity: z.string().optional(),
  image: image.optional(),
  interruptible: z.boolean().optional(),
  retry: retry.optional(),
  services: z.array(z.unknown()).optional(),
  tags: z.array(z.string()).optional(),
  timeout: duration.optional(),
};

export const defaultSchema = z.strictObject(defaultKeywords);
export type DefaultSection = z.infer<typeof defaultSchema>;
export const DEFAULT_KEYWORDS = Object.keys(defaultKeywords);

export const jobSchema = z.strictObject({
  ...defaultKeywords,
  allow_failure: z.union([z.boolean(), z.strictObject({ exit_codes: exitCodes })]).optional(),
  coverage: z.string().optional(),
  dast_configuration: z.unknown().optional(),
  dependencies: z.array(z.string()).optional(),
  environment: environment.optional(),
  except: onlyExcept.optional(),
  inherit: z
    .strictObject({
      default: z.union([z.boolean(), z.array(z.string())]).optional(),
      variables: z.union([z.boolean(), z.array(z.string())]).optional(),
    })
    .optional(),
  manual_confirmation: z.string().optional(),
  needs: needs.optional(),
  only: onlyExcept.optional(),
  pages: z
    .union([
      z.boolean(),
      z.strictObject({
        publish: z.string().optional(),
        path_prefix: z.string().optional(),
        expire_in: duration.optional(),
      }),
    ])
    .optional(),
  parallel: z
    .union([z.number().int().min(1).max(200), z.strictObject({ matrix: z.array(matrixEntry).min(1) })])
    .optional(),
  release: z.unknown().optional(),
  resource_group: z.string().optional(),
  rules: z.array(ruleSchema).optional(),
  run: z.unknown().optional(),
  script: script.optional(),
  secrets: secrets.optional(),
  stage: z.string().optional(),
  start_in: duration.optional(),
  trigger: z.unknown().optional(),
  variables: jobVariables.optional(),
  when: z.enum(whenValues).optional(),
});
export type JobConfig = z.infer<typeof jobSchema>;
export const JOB_KEYWORDS = [...Object.keys(jobSchema.shape), "extends"].sort();

const workflowRule = ruleSchema.pick({ if: true, changes: true, exists: true, variables: true }).extend({
  when: z.enum(["always", "never"]).optional(),
  auto_cancel: z.record(z.string(), z.unknown()).optional(),
  // Accepted by GitLab without effect in workflow:rules.
  start_in: duration.optional(),
  allow_failure: z.boolean().optional(),
  needs: z.unknown().optional(),
});

export const workflowSchema = z.strictObject({
  name: z.string().optional(),
  rules: z.array(workflowRule).optional(),
  auto_cancel: z
    .strictObject({
      on_new_commit: z.enum(["conservative", "interruptible", "none"]).optional(),
      on_job_failure: z.enum(["all", "none"]).optional(),
    })
    .optional(),
});
export type Workflow = z.infer<typeof workflowSchema>;

export const includeEntrySchema = z.strictObject({
  local: z.string().optional(),
  project: z.string().optional(),
  file: stringList.optional(),
  ref: z.string().optional(),
  remote: z.string().optional(),
  template: z.string().optional(),
  component: z.string().optional(),
  inputs: z.record(z.string(), z.unknown()).optional(),
  rules: z.array(ruleSchema.pick({ if: true, changes: true, exists: true, when: true })).optional(),
  integrity: z.string().optional(),
});

/** Top-level keys that are not jobs. The deprecated globals act as `default:` entries. */
export const GLOBAL_KEYWORDS = [
  "default",
  "include",
  "stages",
  "variables",
  "workflow",
  "spec",
  "image",
  "services",
  "cache",
  "before_script",
  "after_script",
] as const;
