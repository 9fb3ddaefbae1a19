import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { sortByPosition } from "../../config/schema-diagnostics.js";
import { closest } from "../../config/suggest.js";
import { ConfigError } from "../../errors/index.js";
import type { Diagnostic, SourcePosition } from "../../errors/index.js";
import { unwrapCondition } from "../expressions.js";
import type { Pipeline, Step } from "../ir.js";
import {
  combineConditions,
  quote,
  rewriteCondition,
  rewriteTemplate,
  templateExpression,
} from "./action-scope.js";
import type { ActionScope } from "./action-scope.js";
import { expandUses, findHandler, parseUses } from "./actions.js";
// Actions served by Slipway may be used by composite actions, with the compile cached.
import "./builtin-actions.js";
import { jobMeta } from "./meta.js";
import type { JobMeta } from "./meta.js";
import { githubShell } from "./shells.js";

const run = promisify(execFile);

/**
 * Actions read from their files when a workflow is loaded: the repository's own (`uses: ./path`)
 * and repositories fetched with git (`uses: owner/repo[/path]@ref`), composite or JavaScript.
 * Each action step of the compiled workflow is replaced by the action's steps: a composite's steps
 * (their expressions rewritten into the job's contexts, see action-scope.ts) and a step writing
 * its outputs; a JavaScript action's `pre`, `main` and `post` run with this machine's node, the
 * `pre` steps at the start of the job, the `post` steps at its end in reverse order. Every problem is a ConfigError at the
 * workflow's `uses:`, before anything runs.
 */

export interface ActionSources {
  projectDir: string;
  /** Where `owner/repo` is fetched from: `<baseUrl>/owner/repo`. */
  baseUrl: string;
  /** Fetched actions, one checkout per owner/repo@ref. */
  cacheDir: string;
}

export const DEFAULT_ACTIONS_BASE_URL = "https://github.com";

export function actionSources(
  projectDir: string,
  options: { baseUrl?: string | undefined; cacheDir?: string | undefined } = {},
): ActionSources {
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return {
    projectDir,
    baseUrl: options.baseUrl ?? (process.env.SLIPWAY_ACTIONS_BASE_URL || DEFAULT_ACTIONS_BASE_URL),
    cacheDir:
      options.cacheDir ?? (process.env.SLIPWAY_ACTIONS_CACHE || path.join(cacheHome, "slipway", "actions")),
  };
}

type Draft = Omit<Step, "index">;
type Base = Omit<Step, "index" | "run" | "shell">;

/** A problem that stops the expansion of one action step. */
export class ActionFailure extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

interface Call {
  uses: string;
  with: { name: string; value: string; position?: SourcePosition | undefined }[];
  base: Base;
  /** The scope of the action this call is a step of; undefined in the workflow itself. */
  scope: ActionScope | undefined;
  depth: number;
  /** The workflow's `uses:` every problem is reported at. */
  position: SourcePosition;
}

/** Nested actions deeper than this are taken for a cycle. */
const MAX_DEPTH = 10;
const OUTPUT_DELIMITER = "slipway_action_output_eof";
const STATUS_FUNCTION = /\b(success|failure|always|cancelled)\s*\(/i;

export async function expandDeferredActions(pipeline: Pipeline, sources: ActionSources): Promise<Pipeline> {
  if (!pipeline.jobs.some((job) => (jobMeta(job).deferredActions ?? []).length > 0)) return pipeline;
  const diagnostics: Diagnostic[] = [];
  const fetcher = new ActionFetcher(sources);
  const jobs = [];
  for (const job of pipeline.jobs) {
    const meta = jobMeta(job);
    const deferred = meta.deferredActions ?? [];
    if (deferred.length === 0) {
      jobs.push(job);
      continue;
    }
    const expander = new Expander(sources, fetcher, meta, diagnostics);
    const drafts: Draft[] = [];
    for (const step of job.steps) {
      const { index: _index, ...draft } = step;
      const action = deferred.find((d) => samePosition(d.stepPosition, step.position));
      if (!action) {
        drafts.push(draft);
        continue;
      }
      const { run: _run, shell: _shell, ...base } = draft;
      try {
        drafts.push(
          ...(await expander.uses({
            uses: action.uses,
            with: action.with,
            base,
            scope: undefined,
            depth: 0,
            position: action.usesPosition,
          })),
        );
      } catch (error) {
        if (!(error instanceof ActionFailure)) throw error;
        diagnostics.push({
          position: action.usesPosition,
          message: `action ${action.uses} is not available: ${error.message}`,
          ...(error.hint !== undefined ? { hint: error.hint } : {}),
        });
      }
    }
    const all = [...expander.pres, ...drafts, ...expander.posts.reverse()];
    const steps = all.map((draft, index): Step => {
      const main = expander.stateOf.get(draft);
      return main ? { ...draft, index, stateOf: all.indexOf(main) } : { ...draft, index };
    });
    // Expanded once: the steps keep the position of the step they replace.
    const { deferredActions: _deferred, ...expandedMeta } = meta;
    jobs.push({ ...job, steps, meta: { github: expandedMeta as unknown as Record<string, unknown> } });
  }
  if (diagnostics.length > 0) throw new ConfigError(sortByPosition(diagnostics));
  return { ...pipeline, jobs };
}

interface ActionFile {
  inputs: Record<string, { default?: unknown; required?: unknown } | null>;
  outputs: Record<string, { value?: unknown } | null>;
  runs: Record<string, unknown>;
}

class Expander {
  /** Post steps of JavaScript actions, in the order their main steps come. */
  readonly posts: Draft[] = [];
  /** Pre steps of JavaScript actions, in the order their main steps come. */
  readonly pres: Draft[] = [];
  /** Post step to its main step, whose saved state it reads. */
  readonly stateOf = new Map<Draft, Draft>();
  private generated = 0;

  constructor(
    private readonly sources: ActionSources,
    private readonly fetcher: ActionFetcher,
    private readonly meta: JobMeta,
    private readonly diagnostics: Diagnostic[],
  ) {}

  async uses(call: Call): Promise<Draft[]> {
    if (call.depth > MAX_DEPTH)
      throw new ActionFailure(`actions nest more than ${MAX_DEPTH} deep (${call.uses} uses itself?)`);
    const reference = parseUses(call.uses);
    if (!reference)
      throw new ActionFailure(
        `${call.uses} is not an action reference`,
        "write owner/name@version, ./path or docker://image",
      );
    if (reference.kind === "docker" || (reference.kind === "repository" && findHandler(reference))) {
      // docker:// and the actions Slipway serves itself: the compiler's handling, with the
      // expressions of `with:` already in the job's contexts.
      const found: Diagnostic[] = [];
      const drafts = expandUses(
        {
          uses: call.uses,
          usesPosition: call.position,
          with: new Map(call.with.map((w) => [w.name, { value: w.value, position: call.position }])),
          base: call.base,
        },
        { report: (d) => found.push(d), job: this.meta },
      );
      const first = found[0];
      if (first) throw new ActionFailure(first.message, first.hint);
      return drafts;
    }
    let dir: string;
    let pathTemplate: string;
    let pathExpression: string;
    if (reference.kind === "local") {
      dir = path.resolve(this.sources.projectDir, reference.path);
      const relative = path.relative(this.sources.projectDir, dir).split(path.sep).join("/");
      if (relative.startsWith("..") || path.isAbsolute(relative))
        throw new ActionFailure(`${reference.path} is outside the repository`);
      // The workspace is a copy of the repository: the action runs from there, as on GitHub.
      pathTemplate = relative === "" ? "${{ github.workspace }}" : `\${{ github.workspace }}/${relative}`;
      pathExpression = templateExpression(pathTemplate);
    } else {
      const [owner = "", repo = ""] = reference.name.split("/");
      const checkout = await this.fetcher.fetch(owner, repo, reference.version);
      dir = path.join(checkout, reference.path);
      pathTemplate = dir;
      pathExpression = quote(dir);
    }
    const action = readAction(dir, reference.kind === "local" ? reference.path : call.uses);
    const where = reference.kind === "local" ? reference.path : call.uses;

    // Inputs: what the step passes, else the default; as templates (for INPUT_*) and expressions.
    const declared = new Map(Object.keys(action.inputs).map((name) => [name.toLowerCase(), name]));
    const templates = new Map<string, string>();
    for (const given of call.with) {
      const name = declared.get(given.name.toLowerCase());
      if (name === undefined) {
        const suggestion = closest(given.name, [...declared.values()]);
        this.diagnostics.push({
          position: given.position ?? call.position,
          message: `action ${call.uses} has no input "${given.name}"`,
          hint: suggestion
            ? `did you mean "${suggestion}"?`
            : declared.size > 0
              ? `inputs: ${[...declared.values()].join(", ")}`
              : "it declares no inputs",
        });
        continue;
      }
      templates.set(name, given.value);
    }
    for (const [name, spec] of Object.entries(action.inputs)) {
      if (templates.has(name)) continue;
      if (spec?.default !== undefined && spec.default !== null) templates.set(name, String(spec.default));
      else if (spec?.required === true || spec?.required === "true")
        throw new ActionFailure(`input "${name}" is required`, `pass it with \`with: ${name}: ...\``);
      else templates.set(name, "");
    }
    const inputs = new Map([...templates].map(([name, t]) => [name.toLowerCase(), templateExpression(t)]));
    const inputEnv: Record<string, string> = {};
    // GitHub's names: upper case, spaces to `_`, dashes kept (as @actions/core reads them).
    for (const [name, t] of templates) inputEnv[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = t;

    const using = typeof action.runs.using === "string" ? action.runs.using : "";
    if (using === "composite") {
      const prefix = `${call.base.id ?? `${call.scope?.stepsPrefix ?? ""}__action${++this.generated}`}/`;
      const scope: ActionScope = { inputs, stepsPrefix: prefix, actionPath: pathExpression };
      return this.composite(call, action, where, scope, inputEnv, pathTemplate);
    }
    if (/^node\d+$/.test(using)) return this.javascript(call, action, where, dir, inputEnv, pathTemplate);
    if (using === "docker")
      throw new ActionFailure(
        `${where} is a Docker action: it needs a container runtime, which Slipway does not use`,
        "run the tool installed on this machine in a `run:` step",
      );
    throw new ActionFailure(
      `${where} runs.using is "${using}"; Slipway runs composite and node actions`,
      "use composite, node20 or node24",
    );
  }

  private async composite(
    call: Call,
    action: ActionFile,
    where: string,
    scope: ActionScope,
    inputEnv: Record<string, string>,
    pathTemplate: string,
  ): Promise<Draft[]> {
    const { base } = call;
    const steps = action.runs.steps;
    if (!Array.isArray(steps) || steps.length === 0)
      throw new ActionFailure(`composite action ${where} has no runs.steps`);
    const drafts: Draft[] = [];
    // Every step of the action gets an id, so that later ones (and the outputs step) can tell
    // whether one failed: as in GitHub's runner, `success()` inside an action means none of its
    // own steps failed. A failure a step continues on is no failure of the action.
    const failed: string[] = [];
    const ran: string[] = [];
    for (const [i, raw] of steps.entries()) {
      const at = `step ${i + 1} of ${where}`;
      if (typeof raw !== "object" || raw === null || Array.isArray(raw))
        throw new ActionFailure(`${at} is not a mapping`);
      const step = raw as Record<string, unknown>;
      const id = `${scope.stepsPrefix}${step.id === undefined ? `__${i + 1}` : text(step.id)}`;
      const own = step.if === undefined ? "success()" : rewriteCondition(text(step.if), scope);
      let condition: string;
      if (failed.length === 0) {
        condition = combineConditions(base.if, own);
      } else {
        // The action has started when one of its steps ran: its later steps are decided by the
        // action's own state, not by the job's (which the failure of an earlier step changed).
        const failedBefore = failed.join(" || ");
        const started = `(${unwrapCondition(base.if)}) || ${ran.join(" || ")}`;
        const inner =
          own === "success()"
            ? `!cancelled() && !(${failedBefore})`
            : STATUS_FUNCTION.test(own)
              ? own
                  .replace(/\bsuccess\s*\(\s*\)/gi, `(success() && !(${failedBefore}))`)
                  .replace(/\bfailure\s*\(\s*\)/gi, `(failure() || ${failedBefore})`)
              : `!cancelled() && !(${failedBefore}) && (${own})`;
        condition = `(${started}) && (${inner})`;
      }
      const env: Record<string, string> = { ...base.env, ...inputEnv, GITHUB_ACTION_PATH: pathTemplate };
      for (const [name, value] of Object.entries(mapping(step.env)))
        env[name] = rewriteTemplate(text(value), scope);
      const script = step.run === undefined ? undefined : text(step.run);
      const label =
        step.name !== undefined
          ? text(step.name)
          : script !== undefined
            ? `Run ${firstLine(script)}`
            : `Run ${text(step.uses)}`;
      const inner: Base = {
        name: `${base.name} / ${label}`,
        env,
        if: condition,
        retry: base.retry,
        continueOnError:
          base.continueOnError === true
            ? true
            : typeof step["continue-on-error"] === "boolean"
              ? step["continue-on-error"]
              : step["continue-on-error"] !== undefined
                ? rewriteTemplate(text(step["continue-on-error"]), scope)
                : base.continueOnError,
        position: base.position,
      };
      inner.id = id;
      ran.push(`steps[${quote(id)}].outcome != 'skipped'`);
      failed.push(
        `steps[${quote(id)}].${step["continue-on-error"] === undefined ? "outcome" : "conclusion"} == 'failure'`,
      );
      const timeout = step["timeout-minutes"];
      if (typeof timeout === "number" && timeout > 0) inner.timeoutMinutes = timeout;
      else if (base.timeoutMinutes !== undefined) inner.timeoutMinutes = base.timeoutMinutes;
      if (script !== undefined) {
        if (step.shell === undefined)
          throw new ActionFailure(
            `${at} has no shell, which GitHub requires for run steps of composite actions`,
            "add `shell: bash` to the step",
          );
        const choice = githubShell(text(step.shell), script);
        if ("error" in choice) throw new ActionFailure(`${at}: ${choice.error}`, choice.hint);
        const draft: Draft = { ...inner, run: rewriteTemplate(script, scope), shell: choice.shell };
        if (step["working-directory"] !== undefined)
          draft.workingDirectory = rewriteTemplate(text(step["working-directory"]), scope);
        drafts.push(draft);
      } else if (step.uses !== undefined) {
        const expanded = this.uses({
          uses: text(step.uses),
          with: Object.entries(mapping(step.with)).map(([name, value]) => ({
            name,
            value: rewriteTemplate(text(value), scope),
          })),
          base: inner,
          scope,
          depth: call.depth + 1,
          position: call.position,
        });
        drafts.push(
          ...(await expanded.catch((error: unknown) => {
            if (!(error instanceof ActionFailure)) throw error;
            throw new ActionFailure(`${error.message} (${at})`, error.hint);
          })),
        );
      } else {
        throw new ActionFailure(`${at} has neither run nor uses`);
      }
    }
    // The step's outputs are the action's, computed over its steps once they have run; the step
    // fails when one of them did, so the using step's outcome is the action's.
    if (base.id !== undefined) {
      const env: Record<string, string> = {
        ...base.env,
        SLIPWAY_ACTION_FAILED: `\${{ ${failed.join(" || ")} }}`,
      };
      const lines: string[] = [];
      for (const [i, [name, spec]] of Object.entries(action.outputs).entries()) {
        if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name))
          throw new ActionFailure(`output "${name}" of ${where} is not a valid name`);
        env[`SLIPWAY_ACTION_OUTPUT_${i}`] = rewriteTemplate(text(spec?.value ?? ""), scope);
        lines.push(
          `{ echo "${name}<<${OUTPUT_DELIMITER}"; printf '%s\\n' "$SLIPWAY_ACTION_OUTPUT_${i}"; echo "${OUTPUT_DELIMITER}"; } >> "$GITHUB_OUTPUT"`,
        );
      }
      drafts.push({
        ...base,
        name: `${base.name} (outputs)`,
        env,
        // It runs when the action did, whatever became of its steps.
        if: `!cancelled() && (${ran.join(" || ")})`,
        run: [...lines, '[ "$SLIPWAY_ACTION_FAILED" != true ] || exit 1'].join("\n"),
        shell: "bash",
      });
    }
    return drafts;
  }

  private javascript(
    call: Call,
    action: ActionFile,
    where: string,
    dir: string,
    inputEnv: Record<string, string>,
    pathTemplate: string,
  ): Draft[] {
    const { base } = call;
    const entry = (key: "pre" | "main" | "post"): string | undefined => {
      const file = action.runs[key];
      if (file === undefined) return undefined;
      const name = text(file);
      if (!existsSync(path.join(dir, name)))
        throw new ActionFailure(`runs.${key} of ${where} is ${name}, which does not exist`);
      return name;
    };
    const main = entry("main");
    if (main === undefined) throw new ActionFailure(`JavaScript action ${where} has no runs.main`);
    const pre = entry("pre");
    const post = entry("post");
    const env = { ...base.env, ...inputEnv, GITHUB_ACTION_PATH: pathTemplate };
    // This machine's node runs the action, whatever version runs.using names.
    const script = (file: string) =>
      `exec ${shellQuote(process.execPath)} "$GITHUB_ACTION_PATH"/${shellQuote(file)}`;
    const drafts: Draft[] = [];
    if (pre !== undefined) {
      const { id: _id, ...rest } = base;
      // As on GitHub, pre steps run first in the job, decided by pre-if alone.
      this.pres.push({
        ...rest,
        name: `Pre ${base.name}`,
        env,
        if: condition(action.runs["pre-if"]),
        run: script(pre),
        shell: "bash",
      });
    }
    const mainDraft: Draft = { ...base, env, run: script(main), shell: "bash" };
    if (post !== undefined) {
      mainDraft.id ??= `__action${++this.generated}`;
      const { id: _id, ...rest } = base;
      const postDraft: Draft = {
        ...rest,
        name: `Post ${base.name}`,
        env,
        // After the job's other steps, as long as the main step ran (whatever its result).
        if: `(${condition(action.runs["post-if"])}) && steps[${quote(mainDraft.id)}].outcome != 'skipped'`,
        run: script(post),
        shell: "bash",
      };
      this.posts.push(postDraft);
      this.stateOf.set(postDraft, mainDraft);
    }
    drafts.push(mainDraft);
    return drafts;
  }
}

function condition(value: unknown): string {
  return value === undefined ? "always()" : rewriteCondition(text(value), undefined);
}

function readAction(dir: string, shown: string): ActionFile {
  const file = ["action.yml", "action.yaml"].map((name) => path.join(dir, name)).find((f) => existsSync(f));
  if (!file) throw new ActionFailure(`${shown} has no action.yml or action.yaml`, `looked in ${dir}`);
  let data: unknown;
  try {
    data = parseYaml(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ActionFailure(
      `${path.basename(file)} of ${shown} is not valid YAML: ${(error as Error).message}`,
    );
  }
  const top = mapping(data);
  const runs = mapping(top.runs);
  if (Object.keys(runs).length === 0)
    throw new ActionFailure(`${path.basename(file)} of ${shown} has no runs`);
  return {
    inputs: mapping(top.inputs) as ActionFile["inputs"],
    outputs: mapping(top.outputs) as ActionFile["outputs"],
    runs,
  };
}

/** Fetches `owner/repo@ref` once per run of Slipway and once per cache directory. */
export class ActionFetcher {
  private readonly fetched = new Map<string, Promise<string>>();

  constructor(private readonly sources: ActionSources) {}

  fetch(owner: string, repo: string, ref: string): Promise<string> {
    const key = `${owner}/${repo}@${ref}`;
    let found = this.fetched.get(key);
    if (!found) {
      found = this.clone(owner, repo, ref);
      this.fetched.set(key, found);
    }
    return found;
  }

  private async clone(owner: string, repo: string, ref: string): Promise<string> {
    const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_");
    const parent = path.join(this.sources.cacheDir, safe(owner));
    const dir = path.join(parent, `${safe(repo)}@${safe(ref)}`);
    // The commit file is written last: a checkout without one was interrupted.
    if (existsSync(`${dir}.commit`)) return dir;
    const url = `${this.sources.baseUrl.replace(/\/+$/, "")}/${owner}/${repo}`;
    if (ref.startsWith("-") || owner.startsWith("-") || repo.startsWith("-"))
      throw new ActionFailure(`${owner}/${repo}@${ref} is not a valid name and version`);
    await mkdir(parent, { recursive: true });
    const temporary = await mkdtemp(path.join(parent, ".fetch-"));
    try {
      const failure = await gitClone(url, temporary);
      if (failure !== undefined && (await gitClone(`${url}.git`, temporary)) !== undefined)
        throw new ActionFailure(
          `fetching ${owner}/${repo}@${ref} from ${url} failed: ${failure}`,
          fetchHint(this.sources),
        );
      let commit: string | undefined;
      for (const candidate of [ref, `origin/${ref}`]) {
        commit = await git(temporary, "rev-parse", "--verify", "--quiet", `${candidate}^{commit}`).catch(
          () => undefined,
        );
        if (commit) break;
      }
      if (!commit)
        throw new ActionFailure(
          `${ref} is not a branch, tag or commit of ${url}`,
          "check the version after @",
        );
      await git(temporary, "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit);
      await rm(dir, { recursive: true, force: true });
      try {
        await rename(temporary, dir);
      } catch {
        // Another Slipway fetched it at the same time: its checkout is as good.
      }
      await writeFile(`${dir}.commit`, `${commit}\n`);
      return dir;
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
  }
}

function fetchHint(sources: ActionSources): string {
  return sources.baseUrl === DEFAULT_ACTIONS_BASE_URL
    ? "check the name and the network, or fetch from a mirror with --actions-base-url (SLIPWAY_ACTIONS_BASE_URL)"
    : `check the name, and that ${sources.baseUrl} (--actions-base-url, SLIPWAY_ACTIONS_BASE_URL) holds the repository`;
}

async function gitClone(url: string, into: string): Promise<string | undefined> {
  try {
    await git(into, "clone", "--quiet", "--no-checkout", url, ".");
    return undefined;
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? (error as Error).message).trim();
    // git's first fatal line says what went wrong; the lines after it are advice.
    const lines = stderr.split("\n").filter(Boolean);
    const fatal = lines.find((line) => line.startsWith("fatal: "));
    return fatal?.slice("fatal: ".length) ?? lines.pop() ?? "git clone failed";
  }
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("git", args, {
    cwd,
    timeout: 120_000,
    // A repository that does not exist must fail, not ask for a password.
    env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
  });
  return stdout.trim();
}

function mapping(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function text(value: unknown): string {
  return typeof value === "string" ? value : value === null || value === undefined ? "" : String(value);
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function firstLine(script: string): string {
  const line = script.trim().split("\n")[0] ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

function samePosition(a: SourcePosition, b: SourcePosition): boolean {
  return a.file === b.file && a.line === b.line && a.column === b.column;
}
