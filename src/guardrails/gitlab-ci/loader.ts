import { readFile } from "node:fs/promises";
import { posix, resolve } from "node:path";
import picomatch from "picomatch";
import type { ScanDiagnostic, SourceFile, SourceSpan } from "../model.js";
import {
  child,
  isYMap,
  isYSeq,
  nodeSpan,
  parseYaml,
  stringValue,
  type YamlFile,
  type YMap,
  type YNode,
} from "../github-actions/yaml-tree.js";

/** One `include:` entry, as written. */
export interface Include {
  kind: "local" | "remote" | "template" | "project" | "component";
  /** The path, URL, template name or component reference. */
  value: string;
  /** The entry (a map with `remote:`, `integrity:`…, or the bare string). */
  node: YNode;
  span: SourceSpan;
  file: YamlFile;
}

/** A pipeline configuration: the root file and the local files it includes, in merge order. */
export interface LoadedPipeline {
  root: YamlFile;
  /** Included files first (in include order), the root file last: later files win when merged. */
  files: YamlFile[];
  includes: Include[];
  diagnostics: ScanDiagnostic[];
  /**
   * A file no `.gitlab-ci.yml` includes (a CI template, a configuration at a custom path): it may
   * rely on jobs and templates its users provide, so missing ones are not reported.
   */
  standalone: boolean;
}

const MAX_INCLUDES = 150;

export function isRootConfig(path: string): boolean {
  return /(^|\/)\.gitlab-ci\.ya?ml$/i.test(path);
}

/**
 * Loads every pipeline among the claimed files: each `.gitlab-ci.yml` with the local files it
 * includes (recursively, globs expanded, paths relative to the directory holding
 * `.gitlab-ci.yml`, which is taken as the repository root), then every claimed file that no
 * root includes, with its own includes (relative to the scan root): a template repository's
 * files, a configuration at a custom CI path. Globs match claimed files only. Included
 * files that were not claimed are read from disk. Remote, project, template and component
 * includes are not fetched: rules look at how they are included, not at their content.
 */
export async function loadPipelines(
  files: readonly SourceFile[],
  scanRoot: string,
): Promise<{ pipelines: LoadedPipeline[]; read: string[] }> {
  const parsed = new Map<string, YamlFile>();
  const byPath = new Map(files.map((f) => [f.path, f]));
  const read: string[] = [];
  const load = async (path: string): Promise<YamlFile | undefined> => {
    const cached = parsed.get(path);
    if (cached) return cached;
    let text = byPath.get(path)?.text;
    if (text === undefined) text = await readFile(resolve(scanRoot, path), "utf8").catch(() => undefined);
    if (text === undefined) return undefined;
    const file = parseYaml(path, text);
    parsed.set(path, file);
    read.push(path);
    return file;
  };

  const included = new Set<string>();
  const assemble = async (root: YamlFile, standalone: boolean): Promise<LoadedPipeline> => {
    const pipeline: LoadedPipeline = { root, files: [], includes: [], diagnostics: [], standalone };
    const base = standalone ? "." : posix.dirname(root.path);
    const visiting = new Set<string>([root.path]);
    const order: YamlFile[] = [];
    const visit = async (file: YamlFile, depth: number): Promise<void> => {
      for (const include of readIncludes(file)) {
        pipeline.includes.push(include);
        if (include.kind !== "local") continue;
        const targets = expandLocal(include.value, base, files);
        let found = false;
        for (const target of targets) {
          if (visiting.has(target) || order.length >= MAX_INCLUDES) {
            found = true;
            continue;
          }
          visiting.add(target);
          const loaded = await load(target);
          if (!loaded) continue;
          found = true;
          if (!standalone) included.add(target);
          if (depth < 100) await visit(loaded, depth + 1);
          order.push(loaded);
        }
        // A glob may match nothing; a named file must exist (GitLab rejects the pipeline otherwise).
        if (!found && !/[*?[{]/.test(include.value))
          pipeline.diagnostics.push({
            span: include.span,
            message: `included file ${include.value} was not found`,
          });
      }
    };
    await visit(root, 0);
    pipeline.files = [...order, root];
    return pipeline;
  };

  const pipelines: LoadedPipeline[] = [];
  for (const rootFile of files.filter((f) => isRootConfig(f.path))) {
    const root = await load(rootFile.path);
    if (root) pipelines.push(await assemble(root, false));
  }
  for (const file of files) {
    if (isRootConfig(file.path) || included.has(file.path)) continue;
    const yaml = await load(file.path);
    if (yaml) pipelines.push(await assemble(yaml, true));
  }
  return { pipelines, read };
}

/** `include:` in its forms: a string, a list of strings and maps, or a single map. */
export function readIncludes(file: YamlFile): Include[] {
  const root = file.documents[0];
  const node = isYMap(root) ? child(root, "include") : undefined;
  if (!node) return [];
  const entries = isYSeq(node) ? node.items : [node];
  const out: Include[] = [];
  for (const entry of entries) {
    const text = stringValue(entry);
    if (text !== undefined) {
      out.push({
        kind: /^https?:\/\//i.test(text) ? "remote" : "local",
        value: text,
        node: entry,
        span: nodeSpan(file, entry),
        file,
      });
      continue;
    }
    if (!isYMap(entry)) continue;
    const kind = (["local", "remote", "template", "project", "component"] as const).find(
      (k) => child(entry, k) !== undefined,
    );
    if (!kind) continue;
    const value =
      kind === "project"
        ? `${stringValue(child(entry, "project")) ?? ""}:${fileList(entry).join(",")}`
        : (stringValue(child(entry, kind)) ?? "");
    out.push({ kind, value, node: entry, span: nodeSpan(file, entry), file });
  }
  return out;
}

function fileList(entry: YMap): string[] {
  const files = child(entry, "file");
  if (isYSeq(files)) return files.items.map((i) => stringValue(i) ?? "");
  return [stringValue(files) ?? ""];
}

/** A local include's files: relative to the repository root, with `*` and `**` globs. */
function expandLocal(value: string, base: string, files: readonly SourceFile[]): string[] {
  const relative = value.replace(/^\/+/, "");
  const joined = base === "." || base === "" ? relative : posix.join(base, relative);
  if (!/[*?[{]/.test(relative)) return [posix.normalize(joined)];
  const matcher = picomatch(joined, { dot: true });
  return files.map((f) => f.path).filter((path) => matcher(path));
}
