import type { SourcePosition } from "../../errors/index.js";

/**
 * A YAML value that remembers where each part was written. GitLab configuration is assembled
 * from several files (include), templates (extends), anchors and `!reference` tags before a
 * job is checked; carrying positions on every node means an error in the final job still
 * points at the line that wrote the value, in whichever file that was.
 */
export type Node = MapNode | SeqNode | ScalarNode | ReferenceNode;
export type Scalar = string | number | boolean | null;

export interface MapNode {
  kind: "map";
  pos: SourcePosition;
  /** In source order; a merge keeps the order of first appearance. */
  entries: Map<string, Entry>;
}

export interface Entry {
  key: string;
  keyPos: SourcePosition;
  value: Node;
}

export interface SeqNode {
  kind: "seq";
  pos: SourcePosition;
  items: Node[];
}

export interface ScalarNode {
  kind: "scalar";
  pos: SourcePosition;
  value: Scalar;
  /** Where the characters of the value start (after an opening quote), when it is on one line. */
  textPos?: SourcePosition | undefined;
}

/** A `!reference [.job, key, ...]` tag, replaced once includes and extends are merged. */
export interface ReferenceNode {
  kind: "reference";
  pos: SourcePosition;
  path: string[];
}

export type Path = readonly (string | number)[];

export function mapNode(pos: SourcePosition, entries: Iterable<Entry> = []): MapNode {
  return { kind: "map", pos, entries: new Map([...entries].map((e) => [e.key, e])) };
}

export function isMap(node: Node | undefined): node is MapNode {
  return node?.kind === "map";
}

export function get(node: Node | undefined, key: string): Node | undefined {
  return node?.kind === "map" ? node.entries.get(key)?.value : undefined;
}

export function at(node: Node | undefined, path: Path): Node | undefined {
  let current = node;
  for (const segment of path) {
    if (current?.kind === "map") current = current.entries.get(String(segment))?.value;
    else if (current?.kind === "seq" && typeof segment === "number") current = current.items[segment];
    else return undefined;
  }
  return current;
}

/**
 * Position of the value at `path` (or of its key), falling back to the deepest node that exists,
 * which is where a missing key has to be added.
 */
export function positionIn(node: Node, path: Path, options: { key?: boolean } = {}): SourcePosition {
  let current: Node = node;
  let best = node.pos;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const last = i === path.length - 1;
    if (current.kind === "map" && segment !== undefined) {
      const entry = current.entries.get(String(segment));
      if (!entry) break;
      if (last && options.key) return entry.keyPos;
      current = entry.value;
    } else if (current.kind === "seq" && typeof segment === "number") {
      const item = current.items[segment];
      if (!item) break;
      current = item;
    } else {
      break;
    }
    best = current.pos;
  }
  return best;
}

/** The plain value, as YAML would load it (references, which should be gone by now, as markers). */
export function toJS(node: Node): unknown {
  switch (node.kind) {
    case "scalar":
      return node.value;
    case "seq":
      return node.items.map(toJS);
    case "map":
      return Object.fromEntries([...node.entries.values()].map((e) => [e.key, toJS(e.value)]));
    case "reference":
      return { "!reference": node.path };
  }
}

/**
 * GitLab's merge for `include` and `extends` (Ruby's `deep_merge`): mappings merge key by key
 * at any depth; anything else in `over` replaces what `base` had, arrays included.
 * https://docs.gitlab.com/ci/yaml/yaml_optimization/#merge-details
 */
export function deepMerge(base: Node, over: Node): Node {
  if (base.kind !== "map" || over.kind !== "map") return over;
  const merged = new Map(base.entries);
  for (const [key, entry] of over.entries) {
    const previous = merged.get(key);
    merged.set(
      key,
      previous ? { key, keyPos: entry.keyPos, value: deepMerge(previous.value, entry.value) } : entry,
    );
  }
  return { kind: "map", pos: over.pos, entries: merged };
}

export function withoutKeys(node: MapNode, keys: readonly string[]): MapNode {
  const entries = new Map(node.entries);
  for (const key of keys) entries.delete(key);
  return { kind: "map", pos: node.pos, entries };
}

export function withEntry(node: MapNode, entry: Entry): MapNode {
  const entries = new Map(node.entries);
  entries.set(entry.key, entry);
  return { kind: "map", pos: node.pos, entries };
}

/**
 * Script-like lists may nest (a `!reference` to another script inside a script); GitLab
 * flattens them, up to ten levels.
 */
export function flattenSeq(node: Node): Node {
  if (node.kind !== "seq") return node;
  const items: Node[] = [];
  const visit = (n: Node, depth: number): void => {
    if (n.kind === "seq" && depth < 10) n.items.forEach((item) => visit(item, depth + 1));
    else items.push(n);
  };
  node.items.forEach((item) => visit(item, 1));
  return { kind: "seq", pos: node.pos, items };
}
