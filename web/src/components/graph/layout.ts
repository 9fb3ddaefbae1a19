import type { Box } from "./geometry.js";
import type { GraphModel } from "./model.js";

export type { Box } from "./geometry.js";
export { GROUP_HEADER } from "./geometry.js";

/** Where everything goes, in the graph's own coordinates (the viewport pans and zooms them). */
export interface GraphLayout {
  width: number;
  height: number;
  /** By job key. */
  nodes: Map<string, Box>;
  /** By group id. */
  groups: Map<string, Box>;
  /** SVG path data by edge id. */
  edges: Map<string, string>;
}

/** Something that lays out a graph model: dagre in a web worker, or dagre on the calling thread. */
export interface GraphLayoutEngine {
  layout(model: GraphModel): Promise<GraphLayout>;
}

const CACHED_LAYOUTS = 8;

interface CacheEntry {
  promise: Promise<GraphLayout>;
  /** Set once the promise has resolved, for callers that must not wait a microtask. */
  value?: GraphLayout;
}

const cache = new WeakMap<GraphLayoutEngine, Map<string, CacheEntry>>();

function entriesOf(engine: GraphLayoutEngine): Map<string, CacheEntry> {
  let entries = cache.get(engine);
  if (!entries) cache.set(engine, (entries = new Map()));
  return entries;
}

/** A layout of this shape the engine has already finished, if it is still remembered. */
export function cachedLayout(shape: string, engine: GraphLayoutEngine): GraphLayout | undefined {
  return cache.get(engine)?.get(shape)?.value;
}

/**
 * `engine.layout`, remembering the last few layouts by the graph's shape: switching the run page
 * from the timeline back to the graph, or opening a run again, draws at once instead of waiting
 * on the engine for the same answer. Per engine, so each engine is asked at least once.
 */
export function layoutGraphCached(
  shape: string,
  model: GraphModel,
  engine: GraphLayoutEngine,
): Promise<GraphLayout> {
  const entries = entriesOf(engine);
  const known = entries.get(shape);
  if (known) {
    entries.delete(shape);
    entries.set(shape, known);
    return known.promise;
  }
  const entry: CacheEntry = { promise: engine.layout(model) };
  entry.promise.then(
    (value) => (entry.value = value),
    // A failed layout is not remembered: the next mount tries again.
    () => entries.delete(shape),
  );
  entries.set(shape, entry);
  for (const oldest of entries.keys()) {
    if (entries.size <= CACHED_LAYOUTS) break;
    entries.delete(oldest);
  }
  return entry.promise;
}
