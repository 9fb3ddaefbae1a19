import type { ScanDiagnostic, SourceSpan } from "../model.js";
import {
  child,
  isYMap,
  isYSeq,
  nodeSpan,
  pairOf,
  pairSpan,
  stringList,
  stringValue,
  type YamlFile,
  type YMap,
  type YNode,
  type YPair,
} from "../github-actions/yaml-tree.js";
import type { Include, LoadedPipeline } from "./loader.js";

/**
 * A GitLab CI configuration after GitLab's own processing, as far as it can be done from the
 * repository: local includes merged (later files win), `extends` resolved at any depth (maps are
 * merged deeply, everything else is replaced, later parents win, the job's own keys last),
 * `!reference` tags replaced by what they point to, `default:` (and the deprecated top-level
 * `image`, `services`, `cache`, `before_script`, `after_script`) and global `variables` applied
 * unless `inherit:` says otherwise. Every value keeps the file and offsets where it is written.
 * See https://docs.gitlab.com/ci/yaml/ and https://docs.gitlab.com/ci/yaml/yaml_optimization/.
 */
export interface GitlabPipeline {
  root: YamlFile;
  files: ReadonlyMap<string, YamlFile>;
  /** Top-level entries of every file, where they are written. */
  entries: TopEntry[];
  /** The merged top level. */
  top: YMap;
  includes: Include[];
  jobs: GitlabJob[];
  diagnostics: ScanDiagnostic[];
  spanOf(node: { file: string; start: number; end: number }): SourceSpan;
}

export interface TopEntry {
  key: string;
  file: YamlFile;
  pair: YPair;
  span: SourceSpan;
}

export interface GitlabJob {
  name: string;
  /** Where the job itself is written (the last file defining it). */
  entry: TopEntry;
  /** The job after includes, extends, !reference, defaults and global variables. */
  config: YMap;
}

/** Top-level keys that configure the pipeline rather than name a job. */
export const GLOBAL_KEYWORDS = new Set([
  "default",
  "include",
  "stages",
  "variables",
  "workflow",
  "image",
  "services",
  "cache",
  "before_script",
  "after_script",
  "types",
  "spec",
]);
/** Keys a job takes from `default:` when it does not set them. */
const DEFAULT_KEYS = [
  "after_script",
  "artifacts",
  "before_script",
  "cache",
  "hooks",
  "id_tokens",
  "image",
  "interruptible",
  "retry",
  "services",
  "tags",
  "timeout",
];
const LEGACY_GLOBALS = ["image", "services", "cache", "before_script", "after_script"];
const MAX_EXTENDS_DEPTH = 11;
const MAX_REFERENCE_DEPTH = 10;

/** Merges `over` into `base` as GitLab does: maps deeply, anything else replaced. */
export function deepMerge(base: YMap, over: YMap): YMap {
  const pairs: YPair[] = [];
  for (const pair of base.pairs) {
    const replacement = pairOf(over, pair.key);
    if (!replacement) pairs.push(pair);
    else if (isYMap(pair.value) && isYMap(replacement.value))
      pairs.push({ ...replacement, value: deepMerge(pair.value, replacement.value) });
    else pairs.push(replacement);
  }
  for (const pair of over.pairs) if (!pairOf(base, pair.key)) pairs.push(pair);
  return { ...over, pairs };
}

function emptyMap(file: string, at: number): YMap {
  return { kind: "map", pairs: [], file, start: at, end: at, tag: undefined };
}

export function buildPipeline(loaded: LoadedPipeline): GitlabPipeline {
  const files = new Map(loaded.files.map((f) => [f.path, f]));
  const diagnostics: ScanDiagnostic[] = [...loaded.diagnostics];
  const spanOf = (node: { file: string; start: number; end: number }): SourceSpan => {
    const file = files.get(node.file);
    return file ? nodeSpan(file, node) : { file: node.file, line: 1, column: 1 };
  };
  const entries: TopEntry[] = [];
  let top = emptyMap(loaded.root.path, 0);
  for (const file of loaded.files) {
    const root = file.documents[0];
    if (!isYMap(root)) continue;
    for (const pair of root.pairs) entries.push({ key: pair.key, file, pair, span: pairSpan(file, pair) });
    top = deepMerge(top, root);
  }

  const pipeline: GitlabPipeline = {
    root: loaded.root,
    files,
    entries,
    top,
    includes: loaded.includes,
    jobs: [],
    diagnostics,
    spanOf,
  };
  // Templates of remote, project and component includes (and those a standalone file's users
  // provide) cannot be seen from here: a missing one is not an error of this configuration.
  const lenient = loaded.standalone || loaded.includes.some((i) => i.kind !== "local");
  const extended = new Map<string, YMap>();

  const resolveExtends = (name: string, stack: string[]): YMap | undefined => {
    const done = extended.get(name);
    if (done) return done;
    const node = child(top, name);
    if (!isYMap(node)) return undefined;
    const parents = stringList(child(node, "extends"));
    let merged: YMap | undefined;
    for (const parent of parents) {
      const at = spanOf(parent.node);
      if (stack.includes(parent.value)) {
        diagnostics.push({ span: at, message: `extends ${parent.value} loops back to ${name}` });
        continue;
      }
      if (stack.length >= MAX_EXTENDS_DEPTH) {
        diagnostics.push({
          span: at,
          message: `extends nests more than ${MAX_EXTENDS_DEPTH} levels, which GitLab rejects`,
        });
        continue;
      }
      const resolved = resolveExtends(parent.value, [...stack, parent.value]);
      if (!resolved) {
        if (!lenient)
          diagnostics.push({
            span: at,
            message: `extends ${parent.value}: no job or template has that name`,
          });
        continue;
      }
      merged = merged ? deepMerge(merged, resolved) : resolved;
    }
    const own: YMap = { ...node, pairs: node.pairs.filter((p) => p.key !== "extends") };
    const result = merged ? deepMerge(merged, own) : own;
    extended.set(name, result);
    return result;
  };

  const resolveReferences = (node: YNode, depth: number): YNode => {
    if (depth > MAX_REFERENCE_DEPTH) return node;
    if (isYSeq(node) && node.tag === "!reference") {
      const path = node.items.map((item) => stringValue(item) ?? "");
      const [name = "", ...keys] = path;
      let target: YNode | undefined = resolveExtends(name, [name]);
      for (const key of keys) target = child(target, key);
      if (!target) {
        if (!lenient)
          diagnostics.push({
            span: spanOf(node),
            message: `!reference [${path.join(", ")}] points to nothing`,
          });
        return { ...node, tag: undefined, items: [] };
      }
      return resolveReferences(target, depth + 1);
    }
    if (isYSeq(node)) return { ...node, items: node.items.map((item) => resolveReferences(item, depth)) };
    if (isYMap(node))
      return {
        ...node,
        pairs: node.pairs.map((pair) => ({ ...pair, value: resolveReferences(pair.value, depth) })),
      };
    return node;
  };

  const defaults = isYMap(child(top, "default")) ? (child(top, "default") as YMap) : undefined;
  const globalVariables = child(top, "variables");
  for (const entry of entries) {
    if (GLOBAL_KEYWORDS.has(entry.key) || entry.key.startsWith(".") || !isYMap(entry.pair.value)) continue;
    if (pipeline.jobs.some((j) => j.name === entry.key)) {
      // A later file redefines the job; the merged configuration already holds both.
      const existing = pipeline.jobs.find((j) => j.name === entry.key);
      if (existing) existing.entry = entry;
      continue;
    }
    const extendedJob = resolveExtends(entry.key, [entry.key]);
    if (!extendedJob) continue;
    let config = resolveReferences(extendedJob, 0) as YMap;
    config = applyDefaults(config, defaults, top, globalVariables);
    pipeline.jobs.push({ name: entry.key, entry, config });
  }
  return pipeline;
}

function inherits(config: YMap, what: "default" | "variables", key: string): boolean {
  const setting = child(child(config, "inherit"), what);
  if (setting === undefined) return true;
  if (isYSeq(setting)) return stringList(setting).some((s) => s.value === key);
  return stringValue(setting) !== "false";
}

function applyDefaults(
  config: YMap,
  defaults: YMap | undefined,
  top: YMap,
  globalVariables: YNode | undefined,
): YMap {
  const added: YPair[] = [];
  for (const key of DEFAULT_KEYS) {
    if (pairOf(config, key) || !inherits(config, "default", key)) continue;
    const fromDefault =
      pairOf(defaults, key) ?? (LEGACY_GLOBALS.includes(key) ? pairOf(top, key) : undefined);
    if (fromDefault) added.push(fromDefault);
  }
  let result: YMap = added.length > 0 ? { ...config, pairs: [...config.pairs, ...added] } : config;
  if (isYMap(globalVariables)) {
    const inherited: YMap = {
      ...globalVariables,
      pairs: globalVariables.pairs.filter((p) => inherits(config, "variables", p.key)),
    };
    const own = pairOf(result, "variables");
    const merged = isYMap(own?.value) ? deepMerge(inherited, own.value) : inherited;
    if (merged.pairs.length > 0) {
      const pair: YPair = own ?? {
        key: "variables",
        keyStart: merged.start,
        keyEnd: merged.start,
        value: merged,
        start: merged.start,
        end: merged.end,
      };
      result = {
        ...result,
        pairs: [...result.pairs.filter((p) => p.key !== "variables"), { ...pair, value: merged }],
      };
    }
  }
  return result;
}

/** A variable's value: `NAME: value` or `NAME: { value: …, description: … }`. */
export function variableValue(node: YNode): { value: string; node: YNode } | undefined {
  if (isYMap(node)) {
    const value = child(node, "value");
    const text = stringValue(value);
    return text === undefined || !value ? undefined : { value: text, node: value };
  }
  const text = stringValue(node);
  return text === undefined ? undefined : { value: text, node };
}

/** The name of a job's environment: `environment: production` or `environment: { name: production }`. */
export function environmentName(config: YMap): string | undefined {
  const environment = child(config, "environment");
  return stringValue(environment) ?? stringValue(child(environment, "name"));
}

/**
 * Every place a setting is written, once: the top level, `default:`, and each job and hidden
 * template as written (not as inherited), so a value used by ten jobs is reported once, where
 * it can be fixed.
 */
export interface Site {
  /** `global`, `default`, a job or template name. */
  name: string;
  file: YamlFile;
  node: YMap;
  /** The entry's span, for suppressions written above it. */
  span: SourceSpan;
  kind: "global" | "default" | "job" | "template";
}

export function sites(pipeline: GitlabPipeline): Site[] {
  const out: Site[] = [];
  for (const file of pipeline.files.values()) {
    const root = file.documents[0];
    if (isYMap(root))
      out.push({ name: "global", file, node: root, span: nodeSpan(file, root), kind: "global" });
  }
  for (const entry of pipeline.entries) {
    if (!isYMap(entry.pair.value)) continue;
    if (entry.key === "default")
      out.push({
        name: "default",
        file: entry.file,
        node: entry.pair.value,
        span: entry.span,
        kind: "default",
      });
    else if (!GLOBAL_KEYWORDS.has(entry.key))
      out.push({
        name: entry.key,
        file: entry.file,
        node: entry.pair.value,
        span: entry.span,
        kind: entry.key.startsWith(".") ? "template" : "job",
      });
  }
  return out;
}

/** Keys the top level shares with jobs: `image`, `variables`… written at the top level mean the global setting. */
export function siteValue(site: Site, key: string): YPair | undefined {
  if (site.kind === "global" && !LEGACY_GLOBALS.includes(key) && key !== "variables") return undefined;
  return pairOf(site.node, key);
}
