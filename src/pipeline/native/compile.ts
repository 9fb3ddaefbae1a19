import { YamlSource } from "../../config/yaml-source.js";
import type { YamlPath } from "../../config/yaml-source.js";
import { ConfigError } from "../../errors/index.js";
import type { Diagnostic } from "../../errors/index.js";
import { checkTemplate, findExpressions } from "../expressions.js";
import type { ExpressionPlace } from "../expressions.js";
import { DEFAULT_JOB_TIMEOUT_MINUTES, pipelineSchema } from "../ir.js";
import type { CacheSpec, Job, Pipeline, Retry, Step } from "../ir.js";
import { expandMatrix } from "../matrix.js";
import { checkGraph } from "../graph-check.js";
import { closest } from "../../config/suggest.js";
import { loadDeliveryConfig } from "../../delivery/config.js";
import { loadNativeSlos } from "../../reliability/index.js";
import { sortByPosition, validateDocument } from "../../config/schema-diagnostics.js";
import type { DiagnosticStyle } from "../../config/schema-diagnostics.js";
import { compileOn } from "./compile-on.js";
import { deployStepCommand } from "./compile-deploy.js";
import { TERRAFORM_STEP_KINDS, terraformStepCommand } from "./compile-terraform.js";
import {
  nativeInputSchema,
  nativeJobSchema,
  nativeOnSchema,
  nativePipelineSchema,
  nativeStepSchema,
  terraformApplySchema,
  terraformDriftSchema,
  terraformPlanSchema,
} from "./schema.js";
import type { NativeJob, NativePipeline, NativeStep } from "./schema.js";

/** The kinds of step: a script, or one of the built-in steps that run Slipway itself. */
const STEP_KINDS = ["run", "slo-gate", "check", "deploy", ...TERRAFORM_STEP_KINDS] as const;
const STEP_KINDS_TEXT = `run, slo-gate, check or deploy, or one of ${TERRAFORM_STEP_KINDS.join(", ")}`;

export function compileNativePipeline(text: string, file: string): Pipeline {
  const { source, diagnostics } = YamlSource.parse(file, text);
  if (diagnostics.length > 0) throw new ConfigError(diagnostics);

  const { data, diagnostics: schemaDiagnostics } = validateDocument(
    nativePipelineSchema,
    source.toJS() ?? {},
    source,
    NATIVE_STYLE,
  );
  if (!data) throw new ConfigError(sortByPosition(schemaDiagnostics));

  const compiler = new NativeCompiler(source, data);
  const pipeline = compiler.compile();
  const all = [...schemaDiagnostics, ...compiler.diagnostics];
  if (all.length > 0) throw new ConfigError(sortByPosition(all));
  return pipelineSchema.parse(pipeline);
}

class NativeCompiler {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    private readonly source: YamlSource,
    private readonly doc: NativePipeline,
  ) {}

  compile(): Pipeline {
    // The SLOs are checked with the pipeline, so one `slipway validate` reports both.
    if (this.doc.slos !== undefined) {
      this.diagnostics.push(...loadNativeSlos(this.doc.slos, this.source, ["slos"]).diagnostics);
    }
    // So are the delivery sections: what the schema cannot see (a template that does not exist).
    if (this.doc.services || this.doc.analysis || this.doc.environments) {
      this.diagnostics.push(...loadDeliveryConfig(this.doc, this.source).diagnostics);
    }
    const env = this.templates(this.doc.env ?? {}, ["env"], "pipeline");
    const jobs = Object.entries(this.doc.jobs).map(([id, job]) => this.job(id, job));
    this.diagnostics.push(
      ...checkGraph(jobs).map((problem) => ({
        position: this.needPosition(problem.jobId, problem.need),
        message: problem.message,
        hint: problem.hint,
      })),
    );
    const pipeline: Pipeline = {
      name: this.doc.name ?? "pipeline",
      source: { file: this.source.file, frontEnd: "native" },
      env,
      secrets: this.doc.secrets ?? [],
      jobs,
    };
    if (this.doc.on !== undefined) {
      const on = compileOn(this.source, this.doc.on, this.diagnostics);
      pipeline.meta = { native: { on } as unknown as Record<string, unknown> };
    }
    return pipeline;
  }

  private needPosition(jobId: string, need: string | undefined) {
    if (need === undefined) return this.source.positionOf(["jobs", jobId], { key: true });
    const needs = this.doc.jobs[jobId]?.needs;
    const index = Array.isArray(needs) ? needs.indexOf(need) : -1;
    return this.source.positionOf(index === -1 ? ["jobs", jobId, "needs"] : ["jobs", jobId, "needs", index]);
  }

  private job(id: string, job: NativeJob): Job {
    const path = ["jobs", id];
    const needs = job.needs === undefined ? [] : typeof job.needs === "string" ? [job.needs] : job.needs;
    const steps = job.steps.map((step, index) => this.step(step, index, [...path, "steps", index]));
    this.checkStepIds(steps, path);
    const compiled: Job = {
      id,
      name: job.name ?? id,
      needs,
      if: this.condition(job.if, [...path, "if"], "job"),
      env: this.templates(job.env ?? {}, [...path, "env"], "job"),
      timeoutMinutes: job["timeout-minutes"] ?? DEFAULT_JOB_TIMEOUT_MINUTES,
      continueOnError: job["continue-on-error"] ?? false,
      outputs: this.templates(job.outputs ?? {}, [...path, "outputs"], "step"),
      steps,
      artifacts: this.paths(
        job.artifacts === undefined ? [] : Array.isArray(job.artifacts) ? job.artifacts : job.artifacts.paths,
        Array.isArray(job.artifacts) ? [...path, "artifacts"] : [...path, "artifacts", "paths"],
      ),
      reports: { junit: this.paths(toArray(job.reports?.junit), [...path, "reports", "junit"]) },
      position: this.source.positionOf(path, { key: true }),
    };
    if (job.matrix) compiled.matrix = this.matrix(job.matrix, [...path, "matrix"]);
    if (job.concurrency !== undefined) {
      const c = job.concurrency;
      const group = typeof c === "string" ? c : c.group;
      this.template(group, [...path, "concurrency", ...(typeof c === "string" ? [] : ["group"])], "job");
      compiled.concurrency = {
        group,
        cancelInProgress: typeof c === "string" ? false : (c["cancel-in-progress"] ?? false),
      };
    }
    if (job.approval !== undefined) {
      const approval = job.approval === true ? {} : job.approval;
      const subject = approval.subject ?? "";
      if (approval.subject !== undefined) this.template(subject, [...path, "approval", "subject"], "job");
      compiled.approval = { subject, role: approval.role ?? "operator" };
    }
    if (job.cache) compiled.cache = this.cache(job.cache, [...path, "cache"], "job");
    return compiled;
  }

  private step(step: NativeStep, index: number, path: YamlPath): Step {
    const kinds = STEP_KINDS.filter((kind) => step[kind] !== undefined);
    if (kinds.length !== 1) {
      this.diagnostics.push({
        position: this.source.positionOf(path),
        message:
          kinds.length === 0
            ? `a step needs one of ${STEP_KINDS_TEXT}`
            : `a step has one of ${STEP_KINDS_TEXT}, not ${kinds.join(" and ")}`,
        hint: "split it into several steps",
      });
    }
    const gate = step["slo-gate"];
    const env = this.templates(step.env ?? {}, [...path, "env"], "step");
    if (gate?.["override-reason"] !== undefined) {
      env.SLIPWAY_GATE_OVERRIDE = this.template(
        gate["override-reason"],
        [...path, "slo-gate", "override-reason"],
        "step",
      );
    }
    const check = (value: string, at: YamlPath) => void this.template(value, at, "step");
    const terraformKind = TERRAFORM_STEP_KINDS.find((kind) => step[kind] !== undefined);
    const builtIn = terraformKind
      ? { kind: terraformKind, ...terraformStepCommand(terraformKind, step, path, check) }
      : step.deploy
        ? { kind: "deploy", ...deployStepCommand(step.deploy, [...path, "deploy"], check) }
        : undefined;
    if (builtIn) Object.assign(env, builtIn.env);
    const run = gate
      ? sloGateScript(gate)
      : step.check
        ? checkScript(step.check)
        : builtIn
          ? builtInStep(
              builtIn.kind,
              builtIn.args,
              Object.keys(builtIn.env)
                .map((name) => ` "$${name}"`)
                .join(""),
            )
          : this.template(step.run ?? "", [...path, "run"], "step");
    const defaultName = gate ? "slo gate" : step.check ? "check" : (builtIn?.name ?? firstLine(run));
    const compiled: Step = {
      index,
      name: step.name ?? step.id ?? defaultName,
      run,
      shell: step.shell ?? "bash",
      env,
      if: this.condition(step.if, [...path, "if"], "step"),
      retry: retry(step.retry),
      continueOnError: step["continue-on-error"] ?? false,
      position: this.source.positionOf(path),
    };
    if (step.id !== undefined) compiled.id = step.id;
    if (step["working-directory"] !== undefined) {
      compiled.workingDirectory = this.template(
        step["working-directory"],
        [...path, "working-directory"],
        "step",
      );
    }
    if (step["timeout-minutes"] !== undefined) compiled.timeoutMinutes = step["timeout-minutes"];
    if (step.cache) compiled.cache = this.cache(step.cache, [...path, "cache"], "step");
    return compiled;
  }

  private matrix(matrix: NonNullable<NativeJob["matrix"]>, path: YamlPath): NonNullable<Job["matrix"]> {
    const { include, exclude, "max-parallel": maxParallel, "fail-fast": failFast, ...axes } = matrix;
    const compiled: NonNullable<Job["matrix"]> = {
      axes: axes as Record<string, unknown[]>,
      include: include ?? [],
      exclude: exclude ?? [],
      failFast: failFast ?? true,
    };
    if (maxParallel !== undefined) compiled.maxParallel = maxParallel;
    for (const [name, values] of Object.entries(compiled.axes)) {
      if (values.length === 0) {
        this.diagnostics.push({
          position: this.source.positionOf([...path, name]),
          message: `matrix axis "${name}" has no values`,
          hint: "give the axis at least one value, or remove it",
        });
      }
    }
    if (expandMatrix(compiled).length === 0) {
      this.diagnostics.push({
        position: this.source.positionOf(path, { key: true }),
        message: "the matrix expands to no combination, so the job would never run",
        expected: "at least one axis with values, or an include entry",
        hint: "check that exclude does not remove every combination",
      });
    }
    return compiled;
  }

  /** Path lists may use job-level expressions (matrix values, env). */
  private paths(paths: string[], path: YamlPath): string[] {
    paths.forEach((p, i) => this.template(p, [...path, i], "job"));
    return paths;
  }

  private cache(cache: NonNullable<NativeStep["cache"]>, path: YamlPath, place: ExpressionPlace): CacheSpec {
    const compiled: CacheSpec = {
      inputs: this.paths(cache.inputs, [...path, "inputs"]),
      outputs: this.paths(cache.outputs, [...path, "outputs"]),
    };
    if (cache.key !== undefined) compiled.key = this.template(cache.key, [...path, "key"], place);
    return compiled;
  }

  private checkStepIds(steps: Step[], jobPath: YamlPath): void {
    const seen = new Set<string>();
    for (const step of steps) {
      if (step.id === undefined) continue;
      if (seen.has(step.id)) {
        this.diagnostics.push({
          position: this.source.positionOf([...jobPath, "steps", step.index, "id"]),
          message: `step id "${step.id}" is used twice in this job`,
          hint: "step ids name steps.<id>.outputs, so each must be unique within its job",
        });
      }
      seen.add(step.id);
    }
  }

  private condition(condition: string | undefined, path: YamlPath, place: ExpressionPlace): string {
    if (condition === undefined) return "success()";
    for (const error of checkTemplate(condition, place, { bare: true })) {
      this.diagnostics.push({
        position: this.source.positionOf(path),
        message: `invalid expression: ${error.message}`,
        hint: "write a bare expression, e.g. `if: matrix.os == 'linux'`, or wrap it in ${{ }}",
      });
    }
    return condition;
  }

  private templates(
    values: Record<string, string>,
    path: YamlPath,
    place: ExpressionPlace,
  ): Record<string, string> {
    for (const [key, value] of Object.entries(values)) this.template(value, [...path, key], place);
    return values;
  }

  private template(value: string, path: YamlPath, place: ExpressionPlace): string {
    const errors = checkTemplate(value, place);
    if (errors.length === 0) return value;
    const nodePosition = this.source.positionOf(path);
    for (const error of errors) {
      this.diagnostics.push({
        position: this.expressionPosition(value, error.offset, path) ?? nodePosition,
        message: `invalid expression: ${error.message}`,
        hint: "expressions use GitHub Actions' syntax: ${{ env.NAME }}, ${{ steps.<id>.outputs.<name> }}",
      });
    }
    return value;
  }

  /** Finds the exact `${{` in the file text, so the caret points at the expression, not at the value. */
  private expressionPosition(value: string, offset: number, path: YamlPath) {
    let segmentText: string;
    try {
      const segment = findExpressions(value).find((s) => s.start === offset);
      segmentText = segment ? value.slice(segment.start, segment.end) : value.slice(offset, offset + 3);
    } catch {
      segmentText = value.slice(offset, offset + 3);
    }
    const start = this.source.positionOf(path);
    const lines = this.source.text.split("\n");
    let base = 0;
    for (let i = 0; i < start.line - 1; i++) base += (lines[i]?.length ?? 0) + 1;
    const found = this.source.text.indexOf(segmentText, base + start.column - 1);
    return found === -1 ? undefined : this.source.positionAt(found);
  }
}

function retry(value: NativeStep["retry"]): Retry {
  if (value === undefined) return { count: 0, delaySeconds: 1, factor: 2 };
  if (typeof value === "number") return { count: value, delaySeconds: 1, factor: 2 };
  return { count: value.count, delaySeconds: seconds(value.delay ?? 1), factor: value.factor ?? 2 };
}

function seconds(value: number | string): number {
  if (typeof value === "number") return value;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value);
  if (!match) return 1;
  const n = Number(match[1]);
  return match[2] === "ms" ? n / 1000 : match[2] === "m" ? n * 60 : n;
}

function toArray(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : typeof value === "string" ? [value] : value;
}

/**
 * An `slo-gate` step is `slipway slo gate` run by the same Slipway that runs the pipeline
 * (SLIPWAY_NODE and SLIPWAY_CLI are set for every step by the CLI), so its decision and any
 * override reason are in the step's log like any other output.
 */
function sloGateScript(gate: NonNullable<NativeStep["slo-gate"]>): string {
  const files = typeof gate.slos === "string" ? [gate.slos] : gate.slos;
  const args = ["slo", "gate", ...files, "--prometheus", gate.prometheus];
  if (gate["min-budget-remaining"] !== undefined)
    args.push("--min-budget-remaining", String(gate["min-budget-remaining"]));
  if (gate["block-on-page-alert"] === false) args.push("--no-block-on-page-alert");
  for (const slo of gate.only ?? []) args.push("--slo", slo);
  return builtInStep(
    "slo-gate",
    args,
    ' ${SLIPWAY_GATE_OVERRIDE:+--override-reason "$SLIPWAY_GATE_OVERRIDE"}',
  );
}

/** A `check` step is `slipway check` over the workspace, run by the Slipway that runs the pipeline. */
function checkScript(check: NonNullable<NativeStep["check"]>): string {
  const args = ["check", ...toArray(check.paths)];
  if (check["fail-on"]) args.push("--fail-on", check["fail-on"]);
  if (check.output) args.push("--format", check.format ?? "sarif", "--output", check.output);
  else if (check.format) args.push("--format", check.format);
  if (check.frameworks) args.push("--framework", ...check.frameworks);
  for (const rule of check["skip-rules"] ?? []) args.push("--skip-rule", rule);
  for (const glob of check.exclude ?? []) args.push("--exclude", glob);
  for (const file of check["var-files"] ?? []) args.push("--var-file", file);
  if (check.baseline) args.push("--baseline", check.baseline);
  if (check["rules-dir"]) args.push("--rules-dir", ...toArray(check["rules-dir"]));
  return builtInStep("check", args);
}

/** Runs the Slipway CLI that runs the pipeline (SLIPWAY_NODE and SLIPWAY_CLI are set for every step). */
function builtInStep(kind: string, args: readonly string[], extra = ""): string {
  return [
    `if [ -z "\${SLIPWAY_CLI:-}" ]; then echo "${kind} needs the slipway CLI (SLIPWAY_CLI is not set)" >&2; exit 2; fi`,
    `"$SLIPWAY_NODE" "$SLIPWAY_CLI" ${args.map(shellQuote).join(" ")}${extra}`,
  ].join("\n");
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

function firstLine(script: string): string {
  const line = script.trim().split("\n")[0] ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

const NATIVE_STYLE: DiagnosticStyle = {
  describePath: (path) => (path.length === 0 ? "pipeline" : path.map(String).join(".")),
  suggestKey,
  unionHint,
};

/** The keys each kind of object allows, read from the schema so suggestions never drift from it. */
const KNOWN_KEYS: Record<string, string[]> = {
  top: Object.keys(nativePipelineSchema.shape).filter((key) => key !== "$schema"),
  job: Object.keys(nativeJobSchema.shape),
  step: Object.keys(nativeStepSchema.shape),
  on: Object.keys(nativeOnSchema.shape),
  push: ["branches", "branches-ignore", "tags", "tags-ignore", "paths", "paths-ignore"],
  pull_request: ["branches", "branches-ignore", "paths", "paths-ignore"],
  schedule: ["cron"],
  manual: ["inputs"],
  input: Object.keys(nativeInputSchema.shape),
  "terraform-plan": Object.keys(terraformPlanSchema.shape),
  "terraform-apply": Object.keys(terraformApplySchema.shape),
  "terraform-drift": Object.keys(terraformDriftSchema.shape),
};

const GITHUB_ONLY: Record<string, string> = {
  "runs-on": "slipway.yaml jobs run on this machine; runs-on belongs to GitHub workflows",
  strategy: "in slipway.yaml the matrix is `matrix:` directly under the job",
  uses: "slipway.yaml steps are `run:` scripts",
  with: "slipway.yaml steps take `env:`, not `with:`",
  timeout: "use timeout-minutes",
};

/** GitHub's words under `on:` that slipway.yaml spells otherwise. */
const GITHUB_ONLY_ON: Record<string, string> = {
  workflow_dispatch: "in slipway.yaml, runs asked for through the API or `slipway run` are `manual:`",
  types: "slipway.yaml runs a pull request when it brings new commits; there are no activity types",
};

function suggestKey(key: string, path: readonly PropertyKey[]): string | undefined {
  if (GITHUB_ONLY[key]) return GITHUB_ONLY[key];
  if (path[0] === "on" && GITHUB_ONLY_ON[key]) return GITHUB_ONLY_ON[key];
  const kind = path[0] === "on" ? onKind(path) : jobsKind(path);
  if (!kind) return undefined;
  const known = KNOWN_KEYS[kind] ?? [];
  const close = closest(key, known);
  return close
    ? `did you mean "${close}"? Allowed: ${known.join(", ")}`
    : `allowed keys: ${known.join(", ")}`;
}

function jobsKind(path: readonly PropertyKey[]): string | undefined {
  if (path.length === 0) return "top";
  if (path.at(-2) === "steps") return "step";
  const last = String(path.at(-1));
  if (path.at(-3) === "steps" && (TERRAFORM_STEP_KINDS as readonly string[]).includes(last)) return last;
  return path[0] === "jobs" && path.length === 2 ? "job" : undefined;
}

/** on, on.push, on.schedule.0, on.manual, on.manual.inputs.NAME */
function onKind(path: readonly PropertyKey[]): string | undefined {
  if (path.length === 1) return "on";
  if (path.length === 2 || (path.length === 3 && path[1] === "schedule")) return String(path[1]);
  return path.length === 4 && path[2] === "inputs" ? "input" : undefined;
}

function unionHint(path: readonly PropertyKey[]): string | undefined {
  const last = String(path.at(-1));
  if (last === "needs") return "a job id or a list of job ids";
  if (last === "retry") return "a number of retries, or {count, delay, factor}";
  if (last === "artifacts") return "a list of paths, or {paths: [...]}";
  if (last === "concurrency") return "a group name, or {group, cancel-in-progress}";
  return undefined;
}
