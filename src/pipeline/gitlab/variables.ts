import { createHash } from "node:crypto";
import path from "node:path";
import type { GitState } from "./git-state.js";

/**
 * CI/CD variables. The IR holds environment values as templates, in which `${{ }}` is evaluated
 * by the engine; GitLab values are plain text, so they are escaped, and the few values only known
 * when the run starts (the workspace, the run id, a matrix child's values) are expressions.
 */

/** A variable before expansion: what was written, or a value the engine fills in. */
export type VariableDef =
  | { kind: "raw"; raw: string; expand: boolean }
  | { kind: "dynamic"; template: string; plain: string | undefined };

export function raw(value: string, expand = true): VariableDef {
  return { kind: "raw", raw: value, expand };
}

export function dynamic(template: string, plain?: string): VariableDef {
  return { kind: "dynamic", template, plain };
}

/** Text to a template that the engine reads back as the same text. */
export function escapeTemplate(text: string): string {
  return text.replaceAll("${{", "${{ '${{' }}");
}

/** A string literal of Slipway's expression language. */
export function expressionString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The value a `rules:if` sees: what was written, unexpanded (GitLab does not nest variables there). */
export function plainValue(def: VariableDef): string | undefined {
  return def.kind === "raw" ? def.raw : def.plain;
}

/**
 * Expands `$NAME` and `${NAME}` in every value that allows it, with the values of the other
 * variables, themselves expanded (GitLab expands nested references and leaves a cycle as
 * written). `$$` is a literal `$`. A name that is not a CI/CD variable reads the environment
 * the run inherits (PATH, HOME...), empty when it is not there.
 * https://docs.gitlab.com/ci/variables/where_variables_can_be_used/#nested-variable-expansion
 */
export function expandVariables(defs: ReadonlyMap<string, VariableDef>): Map<string, string> {
  const done = new Map<string, string>();
  const active = new Set<string>();
  const resolve = (name: string): string => {
    const known = done.get(name);
    if (known !== undefined) return known;
    const def = defs.get(name);
    if (!def) return `\${{ env[${expressionString(name)}] }}`;
    if (def.kind === "dynamic") return def.template;
    if (!def.expand || active.has(name)) return escapeTemplate(def.raw);
    active.add(name);
    const value = expandText(def.raw, (ref) => resolve(ref));
    active.delete(name);
    done.set(name, value);
    return value;
  };
  return new Map([...defs.keys()].map((name) => [name, resolve(name)]));
}

/**
 * Replaces variable references in `text`; `lookup` returns a template for a name, or undefined
 * to keep the reference as written. Literal parts are escaped.
 */
export function expandText(text: string, lookup: (name: string) => string | undefined): string {
  let out = "";
  let literal = "";
  const flush = () => {
    out += escapeTemplate(literal);
    literal = "";
  };
  for (let i = 0; i < text.length;) {
    const rest = text.slice(i);
    if (rest.startsWith("$$")) {
      literal += "$";
      i += 2;
      continue;
    }
    const reference = /^\$(?:\{(\w+)\}|(\w+))/.exec(rest);
    if (reference) {
      const name = reference[1] ?? reference[2] ?? "";
      const value = lookup(name);
      if (value === undefined) literal += reference[0];
      else {
        flush();
        out += value;
      }
      i += reference[0].length;
      continue;
    }
    literal += text[i];
    i++;
  }
  flush();
  return out;
}

/**
 * Expansion for paths and names known when the pipeline is created (`rules:changes`,
 * `include:local`): a defined variable is replaced by its value, anything else stays as written.
 */
export function expandPlain(text: string, values: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\$\$|\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    if (whole === "$$") return "$";
    const value = values[braced ?? bare ?? ""];
    return value ?? whole;
  });
}

/** CI_COMMIT_REF_SLUG's rule: lowercase, [a-z0-9] and `-`, 63 bytes, no `-` at either end. */
export function slugify(text: string, max = 63): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "-")
    .slice(0, max)
    .replace(/^-+|-+$/g, "");
}

/** CI_ENVIRONMENT_SLUG, as Gitlab::Slug::Environment makes it (24 characters, DNS-safe). */
export function environmentSlug(name: string): string {
  let slug = name.toLowerCase().replace(/[^a-z0-9]/g, "-");
  if (!/^[a-z]/.test(slug)) slug = `env-${slug}`;
  slug = slug.replace(/-+/g, "-");
  if (slug.length > 24 || slug !== name) {
    slug = slug.slice(0, 17);
    if (!slug.endsWith("-")) slug += "-";
    const digest = BigInt(`0x${createHash("sha256").update(name).digest("hex")}`).toString(36);
    return slug + digest.slice(-6);
  }
  return slug.replace(/-$/, "");
}

/** The pipeline's ref as GitLab would see it. */
export interface PipelineRef {
  source: string;
  branch: string | undefined;
  tag: string | undefined;
  /** Merge request pipelines: source and target branches. */
  mergeRequest: { source: string; target: string } | undefined;
  name: string;
}

/**
 * Which pipeline this is: a push to the checked-out branch, or a tag when HEAD is detached at
 * one. `--env CI_COMMIT_TAG=v1.0`, `CI_COMMIT_BRANCH=...` or `CI_PIPELINE_SOURCE=...` simulate
 * another ref or source.
 */
export function pipelineRef(git: GitState, overrides: Readonly<Record<string, string>>): PipelineRef {
  const source = overrides.CI_PIPELINE_SOURCE ?? "push";
  const tag = overrides.CI_COMMIT_TAG ?? (overrides.CI_COMMIT_BRANCH === undefined ? git.tag : undefined);
  const branch = tag === undefined ? (overrides.CI_COMMIT_BRANCH ?? git.branch) : undefined;
  if (source === "merge_request_event") {
    const from = overrides.CI_MERGE_REQUEST_SOURCE_BRANCH_NAME ?? branch ?? git.branch ?? "HEAD";
    const target = overrides.CI_MERGE_REQUEST_TARGET_BRANCH_NAME ?? git.defaultBranch;
    return { source, branch: undefined, tag: undefined, mergeRequest: { source: from, target }, name: from };
  }
  const name = tag ?? branch ?? git.sha?.slice(0, 8) ?? "HEAD";
  return { source, branch, tag, mergeRequest: undefined, name };
}

export interface PredefinedContext {
  git: GitState;
  ref: PipelineRef;
  projectDir: string;
  /** The pipeline file, relative to the project. */
  configPath: string;
  now: Date;
}

/**
 * Pipeline-level predefined variables (the job-level ones are added per job).
 * https://docs.gitlab.com/ci/variables/predefined_variables/
 */
export function predefinedVariables(ctx: PredefinedContext): Map<string, VariableDef> {
  const { git, ref } = ctx;
  const vars = new Map<string, VariableDef>();
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) vars.set(name, raw(value, false));
  };
  set("CI", "true");
  set("GITLAB_CI", "true");
  set("CI_SERVER", "yes");
  set("CI_PIPELINE_SOURCE", ref.source);
  vars.set("CI_PIPELINE_ID", dynamic("${{ slipway.run_id }}"));
  vars.set("CI_PIPELINE_IID", dynamic("${{ slipway.run_id }}"));
  set("CI_PIPELINE_CREATED_AT", ctx.now.toISOString().replace(/\.\d{3}Z$/, "Z"));
  set("CI_CONFIG_PATH", ctx.configPath);
  vars.set("CI_PROJECT_DIR", dynamic("${{ slipway.workspace }}", ctx.projectDir));

  set("CI_COMMIT_SHA", git.sha);
  set("CI_COMMIT_SHORT_SHA", git.sha?.slice(0, 8));
  set("CI_COMMIT_BEFORE_SHA", git.sha ? (git.beforeSha ?? "0".repeat(40)) : undefined);
  set("CI_COMMIT_BRANCH", ref.branch);
  set("CI_COMMIT_TAG", ref.tag);
  if (ref.tag !== undefined && ref.tag === git.tag) set("CI_COMMIT_TAG_MESSAGE", git.tagMessage);
  set("CI_COMMIT_REF_NAME", ref.name);
  set("CI_COMMIT_REF_SLUG", slugify(ref.name));
  set("CI_COMMIT_REF_PROTECTED", "false");
  if (git.message !== undefined) {
    const [title = "", ...body] = git.message.split("\n");
    set("CI_COMMIT_MESSAGE", git.message);
    set("CI_COMMIT_TITLE", title);
    set("CI_COMMIT_DESCRIPTION", body.join("\n").replace(/^\n+/, ""));
  }
  set("CI_COMMIT_AUTHOR", git.author);
  set("CI_COMMIT_TIMESTAMP", git.timestamp);
  set("CI_DEFAULT_BRANCH", git.defaultBranch);

  const projectPath = git.remote?.path ?? path.basename(ctx.projectDir);
  const segments = projectPath.split("/");
  set("CI_PROJECT_NAME", segments.at(-1));
  set("CI_PROJECT_PATH", projectPath);
  set("CI_PROJECT_PATH_SLUG", slugify(projectPath));
  set("CI_PROJECT_NAMESPACE", segments.slice(0, -1).join("/"));
  set("CI_PROJECT_ROOT_NAMESPACE", segments.length > 1 ? segments[0] : "");
  if (git.remote) {
    set("CI_SERVER_HOST", git.remote.host);
    set("CI_SERVER_FQDN", git.remote.host);
    set("CI_SERVER_PROTOCOL", "https");
    set("CI_SERVER_URL", `https://${git.remote.host}`);
    set("CI_PROJECT_URL", `https://${git.remote.host}/${projectPath}`);
    set("CI_REPOSITORY_URL", git.remote.url);
  }
  set("GITLAB_USER_NAME", git.userName);
  set("GITLAB_USER_EMAIL", git.userEmail);
  set("GITLAB_USER_LOGIN", process.env.USER);

  if (ref.mergeRequest) {
    set("CI_MERGE_REQUEST_ID", "1");
    set("CI_MERGE_REQUEST_IID", "1");
    set("CI_MERGE_REQUEST_EVENT_TYPE", "detached");
    set("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", ref.mergeRequest.source);
    set("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", ref.mergeRequest.target);
    set("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", git.sha);
    set("CI_MERGE_REQUEST_PROJECT_PATH", projectPath);
  }
  return vars;
}

/** The values `rules:if` sees, by name. */
export function plainOf(defs: ReadonlyMap<string, VariableDef>): Record<string, string | undefined> {
  return Object.fromEntries([...defs].map(([name, def]) => [name, plainValue(def)]));
}

/** The ref in messages: `branch "main" (push)`. */
export function describeRef(ref: PipelineRef): string {
  if (ref.mergeRequest)
    return `a merge request from "${ref.mergeRequest.source}" to "${ref.mergeRequest.target}"`;
  if (ref.tag !== undefined) return `tag "${ref.tag}" (${ref.source})`;
  if (ref.branch !== undefined) return `branch "${ref.branch}" (${ref.source})`;
  return `"${ref.name}" (${ref.source})`;
}
