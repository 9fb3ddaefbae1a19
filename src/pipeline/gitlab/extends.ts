import { closest } from "../../config/suggest.js";
import type { Diagnostic } from "../../errors/index.js";
import { diagnostic } from "./diagnostics.js";
import { GLOBAL_KEYWORDS } from "./schema.js";
import { deepMerge, mapNode, withoutKeys } from "./tree.js";
import type { Entry, MapNode, Node } from "./tree.js";

/** GitLab allows eleven levels of `extends`. */
const MAX_EXTENDS_DEPTH = 11;
/** And ten levels of `!reference` inside `!reference`. */
const MAX_REFERENCE_DEPTH = 10;

const isGlobal = (key: string) => (GLOBAL_KEYWORDS as readonly string[]).includes(key);

/**
 * Resolves `extends` on every job and hidden job: each parent (itself extended first) is
 * deep-merged in order, later parents over earlier ones, then the job's own keys on top.
 * https://docs.gitlab.com/ci/yaml/yaml_optimization/#use-extends-to-reuse-configuration-sections
 */
export function resolveExtends(
  root: MapNode,
  diagnostics: Diagnostic[],
  /** Receives the jobs whose extends could not be resolved, and those extending them. */
  broken: Set<string> = new Set(),
): MapNode {
  const resolved = new Map<string, Node>();
  const names = [...root.entries.keys()].filter((key) => !isGlobal(key));

  const resolve = (name: string, chain: string[]): Node | undefined => {
    const done = resolved.get(name);
    if (done) return done;
    const entry = root.entries.get(name);
    if (!entry || entry.value.kind !== "map") return entry?.value;
    const job = entry.value;
    const report = (d: Diagnostic) => {
      broken.add(name);
      diagnostics.push(d);
    };
    const ext = job.entries.get("extends");
    if (!ext) {
      resolved.set(name, job);
      return job;
    }
    const parents = ext.value.kind === "seq" ? ext.value.items : [ext.value];
    let base: Node = mapNode(job.pos);
    for (const parentNode of parents) {
      if (parentNode.kind !== "scalar" || typeof parentNode.value !== "string") {
        report(diagnostic(parentNode.pos, `${name}: extends takes a job name or a list of job names`));
        continue;
      }
      const parent = parentNode.value;
      if (chain.includes(parent) || parent === name) {
        report(
          diagnostic(
            parentNode.pos,
            `${name}: circular dependency detected in extends: ${[...chain, name, parent].join(" -> ")}`,
            "a job cannot extend, directly or through others, itself",
          ),
        );
        continue;
      }
      if (chain.length + 1 > MAX_EXTENDS_DEPTH) {
        report(diagnostic(parentNode.pos, `${name}: extends nests more than ${MAX_EXTENDS_DEPTH} levels`));
        continue;
      }
      const target = root.entries.get(parent);
      if (!target || isGlobal(parent)) {
        const suggestion = closest(parent, names);
        report(
          diagnostic(
            parentNode.pos,
            `${name}: unknown job "${parent}" in extends`,
            suggestion
              ? `did you mean "${suggestion}"?`
              : "extends names a job or a hidden job (.name) of the pipeline or its includes",
          ),
        );
        continue;
      }
      if (target.value.kind !== "map") {
        report(diagnostic(parentNode.pos, `${name}: "${parent}" is not a job and cannot be extended`));
        continue;
      }
      const parentResolved = resolve(parent, [...chain, name]);
      if (broken.has(parent)) broken.add(name);
      if (parentResolved) base = deepMerge(base, parentResolved);
    }
    const result = deepMerge(base, withoutKeys(job, ["extends"]));
    resolved.set(name, result);
    return result;
  };

  const entries: Entry[] = [];
  for (const [key, entry] of root.entries) {
    const value = isGlobal(key) ? entry.value : (resolve(key, []) ?? entry.value);
    entries.push({ ...entry, value });
  }
  return mapNode(root.pos, entries);
}

/**
 * Replaces every `!reference [name, key, ...]` by the value it names in the merged
 * configuration (after includes and extends, as GitLab resolves them).
 * https://docs.gitlab.com/ci/yaml/yaml_optimization/#reference-tags
 */
export function resolveReferences(root: MapNode, diagnostics: Diagnostic[]): MapNode {
  const lookup = (
    pathParts: readonly string[],
    origin: Node,
    depth: number,
    chain: string[],
  ): Node | undefined => {
    const key = pathParts.join("\u0000");
    if (chain.includes(key)) {
      diagnostics.push(
        diagnostic(origin.pos, `!reference [${pathParts.join(", ")}] is part of a circular chain`),
      );
      return undefined;
    }
    if (depth > MAX_REFERENCE_DEPTH) {
      diagnostics.push(diagnostic(origin.pos, `!reference nests more than ${MAX_REFERENCE_DEPTH} levels`));
      return undefined;
    }
    let node: Node | undefined = root;
    for (let i = 0; i < pathParts.length; i++) {
      const part = pathParts[i] ?? "";
      const next: Node | undefined = node?.kind === "map" ? node.entries.get(part)?.value : undefined;
      if (!next) {
        const here = node?.kind === "map" ? [...node.entries.keys()] : [];
        const suggestion = closest(part, here);
        diagnostics.push(
          diagnostic(
            origin.pos,
            i === 0
              ? `!reference [${pathParts.join(", ")}]: no job or keyword "${part}" in the pipeline`
              : `!reference [${pathParts.join(", ")}]: "${pathParts.slice(0, i).join(".")}" has no key "${part}"`,
            suggestion ? `did you mean "${suggestion}"?` : undefined,
          ),
        );
        return undefined;
      }
      node = next;
    }
    return replace(node as Node, depth + 1, [...chain, key]);
  };

  // A reference that cannot be resolved is reported once and left out, so that its job is not
  // also reported for the hole it leaves (a script missing a line is still a script).
  const replace = (node: Node, depth: number, chain: string[]): Node | undefined => {
    switch (node.kind) {
      case "reference":
        return lookup(node.path, node, depth, chain);
      case "seq": {
        const items = node.items.map((item) => replace(item, depth, chain));
        return { ...node, items: items.filter((item): item is Node => item !== undefined) };
      }
      case "map": {
        const entries = new Map<string, Entry>();
        for (const [key, entry] of node.entries) {
          const value = replace(entry.value, depth, chain);
          if (value) entries.set(key, { ...entry, value });
        }
        return { ...node, entries };
      }
      default:
        return node;
    }
  };
  return (replace(root, 0, []) ?? root) as MapNode;
}
