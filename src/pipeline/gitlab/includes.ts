import { readFile } from "node:fs/promises";
import path from "node:path";
import picomatch from "picomatch";
import { closest } from "../../config/suggest.js";
import type { Diagnostic } from "../../errors/index.js";
import { diagnostic, validateNode } from "./diagnostics.js";
import { parseGitlabYaml } from "./parse.js";
import type { PlainVariables, RuleEvaluator } from "./rules.js";
import { includeEntrySchema } from "./schema.js";
import { at, deepMerge, mapNode, positionIn, withoutKeys } from "./tree.js";
import type { MapNode, Node } from "./tree.js";
import { expandPlain } from "./variables.js";

/** GitLab's default limit on the number of included files, nested ones included. */
const MAX_INCLUDES = 150;

export interface IncludeContext {
  projectDir: string;
  /** The name a file is shown with in messages, from its absolute path. */
  display(absolute: string): string;
  /** Files of the working tree, for wildcards and "did you mean". */
  files(): Promise<string[]>;
  rules: RuleEvaluator;
  /** Variables usable in include (predefined and run variables; GitLab allows no others). */
  variables: PlainVariables;
  diagnostics: Diagnostic[];
  /** File text by display name, for code frames. */
  sources: Map<string, string>;
}

const NOT_SUPPORTED: Record<string, string> = {
  project:
    "include:project reads another project of a GitLab server; copy the file into this repository and use include:local",
  remote:
    "include:remote fetches over the network, which a local run does not do; download the file into the repository and use include:local",
  template:
    "include:template reads GitLab's template collection from the server; copy the template into the repository and use include:local",
  component:
    "include:component needs the GitLab CI/CD catalog; copy the component's template into the repository and use include:local",
};

/**
 * Merges `include:local` files into the configuration the way GitLab does: included files
 * first, in order, each with its own includes merged under it, then the including file on top
 * (a deep merge: mappings merge, everything else is replaced). Paths are relative to the
 * project root; `*` and `**` wildcards are expanded.
 * https://docs.gitlab.com/ci/yaml/includes/
 */
export async function resolveIncludes(root: MapNode, file: string, ctx: IncludeContext): Promise<MapNode> {
  const count = { value: 0 };
  return expand(root, [file], ctx, count);
}

async function expand(
  fileRoot: MapNode,
  chain: string[],
  ctx: IncludeContext,
  count: { value: number },
): Promise<MapNode> {
  const include = fileRoot.entries.get("include");
  if (!include) return fileRoot;
  let merged: Node = mapNode(fileRoot.pos);
  const entries = include.value.kind === "seq" ? include.value.items : [include.value];
  for (const entry of entries) {
    for (const target of await targets(entry, ctx)) {
      if (++count.value > MAX_INCLUDES) {
        ctx.diagnostics.push(
          diagnostic(
            entry.pos,
            `more than ${MAX_INCLUDES} included files`,
            "GitLab stops at 150 includes; merge some files",
          ),
        );
        return withoutKeys(fileRoot, ["include"]);
      }
      const shown = ctx.display(target.absolute);
      if (chain.includes(shown)) {
        ctx.diagnostics.push(
          diagnostic(
            target.position,
            `include cycle: ${[...chain, shown].join(" -> ")}`,
            "remove one of the includes",
          ),
        );
        continue;
      }
      let text: string;
      try {
        text = await readFile(target.absolute, "utf8");
      } catch {
        ctx.diagnostics.push(
          diagnostic(
            target.position,
            `include:local: file "${target.written}" does not exist`,
            await missingHint(target.relative, ctx),
          ),
        );
        continue;
      }
      ctx.sources.set(shown, text);
      const parsed = parseGitlabYaml(shown, text);
      ctx.diagnostics.push(...parsed.diagnostics);
      if (!parsed.root) continue;
      if (parsed.root.kind !== "map") {
        ctx.diagnostics.push(
          diagnostic(parsed.root.pos, `${shown}: an included file must be a mapping of keywords and jobs`),
        );
        continue;
      }
      merged = deepMerge(merged, await expand(parsed.root, [...chain, shown], ctx, count));
    }
  }
  return deepMerge(merged, withoutKeys(fileRoot, ["include"])) as MapNode;
}

interface Target {
  absolute: string;
  relative: string;
  written: string;
  position: Diagnostic["position"];
}

async function targets(entry: Node, ctx: IncludeContext): Promise<Target[]> {
  let node: Node = entry;
  if (entry.kind === "scalar" && typeof entry.value === "string") {
    const kind = /^https?:\/\//.test(entry.value) ? "remote" : "local";
    node = mapNode(entry.pos, [{ key: kind, keyPos: entry.pos, value: entry }]);
  }
  const { data, diagnostics } = validateNode(
    includeEntrySchema,
    node,
    "include",
    Object.keys(includeEntrySchema.shape),
  );
  ctx.diagnostics.push(...diagnostics);
  if (!data) return [];
  for (const key of ["project", "remote", "template", "component"] as const) {
    if (data[key] !== undefined) {
      ctx.diagnostics.push(
        diagnostic(
          positionIn(node, [key], { key: true }),
          `not supported: include:${key}`,
          NOT_SUPPORTED[key],
        ),
      );
      return [];
    }
  }
  if (data.inputs !== undefined) {
    ctx.diagnostics.push(
      diagnostic(
        positionIn(node, ["inputs"], { key: true }),
        "not supported: include:inputs",
        "Slipway does not interpolate $[[ inputs ]]; write the values into the included file",
      ),
    );
    return [];
  }
  if (data.local === undefined) {
    ctx.diagnostics.push(
      diagnostic(node.pos, "an include needs local: (the only kind a local run can read)"),
    );
    return [];
  }
  if (data.rules !== undefined) {
    const match = await ctx.rules.firstMatch(data.rules, at(node, ["rules"]), ctx.variables);
    if (match.index === undefined || match.when === "never") return [];
  }
  const written = data.local;
  const relative = expandPlain(written, ctx.variables).replace(/^\/+/, "");
  const position = positionIn(node, ["local"]);
  if (!/\.ya?ml$/.test(relative)) {
    ctx.diagnostics.push(diagnostic(position, `include:local: "${written}" is not a .yml or .yaml file`));
    return [];
  }
  if (!/[*?[{]/.test(relative)) {
    return [{ absolute: path.join(ctx.projectDir, relative), relative, written, position }];
  }
  const match = picomatch(relative, { dot: true });
  const found = (await ctx.files()).filter((f) => match(f));
  if (found.length === 0) {
    ctx.diagnostics.push(diagnostic(position, `include:local: no file matches "${written}"`));
  }
  return found.map((f) => ({ absolute: path.join(ctx.projectDir, f), relative: f, written, position }));
}

async function missingHint(relative: string, ctx: IncludeContext): Promise<string> {
  const yamlFiles = (await ctx.files()).filter((f) => /\.ya?ml$/.test(f));
  const close = closest(relative, yamlFiles);
  return close
    ? `did you mean "${close}"?`
    : "include:local paths are relative to the project root (the directory with .gitlab-ci.yml), with or without a leading /";
}
