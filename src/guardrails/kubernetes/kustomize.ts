/**
 * Kustomize: a directory with a kustomization is rendered with `kubectl kustomize` and the
 * rendered objects are what the rules check, because that is what gets applied: overlays change
 * images, namespaces, names and patch in securityContexts, none of which the raw files show.
 *
 * So the raw files a kustomization pulls in (its resources, the bases and components it builds on,
 * its patches) are not checked on their own, which would double-count them and report patched-away
 * problems. Only kustomizations no other kustomization in the scan refers to are rendered (an
 * overlay, not its base). Rendered objects are mapped back to the raw files for positions: each
 * object to the raw object of the same kind whose name it carries (kustomize adds prefixes and
 * suffixes), each value to the same path in a patch that sets it, else in the raw object, else to
 * the closest parent that exists. Objects kustomize generates (ConfigMaps from generators, remote
 * resources) point at the kustomization file.
 */
import { dirname, posix } from "node:path";
import type { SourceFile, SourceSpan } from "../model.js";
import type { K8sObject } from "./model.js";
import { at, items, pairOf, str, text, type LFile, type LMap, type LNode } from "./yaml-tree.js";

export const KUSTOMIZATION_NAMES = new Set(["kustomization.yaml", "kustomization.yml", "Kustomization"]);

export interface KustomizeTarget {
  /** Directory of the kustomization, relative to the scan root ("." for the root). */
  dir: string;
  file: SourceFile;
  /** Raw object files it renders (recursively through bases and components). */
  resources: Set<string>;
  /** Patch files it applies. */
  patches: Set<string>;
}

export interface KustomizePlan {
  /** Kustomizations no other one refers to: the ones to render. */
  targets: KustomizeTarget[];
  /** Kustomization and patch files: never objects to check on their own. */
  neverRaw: Set<string>;
}

interface Kustomization {
  file: SourceFile;
  dir: string;
  root: LNode | undefined;
}

function directoryOf(path: string): string {
  const dir = posix.dirname(path);
  return dir === "" ? "." : dir;
}

function references(node: LNode | undefined): string[] {
  return items(node).flatMap((item) => {
    const value = text(item) ?? str(at(item, "path"));
    return value === undefined || value.includes("\n") ? [] : [value];
  });
}

function isRemote(entry: string): boolean {
  return (
    /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ||
    /^(?:github\.com|gitlab\.com|bitbucket\.org)\//.test(entry) ||
    entry.startsWith("git@")
  );
}

export function planKustomize(
  kustomizations: readonly { file: SourceFile; tree: LFile }[],
  known: ReadonlySet<string>,
): KustomizePlan {
  const byDir = new Map<string, Kustomization>();
  for (const { file, tree } of kustomizations)
    byDir.set(directoryOf(file.path), { file, dir: directoryOf(file.path), root: tree.docs[0]?.root });
  const referenced = new Set<string>();
  const expand = (k: Kustomization, target: KustomizeTarget, seen: Set<string>): void => {
    if (seen.has(k.dir)) return;
    seen.add(k.dir);
    const resolve = (entry: string): string => posix.normalize(posix.join(k.dir, entry)).replace(/\/$/, "");
    const bases = ["resources", "bases", "components", "crds"].flatMap((key) => references(at(k.root, key)));
    for (const entry of bases) {
      if (isRemote(entry)) continue;
      const path = resolve(entry);
      const child = byDir.get(path);
      if (child) {
        referenced.add(child.dir);
        expand(child, target, seen);
      } else if (known.has(path)) target.resources.add(path);
    }
    for (const key of ["patches", "patchesStrategicMerge", "patchesJson6902"])
      for (const entry of references(at(k.root, key))) {
        const path = resolve(entry);
        if (known.has(path)) target.patches.add(path);
      }
  };
  const all: KustomizeTarget[] = [];
  for (const k of byDir.values()) {
    const target: KustomizeTarget = { dir: k.dir, file: k.file, resources: new Set(), patches: new Set() };
    expand(k, target, new Set());
    all.push(target);
  }
  const neverRaw = new Set<string>();
  for (const target of all) {
    neverRaw.add(target.file.path);
    for (const path of target.patches) neverRaw.add(path);
  }
  return { targets: all.filter((target) => !referenced.has(target.dir)), neverRaw };
}

/** The absolute directory to hand to `kubectl kustomize`. */
export function absoluteDirectory(target: KustomizeTarget): string {
  return dirname(target.file.absolutePath);
}

/**
 * Rewrites the positions of rendered objects (parsed from kubectl's output) to the raw files they
 * came from. `raw` are the objects of the target's resource files, `patches` those of its patch files.
 */
export function alignRendered(
  rendered: LFile,
  target: KustomizeTarget,
  kustomization: LNode | undefined,
  raw: readonly K8sObject[],
  patches: readonly K8sObject[],
): void {
  const fallback: SourceSpan = { file: target.file.path, line: 1, column: 1, endLine: 1 };
  for (const doc of rendered.docs) {
    const root = doc.root;
    if (root?.kind !== "map") {
      doc.span = fallback;
      if (root) align(root, [], fallback);
      continue;
    }
    const kind = str(at(root, "kind"));
    const name = text(at(root, "metadata", "name")) ?? "";
    const base = bestMatch(raw, kind, name);
    const patched = patches
      .filter((p) => p.kind === kind && base !== undefined && p.name === base.name)
      .map((p) => p.root);
    const span = base?.span ?? fallback;
    root.span = span;
    doc.span = span;
    alignChildren(root, [...patched, ...(base ? [base.root] : [])], span);
    // A namespace the kustomization sets is reported where it sets it.
    const namespace = pairOf(at(root, "metadata"), "namespace");
    const setBy = pairOf(kustomization, "namespace");
    if (namespace && setBy && !(base?.root && at(base.root, "metadata", "namespace"))) {
      namespace.keySpan = setBy.keySpan;
      namespace.span = setBy.span;
      namespace.value.span = setBy.value.span;
    }
  }
  for (const diagnostic of rendered.diagnostics) diagnostic.span = fallback;
}

/** The raw object a rendered one came from: same kind, and its name is within the rendered name. */
function bestMatch(raw: readonly K8sObject[], kind: string | undefined, name: string): K8sObject | undefined {
  let best: K8sObject | undefined;
  for (const candidate of raw) {
    if (candidate.kind !== kind || !candidate.name || !name.includes(candidate.name)) continue;
    if (candidate.name === name) return candidate;
    if (!best || (best.name ?? "").length < candidate.name.length) best = candidate;
  }
  return best;
}

function align(node: LNode, sources: readonly LNode[], inherited: SourceSpan): void {
  node.span = sources[0]?.span ?? inherited;
  alignChildren(node, sources, node.span);
}

function alignChildren(node: LNode, sources: readonly LNode[], inherited: SourceSpan): void {
  if (node.kind === "map") {
    const maps = sources.filter((s): s is LMap => s.kind === "map");
    for (const pair of node.pairs) {
      const matches = maps.flatMap((m) => m.index.get(pair.key) ?? []);
      const first = matches[0];
      pair.keySpan = first?.keySpan ?? inherited;
      pair.span = first?.span ?? inherited;
      align(
        pair.value,
        matches.map((m) => m.value),
        pair.span,
      );
    }
  } else if (node.kind === "seq") {
    node.items.forEach((item, index) => {
      const name = str(at(item, "name"));
      const matches = sources.flatMap((source) => {
        if (source.kind !== "seq") return [];
        const found =
          name !== undefined ? source.items.find((s) => str(at(s, "name")) === name) : source.items[index];
        return found ? [found] : [];
      });
      align(item, matches, inherited);
    });
  }
}
