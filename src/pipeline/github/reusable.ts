import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { sortByPosition } from "../../config/schema-diagnostics.js";
import { closest } from "../../config/suggest.js";
import { ConfigError } from "../../errors/index.js";
import type { Diagnostic } from "../../errors/index.js";
import type { Job, Pipeline, Step } from "../ir.js";
import { combineConditions, rewriteCondition, rewriteTemplate, templateExpression } from "./action-scope.js";
import type { ActionScope } from "./action-scope.js";
import { ActionFailure, ActionFetcher } from "./actions-expand.js";
import type { ActionSources } from "./actions-expand.js";
import { jobMeta } from "./meta.js";
import type { JobMeta, WorkflowCall } from "./meta.js";

/**
 * Reusable workflows (`jobs.<id>.uses`): the called workflow's jobs become jobs of the run, named
 * `<caller> / <job>`, after the caller's needs; the calling job itself stays, waiting for them,
 * and gives the outputs of `on.workflow_call.outputs`. The called jobs' expressions are rewritten
 * into the run's contexts (action-scope.ts): `inputs.x` is what the caller passes (or the
 * default), `secrets.x` the caller's `secrets:` (unless `inherit`), `needs.<job>` the renamed job.
 */

/** GitHub allows four levels of calls. */
const MAX_DEPTH = 4;

export async function expandWorkflowCalls(
  pipeline: Pipeline,
  sources: ActionSources,
  depth = 0,
): Promise<Pipeline> {
  if (!pipeline.jobs.some((job) => jobMeta(job).call)) return pipeline;
  const diagnostics: Diagnostic[] = [];
  const fetcher = new ActionFetcher(sources);
  const jobs: Job[] = [];
  const secrets = new Set(pipeline.secrets);
  for (const job of pipeline.jobs) {
    const call = jobMeta(job).call;
    if (!call) {
      jobs.push(job);
      continue;
    }
    try {
      if (depth >= MAX_DEPTH)
        throw new ActionFailure(`workflows call each other more than ${MAX_DEPTH} levels deep`);
      const called = await calledWorkflow(call, sources, fetcher);
      const expanded = await expandWorkflowCalls(called.pipeline, sources, depth + 1);
      if (call.secrets === "inherit") for (const name of expanded.secrets) secrets.add(name);
      jobs.push(...callJobs(job, call, called.declaration, expanded, diagnostics));
    } catch (error) {
      if (error instanceof ConfigError) {
        diagnostics.push(...error.diagnostics);
        continue;
      }
      if (!(error instanceof ActionFailure)) throw error;
      diagnostics.push({
        position: call.usesPosition,
        message: `reusable workflow ${call.uses} is not available: ${error.message}`,
        ...(error.hint !== undefined ? { hint: error.hint } : {}),
      });
    }
  }
  if (diagnostics.length > 0) throw new ConfigError(sortByPosition(diagnostics));
  return { ...pipeline, secrets: [...secrets], jobs };
}

interface CallDeclaration {
  inputs: Record<string, { type?: unknown; default?: unknown; required?: unknown } | null>;
  outputs: Record<string, { value?: unknown } | null>;
  secrets: Record<string, { required?: unknown } | null>;
}

async function calledWorkflow(
  call: WorkflowCall,
  sources: ActionSources,
  fetcher: ActionFetcher,
): Promise<{ pipeline: Pipeline; declaration: CallDeclaration }> {
  let file: string;
  let shown: string;
  if (call.uses.startsWith("./")) {
    file = path.resolve(sources.projectDir, call.uses);
    shown = path.relative(sources.projectDir, file).split(path.sep).join("/");
    if (shown.startsWith("..")) throw new ActionFailure(`${call.uses} is outside the repository`);
  } else {
    const match = /^([^/@]+)\/([^/@]+)\/([^@]+)@(.+)$/.exec(call.uses);
    if (!match)
      throw new ActionFailure("write ./.github/workflows/<file> or owner/repo/.github/workflows/<file>@ref");
    const [, owner = "", repo = "", inside = "", ref = ""] = match;
    file = path.join(await fetcher.fetch(owner, repo, ref), inside);
    shown = call.uses;
  }
  if (!existsSync(file)) throw new ActionFailure(`${shown} does not exist`);
  const text = readFileSync(file, "utf8");
  const { compileWorkflow } = await import("./compile.js");
  const pipeline = compileWorkflow(text, shown);
  const on = mapping(mapping(parseYaml(text)).on);
  if (!("workflow_call" in on))
    throw new ActionFailure(
      `${shown} has no on.workflow_call: it cannot be called`,
      "add `on: workflow_call`",
    );
  const declared = mapping(on.workflow_call);
  return {
    pipeline,
    declaration: {
      inputs: mapping(declared.inputs) as CallDeclaration["inputs"],
      outputs: mapping(declared.outputs) as CallDeclaration["outputs"],
      secrets: mapping(declared.secrets) as CallDeclaration["secrets"],
    },
  };
}

function callJobs(
  caller: Job,
  call: WorkflowCall,
  declaration: CallDeclaration,
  called: Pipeline,
  diagnostics: Diagnostic[],
): Job[] {
  // Inputs: typed as declared, from `with:` or the default.
  const inputs = new Map<string, string>();
  const declared = new Map(Object.keys(declaration.inputs).map((name) => [name.toLowerCase(), name]));
  const given = new Map<string, string>();
  for (const input of call.with) {
    const name = declared.get(input.name.toLowerCase());
    if (name === undefined) {
      const suggestion = closest(input.name, [...declared.values()]);
      diagnostics.push({
        position: input.position,
        message: `reusable workflow ${call.uses} has no input "${input.name}"`,
        hint: suggestion
          ? `did you mean "${suggestion}"?`
          : `inputs: ${[...declared.values()].join(", ") || "none"}`,
      });
      continue;
    }
    given.set(name, input.value);
  }
  for (const [name, spec] of Object.entries(declaration.inputs)) {
    const type = typeof spec?.type === "string" ? spec.type : "string";
    const value = given.get(name);
    if (value !== undefined) inputs.set(name.toLowerCase(), typed(value, type));
    else if (spec?.default !== undefined && spec.default !== null)
      inputs.set(name.toLowerCase(), typed(String(spec.default), type));
    else if (spec?.required === true)
      throw new ActionFailure(`input "${name}" is required`, `pass it with \`with: ${name}: ...\``);
    else inputs.set(name.toLowerCase(), type === "boolean" ? "false" : type === "number" ? "0" : "''");
  }
  let secrets: Map<string, string> | undefined;
  if (call.secrets !== "inherit") {
    secrets = new Map(call.secrets.map((s) => [s.name.toLowerCase(), templateExpression(s.value)]));
    for (const [name, spec] of Object.entries(declaration.secrets)) {
      if ((spec?.required === true || spec?.required === "true") && !secrets.has(name.toLowerCase()))
        throw new ActionFailure(
          `secret "${name}" is required`,
          "pass it under `secrets:`, or `secrets: inherit`",
        );
    }
  }
  const prefix = `${caller.id} / `;
  const scope: ActionScope = { inputs, jobsPrefix: prefix, ...(secrets ? { secrets } : {}) };
  const template = (t: string) => rewriteTemplate(t, scope);
  const templates = (record: Record<string, string>) =>
    Object.fromEntries(Object.entries(record).map(([k, v]) => [k, template(v)]));
  const flag = (value: boolean | string) => (typeof value === "string" ? template(value) : value);
  const calledEnv = templates(called.env);

  const jobs = called.jobs.map((job): Job => {
    const meta = jobMeta(job);
    const rewritten: JobMeta = {
      ...meta,
      ...(meta.runsOn !== undefined ? { runsOn: deep(meta.runsOn, template) } : {}),
      ...(meta.strategy
        ? { strategy: { ...meta.strategy, value: deep(meta.strategy.value, template) } }
        : {}),
      toolChecks: meta.toolChecks.map((check) => ({
        ...check,
        ...(check.version !== undefined ? { version: template(check.version) } : {}),
        ...(check.versionFile !== undefined ? { versionFile: template(check.versionFile) } : {}),
      })),
      checkoutRepositories: meta.checkoutRepositories.map((c) => ({
        ...c,
        repository: template(c.repository),
      })),
      ...(meta.deferredActions
        ? {
            deferredActions: meta.deferredActions.map((d) => ({
              ...d,
              with: d.with.map((w) => ({ ...w, value: template(w.value) })),
            })),
          }
        : {}),
    };
    const steps = job.steps.map((step): Step => {
      const out: Step = {
        ...step,

        run: template(step.run),
        env: templates(step.env),
        if: rewriteCondition(step.if, scope),
        continueOnError: flag(step.continueOnError),
      };
      if (step.workingDirectory !== undefined) out.workingDirectory = template(step.workingDirectory);
      return out;
    });
    const out: Job = {
      ...job,
      id: `${prefix}${job.id}`,
      name: `${caller.name} / ${template(job.name)}`,
      needs: [...caller.needs, ...job.needs.map((need) => `${prefix}${need}`)],
      // The caller's condition decides whether the called jobs run at all.
      if: combineConditions(caller.if, rewriteCondition(job.if, scope)),
      env: { ...calledEnv, ...templates(job.env) },
      continueOnError: flag(job.continueOnError),
      outputs: templates(job.outputs),
      steps,
      meta: { github: rewritten as unknown as Record<string, unknown> },
    };
    if (job.concurrency) out.concurrency = { ...job.concurrency, group: template(job.concurrency.group) };
    return out;
  });
  // The caller waits for the called jobs and gives the workflow's outputs, read from them.
  const outputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(declaration.outputs))
    outputs[name] = template(typeof spec?.value === "string" ? spec.value : "");
  const { call: _call, ...callerMeta } = jobMeta(caller);
  return [
    ...jobs,
    {
      ...caller,
      needs: [...caller.needs, ...jobs.map((job) => job.id)],
      // Called jobs skipped by their own `if` do not skip the caller; a failed one does.
      if: "!cancelled() && !contains(needs.*.result, 'failure') && !contains(needs.*.result, 'cancelled')",
      outputs,
      meta: { github: callerMeta as unknown as Record<string, unknown> },
    },
  ];
}

/** A value passed as text, as the bare expression of its declared type. */
function typed(value: string, type: string): string {
  if (
    (type === "boolean" && /^(true|false)$/.test(value)) ||
    (type === "number" && /^-?\d+(\.\d+)?$/.test(value))
  )
    return value;
  return templateExpression(value);
}

function deep(value: unknown, template: (t: string) => string): unknown {
  if (typeof value === "string") return template(value);
  if (Array.isArray(value)) return value.map((v) => deep(v, template));
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deep(v, template)]));
  return value;
}

function mapping(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
