import { z } from "zod";
import { deliverySectionsSchema } from "../../delivery/config-schema.js";
import { CHECK_FORMATS, FAIL_ON, FRAMEWORKS } from "../../guardrails/model.js";

/**
 * The user-facing format of slipway.yaml. Keys follow GitHub Actions' words where they fit, so
 * people feel at home. Every object is strict: an unknown key is an error, never ignored.
 * The JSON Schema shipped for editors (`slipway schema`) is generated from this file, so the
 * documentation of each key lives here, once.
 */

const json: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]),
);

/** Scalars are accepted where a string is expected, as YAML users write `VERSION: 1.2`. */
const stringish = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const envMap = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "not a valid environment variable name"), stringish)
  .meta({ description: "Environment variables; values may use ${{ }} expressions." });

const condition = z.union([z.string(), z.boolean()]).transform(String).meta({
  description:
    "Run only when this expression is true. Without success(), failure(), always() or cancelled() it is implicitly `success() && (...)`.",
});

const timeoutMinutes = z.number().positive().meta({ description: "Kill the work after this many minutes." });

const duration = z
  .union([z.number().min(0), z.string().regex(/^\d+(\.\d+)?(ms|s|m)$/, "a duration like 500ms, 5s or 1m")])
  .meta({ description: "Seconds, or a duration such as 500ms, 5s, 2m." });

export const nativeCacheSchema = z
  .strictObject({
    inputs: z
      .array(z.string())
      .min(1)
      .meta({ description: "Globs of files whose contents make the cache key (with the commands and env)." }),
    outputs: z
      .array(z.string())
      .meta({ description: "Files or directories saved after a miss and restored on a hit." })
      .default([]),
    key: stringish.optional().meta({ description: "Extra text mixed into the key, such as a tool version." }),
  })
  .meta({
    description:
      "Skip the work when its inputs, commands, env and upstream jobs are unchanged, restoring its outputs.",
  });

const retrySchema = z.union([
  z.number().int().min(0).max(10),
  z.strictObject({
    count: z.number().int().min(0).max(10).meta({ description: "Extra attempts after the first." }),
    delay: duration.optional().meta({ description: "Wait before the first retry (default 1s)." }),
    factor: z
      .number()
      .min(1)
      .optional()
      .meta({ description: "Backoff multiplier between retries (default 2)." }),
  }),
]);

const sloGateSchema = z
  .strictObject({
    slos: z
      .union([z.string(), z.array(z.string()).min(1)])
      .meta({ description: "SLO files (Sloth, OpenSLO or slos:)." }),
    prometheus: z.string().meta({ description: "URL of the Prometheus that evaluates the SLO rules." }),
    "min-budget-remaining": z
      .number()
      .min(0)
      .max(1)
      .optional()
      .meta({ description: "Block below this fraction of error budget left (default 0)." }),
    "block-on-page-alert": z
      .boolean()
      .optional()
      .meta({ description: "Block while a page alert fires (default true)." }),
    only: z.array(z.string()).optional().meta({ description: "Only these SLOs (sloth id or SLO name)." }),
    "override-reason": stringish.optional().meta({
      description:
        "When not empty, a blocked deploy goes ahead and the reason is written to the run's log; usually ${{ env.NAME }}.",
    }),
  })
  .meta({
    description:
      "A deploy gate on error budgets: fails the step when a budget is below the threshold or a page alert fires.",
  });

const stringList = z.union([z.string(), z.array(z.string()).min(1)]);

const checkSchema = z
  .strictObject({
    paths: stringList
      .optional()
      .meta({ description: "Files and directories to scan (default: the workspace)." }),
    "fail-on": z
      .enum(FAIL_ON)
      .optional()
      .meta({ description: "Fail the step when a finding is at or above this severity (default low)." }),
    format: z
      .enum(CHECK_FORMATS)
      .optional()
      .meta({ description: "Format of the report written to `output` (default sarif when output is set)." }),
    output: z
      .string()
      .optional()
      .meta({ description: "Also write the report to this file, e.g. check.sarif." }),
    frameworks: z.array(z.enum(FRAMEWORKS)).min(1).optional().meta({ description: "Only these frameworks." }),
    "skip-rules": z.array(z.string()).optional().meta({ description: "Rule ids never to report." }),
    exclude: z.array(z.string()).optional().meta({ description: "Globs of files not to scan." }),
    "var-files": z.array(z.string()).optional().meta({ description: "Terraform -var-file files, in order." }),
    baseline: z.string().optional().meta({ description: "Accepted findings that do not fail the step." }),
    "rules-dir": stringList.optional().meta({
      description:
        "Directories (or files) of custom rules in YAML or TypeScript, relative to the step's working directory (default .slipway/rules, which a snapshot run leaves out).",
    }),
  })
  .meta({
    description:
      "A guardrail: `slipway check` over the workspace; the step fails on findings at or above fail-on.",
  });

const terraformCommon = {
  dir: z.string().min(1).meta({
    description: "The Terraform configuration directory, relative to the step's working directory.",
  }),
  "init-args": z.array(stringish).optional().meta({
    description:
      "Extra arguments for `terraform init`, e.g. [-backend-config=prod.hcl]; terraform runs in `dir`, so their paths are relative to it.",
  }),
  binary: stringish.optional().meta({
    description:
      "The terraform (or tofu) executable; default $SLIPWAY_TERRAFORM, else terraform, then tofu, on PATH.",
  }),
};

const terraformVars = {
  "var-files": z
    .array(stringish)
    .optional()
    .meta({ description: "-var-file files, relative to the step's working directory, in order." }),
  vars: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, "a Terraform variable name"), stringish)
    .optional()
    .meta({ description: "-var NAME=VALUE, applied after the var-files; values may use ${{ }}." }),
};

export const terraformPlanSchema = z
  .strictObject({
    ...terraformCommon,
    ...terraformVars,
    workspace: stringish
      .optional()
      .meta({ description: "Select (or create) this workspace before planning." }),
    out: stringish.optional().meta({
      description:
        "Where plan.tfplan, plan.json and plan.meta.json are written (default .slipway/tf/<dir>); publish it with the job's artifacts.",
    }),
  })
  .meta({
    description:
      "`terraform init`, `plan -out` and `show -json`, with a summary of adds, changes and destroys in the log and the step summary. Outputs: add, change, destroy, replace, has-changes, checksum (SHA-256 of the plan), workspace, plan, json.",
  });

export const terraformApplySchema = z
  .strictObject({
    ...terraformCommon,
    plan: stringish.optional().meta({
      description: "The saved plan (default .slipway/tf/<dir>/plan.tfplan, where terraform-plan writes it).",
    }),
    checksum: stringish.optional().meta({
      description:
        "The SHA-256 of the reviewed plan, usually ${{ needs.<plan job>.outputs.checksum }}: any other plan file is refused.",
    }),
  })
  .meta({
    description:
      "`terraform apply` of exactly a saved plan, in the workspace it was made for; refused when the state moved since the plan.",
  });

export const terraformDriftSchema = z
  .strictObject({
    ...terraformCommon,
    ...terraformVars,
    workspaces: z
      .array(stringish)
      .min(1)
      .optional()
      .meta({ description: "Workspaces to check, one after the other (default: the current one)." }),
    report: stringish
      .optional()
      .meta({ description: "The JSON drift report (default .slipway/tf/drift.json)." }),
    "fail-on-drift": z
      .boolean()
      .optional()
      .meta({ description: "Fail the step (exit 3) when something drifted (default true)." }),
  })
  .meta({
    description:
      "Per workspace, `plan -refresh-only -detailed-exitcode` and `plan -detailed-exitcode`: a drift report of what changed outside Terraform and what the configuration would change. Outputs: drifted, drifted-workspaces, report.",
  });

export const deployStepSchema = z
  .strictObject({
    service: z.string().meta({ description: "The service, as declared under services:." }),
    environment: z
      .string()
      .meta({ description: "The environment, as set on the server with `slipway env apply`." }),
    version: z.string().meta({ description: "The release's version, e.g. ${{ github.sha }}." }),
    dir: z.string().optional().meta({
      description: "Create the release from this directory first (its files and slipway.yaml's service).",
    }),
    override: z
      .string()
      .optional()
      .meta({ description: "Deploy through a freeze window or a spent error budget, for this reason." }),
    file: z
      .string()
      .optional()
      .meta({ description: "The slipway.yaml declaring the service (default slipway.yaml)." }),
  })
  .meta({
    description:
      "`slipway deploy` on the server in $SLIPWAY_SERVER, project $SLIPWAY_PROJECT, with the token in $SLIPWAY_TOKEN: the step follows the deployment and fails unless it succeeds.",
  });

export const nativeStepSchema = z.strictObject({
  run: stringish.optional().meta({
    description:
      "The script to run; with bash: `set -eo pipefail` semantics. A step has one of run, slo-gate, check, terraform-plan, terraform-apply, terraform-drift or deploy.",
  }),
  "slo-gate": sloGateSchema.optional(),
  check: checkSchema.optional(),
  "terraform-plan": terraformPlanSchema.optional(),
  "terraform-apply": terraformApplySchema.optional(),
  "terraform-drift": terraformDriftSchema.optional(),
  deploy: deployStepSchema.optional(),
  id: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, "letters, digits, _ and -, starting with a letter or _")
    .optional()
    .meta({ description: "Name to read this step's outputs: steps.<id>.outputs.<name>." }),
  name: z.string().optional(),
  env: envMap.optional(),
  "working-directory": z.string().optional().meta({ description: "Relative to the workspace." }),
  shell: z
    .string()
    .optional()
    .meta({ description: "bash (default), sh, python, node, or a command with {0} for the script file." }),
  if: condition.optional(),
  "timeout-minutes": timeoutMinutes.optional(),
  retry: retrySchema.optional().meta({ description: "Retries: a count, or {count, delay, factor}." }),
  "continue-on-error": z.boolean().optional(),
  cache: nativeCacheSchema.optional(),
});

const matrixSchema = z
  .strictObject({
    include: z.array(z.record(z.string(), json)).optional(),
    exclude: z.array(z.record(z.string(), json)).optional(),
    "max-parallel": z.number().int().positive().optional(),
    "fail-fast": z
      .boolean()
      .optional()
      .meta({ description: "Cancel the other children when one fails (default true)." }),
  })
  .catchall(z.array(json).meta({ description: "An axis: its values." }))
  .meta({
    description:
      "Run the job once per combination of the axes' values; include adds or extends combinations, exclude removes them.",
  });

const concurrencySchema = z.union([
  z.string(),
  z.strictObject({ group: z.string(), "cancel-in-progress": z.boolean().optional() }),
]);

const approvalSchema = z
  .strictObject({
    subject: z.string().optional().meta({
      description:
        "What is approved, shown to the approver, who must name it: usually ${{ needs.<plan job>.outputs.checksum }}.",
    }),
    role: z
      .enum(["operator", "admin"])
      .optional()
      .meta({ description: "The role an approver needs on the project (default operator)." }),
  })
  .meta({
    description:
      "The job waits, before it starts, for a person to approve it: `slipway approve RUN JOB --subject S`, or reject it.",
  });

const jobIdPattern = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export const nativeJobSchema = z.strictObject({
  name: z.string().optional(),
  needs: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .meta({ description: "Jobs that must finish first." }),
  if: condition.optional(),
  env: envMap.optional(),
  "timeout-minutes": timeoutMinutes.optional().meta({ description: "Default 360." }),
  "continue-on-error": z.boolean().optional(),
  outputs: z
    .record(z.string(), stringish)
    .optional()
    .meta({ description: "Values for dependent jobs: needs.<job>.outputs." }),
  matrix: matrixSchema.optional(),
  concurrency: concurrencySchema.optional(),
  approval: z.union([z.literal(true), approvalSchema]).optional(),
  cache: nativeCacheSchema.optional(),
  artifacts: z
    .union([z.array(z.string()), z.strictObject({ paths: z.array(z.string()) })])
    .optional()
    .meta({ description: "Paths (globs) kept with the run and placed in the workspace of dependent jobs." }),
  reports: z.strictObject({ junit: z.union([z.string(), z.array(z.string())]) }).optional(),
  steps: z.array(nativeStepSchema).min(1, "a job needs at least one step"),
});

const patterns = (what: string) =>
  z
    .array(z.string())
    .min(1)
    .meta({
      description: `${what} Patterns as in GitHub Actions: * (not /), ** (anything), ? + [] and a leading ! to exclude; the last match decides.`,
    })
    .optional();

const refFilterKeys = {
  branches: patterns("Only branches (for pull requests: the branch merged into) matching these patterns."),
  "branches-ignore": patterns("Not branches matching these patterns."),
  paths: patterns("Only when a changed file matches one of these patterns."),
  "paths-ignore": patterns("Not when every changed file matches one of these patterns."),
};

const pushTrigger = z
  .strictObject({
    ...refFilterKeys,
    tags: patterns("Only tags matching these patterns."),
    "tags-ignore": patterns("Not tags matching these patterns."),
  })
  .nullable()
  .meta({
    description:
      "Run on pushes (webhooks and polling). Without filters, every push of a branch or tag. With branch filters only, no tag pushes; with tag filters only, no branch pushes.",
  });

const pullRequestTrigger = z
  .strictObject(refFilterKeys)
  .nullable()
  .meta({ description: "Run on pull requests and merge requests that bring new commits." });

const scheduleTrigger = z
  .array(
    z.strictObject({
      cron: z.string().meta({
        description: "Five fields in UTC: minute hour day-of-month month day-of-week, e.g. '0 3 * * *'.",
      }),
    }),
  )
  .min(1)
  .meta({ description: "Run on the default branch at these times." });

export const INPUT_TYPES = ["string", "boolean", "number"] as const;

const inputNamePattern = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export const nativeInputSchema = z
  .strictObject({
    description: z.string().optional(),
    type: z.enum(INPUT_TYPES).optional().meta({
      description:
        "string (default), boolean or number; without it, a boolean or number default sets the type.",
    }),
    default: z.union([z.string(), z.number(), z.boolean()]).optional().meta({
      description: "The value when the run does not give one; also used by push and schedule runs.",
    }),
    options: z
      .array(stringish)
      .min(1)
      .optional()
      .meta({ description: "The only values allowed (a string input)." }),
    required: z
      .boolean()
      .optional()
      .meta({ description: "A manual run must give a value, unless there is a default (default false)." }),
  })
  .meta({ description: "An input of manual runs, read as ${{ inputs.NAME }}." });

const manualTrigger = z
  .strictObject({
    inputs: z
      .record(
        z
          .string()
          .regex(inputNamePattern, "an input name: letters, digits, _ and -, starting with a letter or _"),
        nativeInputSchema,
      )
      .optional(),
  })
  .nullable()
  .meta({
    description:
      "Run when asked: the API, the web UI, `slipway run --server`. `slipway run` on this machine is always a manual run.",
  });

export const nativeOnSchema = z
  .strictObject({
    push: pushTrigger.optional(),
    pull_request: pullRequestTrigger.optional(),
    schedule: scheduleTrigger.optional(),
    manual: manualTrigger.optional(),
  })
  .meta({
    description:
      "The events that start this pipeline on a server. Without `on:`, every event does; with it, only those listed.",
  });

export const nativePipelineSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: z.string().optional(),
    on: nativeOnSchema.optional(),
    env: envMap.optional(),
    slos: z.record(z.string(), z.unknown()).optional().meta({
      description:
        "Service level objectives of this project, by service then SLO: `slipway slo generate slipway.yaml` turns them into Prometheus rules.",
    }),
    services: deliverySectionsSchema.services.optional().meta({
      description:
        "Services this project deploys: how a release runs (command, instances, probes) and rolls out (rolling, blueGreen, canary).",
    }),
    analysis: deliverySectionsSchema.analysis.optional().meta({
      description:
        "Analysis templates (Argo Rollouts' AnalysisTemplate metrics) that canary and blue-green steps run.",
    }),
    environments: deliverySectionsSchema.environments.optional().meta({
      description:
        "Where services are deployed, with protection: branches, approval, freeze windows, an SLO budget gate. Set on a server with `slipway env apply`.",
    }),
    secrets: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/))
      .optional()
      .meta({
        description:
          "Names of secrets, read from the environment or --secret-file, available as ${{ secrets.NAME }} and masked in logs.",
      }),
    jobs: z
      .record(
        z.string().regex(jobIdPattern, "a job id: letters, digits, _ and -, starting with a letter or _"),
        nativeJobSchema,
      )
      .refine((jobs) => Object.keys(jobs).length > 0, "a pipeline needs at least one job"),
  })
  .meta({ title: "Slipway pipeline", description: "slipway.yaml: a pipeline for `slipway run`." });

export type NativePipeline = z.infer<typeof nativePipelineSchema>;
export type NativeJob = z.infer<typeof nativeJobSchema>;
export type NativeStep = z.infer<typeof nativeStepSchema>;
export type NativeTerraformPlan = z.infer<typeof terraformPlanSchema>;
export type NativeTerraformApply = z.infer<typeof terraformApplySchema>;
export type NativeTerraformDrift = z.infer<typeof terraformDriftSchema>;
export type NativeOnDocument = z.infer<typeof nativeOnSchema>;
export type NativeInputDocument = z.infer<typeof nativeInputSchema>;

export function nativeJsonSchema(): unknown {
  return z.toJSONSchema(nativePipelineSchema, { io: "input", target: "draft-2020-12" });
}
