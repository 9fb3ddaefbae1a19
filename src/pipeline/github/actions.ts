import { closest } from "../../config/suggest.js";
import type { Diagnostic, SourcePosition } from "../../errors/index.js";
import type { Step } from "../ir.js";
import type { JobMeta } from "./meta.js";

/**
 * `uses:` steps. Actions Slipway serves itself are handlers that expand the step into IR steps
 * (the repository's own checkout, the setup actions of tools this machine already has). Any
 * other action is read from its files when the workflow is loaded: the repository's `./path`
 * actions and `owner/repo@ref` fetched with git, composite or JavaScript (actions-expand.ts).
 */

/** A `uses:` step as the compiler read it; the common step keys are already compiled. */
export interface UsesStep {
  uses: string;
  usesPosition: SourcePosition;
  /** `with:` inputs: template text with the position of each key. */
  with: Map<string, { value: string; position: SourcePosition }>;
  /** The step with its common keys (id, name, if, env, continue-on-error, timeout) compiled. */
  base: Omit<Step, "index" | "run" | "shell">;
}

export interface ActionContext {
  report(diagnostic: Diagnostic): void;
  /** Checks recorded for when the run's matrix and inputs are known. */
  job: JobMeta;
}

export interface ActionHandler {
  /** `owner/name` in lower case; any version (`@v4`, a SHA, a branch) is served. */
  readonly name: string;
  /** Every input the action declares, with what Slipway does with it. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Inputs the action declares that cannot work here, with the reason: a positioned error. */
  readonly unsupportedInputs?: Readonly<Record<string, string>>;
  expand(step: UsesStep, context: ActionContext): Omit<Step, "index">[];
}

export interface ActionReference {
  kind: "repository" | "local" | "docker";
  /** owner/name for repository actions, in lower case. */
  name: string;
  path: string;
  version: string;
}

export function parseUses(uses: string): ActionReference | undefined {
  if (uses.startsWith("docker://")) return { kind: "docker", name: uses, path: "", version: "" };
  if (uses.startsWith("./") || uses.startsWith("../"))
    return { kind: "local", name: uses, path: uses, version: "" };
  const at = uses.lastIndexOf("@");
  if (at <= 0) return undefined;
  const [owner, repo, ...rest] = uses.slice(0, at).split("/");
  if (!owner || !repo) return undefined;
  return {
    kind: "repository",
    name: `${owner}/${repo}`.toLowerCase(),
    path: rest.join("/"),
    version: uses.slice(at + 1),
  };
}

const handlers = new Map<string, ActionHandler>();

export function registerAction(handler: ActionHandler): void {
  handlers.set(handler.name, handler);
}

export function findHandler(reference: ActionReference): ActionHandler | undefined {
  return reference.kind === "repository" && reference.path === "" ? handlers.get(reference.name) : undefined;
}

/** The IR steps of a `uses:` step, or none with a diagnostic at `uses` when it cannot run here. */
export function expandUses(step: UsesStep, context: ActionContext): Omit<Step, "index">[] {
  const reference = parseUses(step.uses);
  const unavailable = (why: string, hint: string) => {
    context.report({
      position: step.usesPosition,
      message: `action ${step.uses} is not available: ${why}`,
      hint,
    });
    return [];
  };
  if (!reference)
    return unavailable("not an action reference", "write owner/name@version, ./path or docker://image");
  if (reference.kind === "docker") {
    return unavailable(
      "it needs a container runtime, which Slipway does not use: steps run as processes on this machine",
      "run the tool installed on this machine in a `run:` step",
    );
  }
  const handler = findHandler(reference);
  if (!handler) {
    // Read from the repository or fetched when the workflow is loaded: see actions-expand.ts.
    (context.job.deferredActions ??= []).push({
      stepPosition: step.base.position,
      uses: step.uses,
      usesPosition: step.usesPosition,
      with: [...step.with].map(([name, { value, position }]) => ({ name, value, position })),
    });
    return [{ ...step.base, run: "", shell: "bash" }];
  }
  for (const [input, { position }] of step.with) {
    if (input in handler.inputs) continue;
    const unsupported = handler.unsupportedInputs?.[input];
    if (unsupported !== undefined) {
      context.report({
        position,
        message: `${handler.name} input "${input}" is not supported: ${unsupported}`,
      });
      continue;
    }
    const suggestion = closest(input, Object.keys(handler.inputs));
    context.report({
      position,
      message: `${handler.name} has no input "${input}"`,
      hint: suggestion
        ? `did you mean "${suggestion}"?`
        : `inputs: ${Object.keys(handler.inputs).join(", ")}`,
    });
  }
  return handler.expand(step, context);
}

/**
 * GitHub passes inputs to actions as `INPUT_<NAME>` variables, keeping dashes (`INPUT_FETCH-DEPTH`,
 * which @actions/core reads). Handlers written in shell ask for `_` instead, since a shell cannot
 * read a name with a dash.
 */
export function inputVariables(step: UsesStep, options: { shell?: boolean } = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, { value }] of step.with) {
    const upper = name.replace(/ /g, "_").toUpperCase();
    env[`INPUT_${options.shell ? upper.replaceAll("-", "_") : upper}`] = value;
  }
  return env;
}
