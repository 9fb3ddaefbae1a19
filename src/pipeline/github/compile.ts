import { ConfigError } from "../../errors/index.js";
import type { Diagnostic, SourcePosition } from "../../errors/index.js";
import { dedupeDiagnostics, sortByPosition } from "../../config/schema-diagnostics.js";
import { checkGraph } from "../graph-check.js";
import { DEFAULT_JOB_TIMEOUT_MINUTES, pipelineSchema } from "../ir.js";
import type { Job, Pipeline, Step } from "../ir.js";
import { expandMatrix } from "../matrix.js";
import { expandUses } from "./actions.js";
import "./builtin-actions.js";
import type { DispatchInput, EventTrigger, FilterList, InputType, JobMeta, WorkflowMeta } from "./meta.js";
import { parseWorkflowFile } from "./parse.js";
import { REF_FILTERS } from "./filters.js";
import { githubShell } from "./shells.js";
import { containsExpression, strategyMatrix } from "./strategy.js";
import {
  entries,
  isBasicExpression,
  isBoolean,
  isMapping,
  isNumber,
  isSequence,
  isString,
  positionOf,
  scalarText,
  stringList,
  toJS,
} from "./tokens.js";
import type { MappingToken, TemplateToken } from "./tokens.js";

/** GitHub refuses matrices larger than this. */
const MAX_MATRIX_JOBS = 256;

/**
 * Compiles a GitHub Actions workflow to the IR. The text is parsed and validated by GitHub's own
 * parser; this adds Slipway's checks (keys it cannot honour, the needs graph, matrices) and keeps
 * expressions as written, for the engine to evaluate. The result depends on the file only: the
 * event, inputs and git state of a run are applied later (see prepare.ts), so it can be cached.
 * Throws ConfigError with every problem of the file.
 */
export function compileWorkflow(text: string, file: string): Pipeline {
  const { root, diagnostics } = parseWorkflowFile(text, file);
  if (!root) {
    throw new ConfigError(
      diagnostics.length > 0
        ? sortByPosition(diagnostics)
        : [
            {
              position: { file, line: 1, column: 1 },
              message: "the workflow is empty",
              expected: "on: and jobs:",
            },
          ],
    );
  }
  const compiler = new WorkflowCompiler(file, root, text);
  const pipeline = compiler.compile();
  const all = dedupeDiagnostics([...diagnostics, ...compiler.diagnostics]);
  if (all.length > 0) throw new ConfigError(sortByPosition(all));
  return pipelineSchema.parse(pipeline);
}

interface RunDefaults {
  shell?: string;
  workingDirectory?: string;
}

class WorkflowCompiler {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    private readonly file: string,
    private readonly root: MappingToken,
    private readonly text: string,
  ) {}

  compile(): Pipeline {
    const top = entries(this.root);
    const meta: WorkflowMeta = {
      on: {},
      onPosition: this.at(top.get("on")?.key),
      inputs: {},
      recorded: {},
    };
    const on = top.get("on");
    if (on) this.triggers(on.value, meta);
    for (const key of ["permissions", "concurrency", "run-name", "description"]) {
      const entry = top.get(key);
      if (entry) meta.recorded[key] = toJS(entry.value);
    }
    const defaults = this.runDefaults(top.get("defaults")?.value, {});
    const jobs: Job[] = [];
    const uncompiled = new Set<string>();
    for (const [id, { key, value }] of entries(top.get("jobs")?.value)) {
      const job = this.job(id, key, value, defaults);
      if (job) jobs.push(job);
      else uncompiled.add(id);
    }
    this.checkNeeds(jobs, uncompiled);
    const name = top.get("name");
    return {
      name: name ? scalarText(name.value) : this.file,
      source: { file: this.file, frontEnd: "github" },
      env: this.env(top.get("env")?.value),
      secrets: referencedSecrets(this.text),
      jobs,
      meta: { github: meta as unknown as Record<string, unknown> },
    };
  }

  private at(token: TemplateToken | undefined): SourcePosition {
    return positionOf(this.file, token);
  }

  private report(token: TemplateToken | undefined, message: string, hint?: string): void {
    this.diagnostics.push({ position: this.at(token), message, hint });
  }

  // ---- on ----------------------------------------------------------------------------------

  private triggers(value: TemplateToken, meta: WorkflowMeta): void {
    if (isString(value)) {
      meta.on[value.value] = { position: this.at(value) };
      return;
    }
    if (isSequence(value)) {
      for (const item of value) meta.on[scalarText(item)] = { position: this.at(item) };
      return;
    }
    for (const [event, { key, value: config }] of entries(value)) {
      const trigger: EventTrigger = { position: this.at(key) };
      const fields = entries(config);
      for (const filter of [...REF_FILTERS, "types"] as const) {
        const entry = fields.get(filter);
        if (entry) trigger[filter] = this.filterList(entry.key, entry.value);
      }
      for (const [a, b] of [
        ["branches", "branches-ignore"],
        ["tags", "tags-ignore"],
        ["paths", "paths-ignore"],
      ] as const) {
        if (trigger[a] && trigger[b]) {
          this.report(
            fields.get(b)?.key,
            `${event} has both ${a} and ${b}`,
            `GitHub allows one of them; use ${a} with !patterns`,
          );
        }
      }
      if (event === "schedule" && isSequence(config)) {
        trigger.crons = [...config].map((item) => scalarText(entries(item).get("cron")?.value ?? item));
      }
      if (event === "workflow_dispatch") this.inputs(fields.get("inputs")?.value, meta);
      meta.on[event] = trigger;
    }
  }

  private filterList(key: TemplateToken, value: TemplateToken): FilterList {
    return { patterns: stringList(value).map((item) => item.value), position: this.at(key) };
  }

  private inputs(token: TemplateToken | undefined, meta: WorkflowMeta): void {
    for (const [name, { key, value }] of entries(token)) {
      const fields = entries(value);
      const type = (fields.get("type") ? scalarText(fields.get("type")!.value) : "string") as InputType;
      const input: DispatchInput = {
        type,
        required: fields.get("required") ? scalarText(fields.get("required")!.value) === "true" : false,
        position: this.at(key),
      };
      const fallback = fields.get("default")?.value;
      if (fallback) input.default = toJS(fallback) as string | number | boolean;
      const options = fields.get("options")?.value;
      if (options) input.options = stringList(options).map((o) => o.value);
      if (
        type === "choice" &&
        input.default !== undefined &&
        !input.options?.includes(String(input.default))
      ) {
        this.report(
          fallback,
          `the default "${String(input.default)}" is not one of the options of input "${name}"`,
        );
      }
      meta.inputs[name] = input;
    }
  }

  // ---- jobs --------------------------------------------------------------------------------

  private runDefaults(token: TemplateToken | undefined, inherited: RunDefaults): RunDefaults {
    const run = entries(entries(token).get("run")?.value);
    const out = { ...inherited };
    const shell = run.get("shell");
    if (shell) out.shell = scalarText(shell.value);
    const dir = run.get("working-directory");
    if (dir) out.workingDirectory = scalarText(dir.value);
    return out;
  }

  private env(token: TemplateToken | undefined): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, { value }] of entries(token)) env[name] = scalarText(value);
    return env;
  }

  private job(
    id: string,
    keyToken: TemplateToken,
    token: TemplateToken,
    workflowDefaults: RunDefaults,
  ): Job | undefined {
    const fields = entries(token);
    if (!isMapping(token)) return undefined;
    const uses = fields.get("uses");
    if (uses) return this.call(id, keyToken, fields, uses.value);
    const meta: JobMeta = { toolChecks: [], checkoutRepositories: [], recorded: {} };
    for (const key of ["environment", "permissions"]) {
      const entry = fields.get(key);
      if (entry) meta.recorded[key] = toJS(entry.value);
    }
    const runsOn = fields.get("runs-on");
    if (runsOn) {
      meta.runsOn = toJS(runsOn.value);
      meta.runsOnPosition = this.at(runsOn.value);
    }
    const defaults = this.runDefaults(fields.get("defaults")?.value, workflowDefaults);
    const steps = this.steps(fields.get("steps")?.value, defaults, meta);
    const job: Job = {
      id,
      name: fields.get("name") ? scalarText(fields.get("name")!.value) : id,
      needs: stringList(fields.get("needs")?.value).map((n) => n.value),
      if: fields.get("if") ? scalarText(fields.get("if")!.value) : "success()",
      env: this.env(fields.get("env")?.value),
      timeoutMinutes: this.minutes(fields.get("timeout-minutes")?.value) ?? DEFAULT_JOB_TIMEOUT_MINUTES,
      continueOnError: this.flag(fields.get("continue-on-error")?.value),
      outputs: this.env(fields.get("outputs")?.value),
      steps,
      artifacts: [],
      reports: { junit: [] },
      position: this.at(keyToken),
    };
    const strategy = fields.get("strategy");
    if (strategy) this.strategy(job, strategy.value, meta);
    const concurrency = fields.get("concurrency");
    if (concurrency) {
      const c = concurrency.value;
      if (isMapping(c)) {
        const group = entries(c).get("group");
        const cancel = entries(c).get("cancel-in-progress");
        if (cancel && !isBoolean(cancel.value)) {
          this.report(
            cancel.value,
            "cancel-in-progress from an expression is not supported yet",
            "write true or false",
          );
        }
        job.concurrency = {
          group: group ? scalarText(group.value) : id,
          cancelInProgress: cancel !== undefined && isBoolean(cancel.value) && cancel.value.value,
        };
      } else {
        job.concurrency = { group: scalarText(c), cancelInProgress: false };
      }
    }
    if (steps.length === 0) this.report(keyToken, `job "${id}" has no steps`, "give it at least one step");
    job.meta = { github: meta as unknown as Record<string, unknown> };
    return job;
  }

  /**
   * A reusable workflow call: a job that waits for the called workflow's jobs and gives their
   * outputs. They are read and added when the workflow is loaded (reusable.ts), since the called
   * file is not part of this one's text.
   */
  private call(
    id: string,
    keyToken: TemplateToken,
    fields: ReturnType<typeof entries>,
    uses: TemplateToken,
  ): Job {
    const secretsToken = fields.get("secrets")?.value;
    const pairs = (token: TemplateToken | undefined) =>
      [...entries(token)].map(([name, { key, value }]) => ({
        name,
        value: scalarText(value),
        position: this.at(key),
      }));
    const meta: JobMeta = {
      toolChecks: [],
      checkoutRepositories: [],
      recorded: {},
      call: {
        uses: scalarText(uses),
        usesPosition: this.at(uses),
        with: pairs(fields.get("with")?.value),
        secrets: secretsToken && isString(secretsToken) ? "inherit" : pairs(secretsToken),
      },
    };
    const permissions = fields.get("permissions");
    if (permissions) meta.recorded.permissions = toJS(permissions.value);
    return {
      id,
      name: fields.get("name") ? scalarText(fields.get("name")!.value) : id,
      needs: stringList(fields.get("needs")?.value).map((n) => n.value),
      if: fields.get("if") ? scalarText(fields.get("if")!.value) : "success()",
      env: {},
      timeoutMinutes: DEFAULT_JOB_TIMEOUT_MINUTES,
      continueOnError: false,
      outputs: {},
      steps: [
        {
          index: 0,
          name: `Call ${scalarText(uses)}`,
          run: "true",
          shell: "bash",
          env: {},
          if: "success()",
          retry: { count: 0, delaySeconds: 1, factor: 2 },
          continueOnError: false,
          position: this.at(uses),
        },
      ],
      artifacts: [],
      reports: { junit: [] },
      position: this.at(keyToken),
      meta: { github: meta as unknown as Record<string, unknown> },
    };
  }

  private minutes(token: TemplateToken | undefined): number | undefined {
    if (!token) return undefined;
    if (isNumber(token) && token.value > 0) return token.value;
    this.report(
      token,
      isBasicExpression(token)
        ? "timeout-minutes from an expression is not supported yet"
        : "timeout-minutes must be a positive number",
      "write a number of minutes",
    );
    return undefined;
  }

  private flag(token: TemplateToken | undefined): boolean | string {
    if (!token) return false;
    if (isBoolean(token)) return token.value;
    return scalarText(token);
  }

  private strategy(job: Job, token: TemplateToken, meta: JobMeta): void {
    const value = toJS(token);
    if (containsExpression(value)) {
      if (/\bneeds\s*\./.test(JSON.stringify(value))) {
        this.report(
          token,
          "a matrix from the outputs of needed jobs is expanded at run time, which Slipway does not support yet",
          "compute the values in this job's steps, or write the matrix out",
        );
        return;
      }
      // Known once the run's event and inputs are: prepare.ts expands it.
      meta.strategy = { value, position: this.at(token) };
      return;
    }
    const matrix = strategyMatrix(value);
    if (typeof matrix === "string") {
      this.report(token, matrix);
      return;
    }
    if (matrix) {
      const count = expandMatrix(matrix).length;
      if (count === 0) {
        this.report(
          token,
          "the matrix expands to no combination, so the job would never run",
          "check that exclude does not remove every combination",
        );
      } else if (count > MAX_MATRIX_JOBS) {
        this.report(token, `the matrix expands to ${count} jobs; GitHub allows ${MAX_MATRIX_JOBS}`);
      }
      job.matrix = matrix;
    }
  }

  /** `uncompiled`: jobs already reported (reusable workflow calls), which needs may name. */
  private checkNeeds(jobs: Job[], uncompiled: ReadonlySet<string>): void {
    const jobTokens = entries(entries(this.root).get("jobs")?.value);
    for (const problem of checkGraph(jobs)) {
      if (problem.need !== undefined && uncompiled.has(problem.need)) continue;
      const needs = entries(jobTokens.get(problem.jobId)?.value).get("needs")?.value;
      const token =
        stringList(needs).find((n) => n.value === problem.need)?.token ?? jobTokens.get(problem.jobId)?.key;
      this.report(token, problem.message, problem.hint);
    }
  }

  // ---- steps -------------------------------------------------------------------------------

  private steps(token: TemplateToken | undefined, defaults: RunDefaults, meta: JobMeta): Step[] {
    const steps: Step[] = [];
    const ids = new Set<string>();
    if (!token || !isSequence(token)) return steps;
    for (const item of token) {
      for (const draft of this.step(item, defaults, meta)) steps.push({ ...draft, index: steps.length });
      const id = entries(item).get("id");
      if (id) {
        const text = scalarText(id.value);
        if (ids.has(text))
          this.report(
            id.value,
            `step id "${text}" is used twice in this job`,
            "step ids must be unique within a job",
          );
        ids.add(text);
      }
    }
    return steps;
  }

  private step(token: TemplateToken, defaults: RunDefaults, meta: JobMeta): Omit<Step, "index">[] {
    const fields = entries(token);
    const run = fields.get("run");
    const uses = fields.get("uses");
    if (!run && !uses) return []; // a wait/cancel/parallel step, rejected by keys.ts
    const base: Omit<Step, "index" | "run" | "shell"> = {
      name: "",
      env: this.env(fields.get("env")?.value),
      if: fields.get("if") ? scalarText(fields.get("if")!.value) : "success()",
      retry: { count: 0, delaySeconds: 1, factor: 2 },
      continueOnError: this.flag(fields.get("continue-on-error")?.value),
      position: this.at(token),
    };
    const id = fields.get("id");
    if (id) base.id = scalarText(id.value);
    const timeout = this.minutes(fields.get("timeout-minutes")?.value);
    if (timeout !== undefined) base.timeoutMinutes = timeout;
    const name = fields.get("name");

    if (uses) {
      const reference = scalarText(uses.value);
      base.name = name ? scalarText(name.value) : `Run ${reference}`;
      const inputs = new Map<string, { value: string; position: SourcePosition }>();
      for (const [input, { key, value }] of entries(fields.get("with")?.value)) {
        inputs.set(input, { value: scalarText(value), position: this.at(key) });
      }
      return expandUses(
        { uses: reference, usesPosition: this.at(uses.value), with: inputs, base },
        { report: (d) => this.diagnostics.push(d), job: meta },
      );
    }

    const script = run ? scalarText(run.value) : "";
    base.name = name ? scalarText(name.value) : `Run ${firstLine(script)}`;
    const shellEntry = fields.get("shell");
    const choice = githubShell(shellEntry ? scalarText(shellEntry.value) : defaults.shell, script);
    if ("error" in choice) {
      this.report(shellEntry?.value ?? run?.value, choice.error, choice.hint);
      return [];
    }
    const step: Omit<Step, "index"> = { ...base, run: script, shell: choice.shell };
    const dir = fields.get("working-directory");
    const workingDirectory = dir ? scalarText(dir.value) : defaults.workingDirectory;
    if (workingDirectory !== undefined) step.workingDirectory = workingDirectory;
    return [step];
  }
}

/** Secrets the workflow reads (`secrets.NAME`, `secrets['NAME']`): masked, and warned about when unset. */
function referencedSecrets(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(
    /\bsecrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*\])/g,
  )) {
    const name = match[1] ?? match[2];
    if (name && name !== "GITHUB_TOKEN") names.add(name);
  }
  return [...names];
}

function firstLine(script: string): string {
  const line = script.trim().split("\n")[0] ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
