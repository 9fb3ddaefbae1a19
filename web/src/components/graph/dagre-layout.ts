import { Graph, layout } from "@dagrejs/dagre";
import type { EdgeLabel, GraphLabel, NodeLabel, Point } from "@dagrejs/dagre";
import { childOffset, GROUP_HEADER, GROUP_WIDTH, groupHeight, NODE_HEIGHT, NODE_WIDTH } from "./geometry.js";
import type { Box } from "./geometry.js";
import type { GraphLayout } from "./layout.js";
import type { GraphModel } from "./model.js";
import { placeColumns } from "./placement.js";
import type { ColumnItem, Link } from "./placement.js";
import { assignTracks } from "./tracks.js";
import type { GapSegment } from "./tracks.js";

/** The narrowest gap between two columns of boxes. */
const MIN_GAP = 48;
/** Room between a column and the nearest vertical track, for the arrowheads. */
const EDGE_END = 18;
const TRACK_SPACING = 7;
const NODE_GAP = 14;
const EDGE_GAP = 8;
/** Ends sharing one side of a box are fanned out this far apart at most. */
const END_SPACING = 6;
const MARGIN = 12;
const SWEEPS = 12;

type LayoutGraph = Graph<GraphLabel, NodeLabel, EdgeLabel>;

interface Column {
  left: number;
  width: number;
  /** Boxes and the points edges pass through, top to bottom in dagre's order. */
  items: ColumnItem[];
}

/** A box and where it stands. */
interface Placed {
  box: Box;
  column: number;
  item: ColumnItem;
}

/** Where on a box an edge may end: one height (a matrix child's), or a band to fan ends out in. */
interface Site {
  placed: Placed;
  /** Below the box's top edge. */
  from: number;
  to: number;
}

interface Route {
  id: string;
  start: Site;
  end: Site;
  /** Where the edge passes the columns between its two ends, from left to right. */
  crossings: ColumnItem[];
  startY: number;
  endY: number;
  /** Per gap it crosses, from left to right: the x of its vertical run, if it changes height there. */
  turns: (number | undefined)[];
}

const middle = (site: Site) => (site.from + site.to) / 2;

/**
 * The flat graph laid out left to right: each matrix group is one box whose children are
 * stacked in plan order (an edge to or from one child ends at that child's height), as the
 * drawing and the keyboard navigation expect.
 *
 * dagre ranks the boxes into columns and orders each column to keep crossings few; heights are
 * placed here (placement.ts), more compactly than dagre places them, and edges routed
 * orthogonally: each runs horizontally through every column at the height kept free for it and
 * changes height on a vertical track in a gap (tracks.ts), each gap as wide as its tracks need.
 * No box sits in a gap, so no edge crosses a box.
 */
export function layoutWithDagre(model: GraphModel): GraphLayout {
  const graph: LayoutGraph = new Graph({ multigraph: true });
  // dagre's types list only its built-in rankers; it calls a function given instead.
  graph.setGraph({ rankdir: "LR", ranker: rankAfterNeeds as unknown as GraphLabel["ranker"] });
  // The box each layout node is drawn in: a matrix child's is its group's.
  const boxIdOf = new Map<string, string>();
  for (const group of model.groups) {
    graph.setNode(group.id, { width: GROUP_WIDTH, height: groupHeight(group.keys.length) });
    boxIdOf.set(group.id, group.id);
  }
  for (const node of model.nodes) {
    if (node.groupId === undefined) graph.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
    boxIdOf.set(node.id, node.groupId ?? node.id);
  }
  for (const edge of model.edges) {
    const v = boxIdOf.get(edge.source);
    const w = boxIdOf.get(edge.target);
    if (v !== undefined && w !== undefined && v !== w) graph.setEdge(v, w, {}, edge.id);
  }
  const ordered = rankAndOrder(graph);

  // Columns are the ranks boxes stand in; the ranks between them hold only edges.
  const boxRanks = new Set<number>();
  for (const id of graph.nodes()) boxRanks.add(ordered.node(id).rank ?? 0);
  const ranks = [...boxRanks].sort((a, b) => a - b);
  const columnOf = new Map(ranks.map((rank, i) => [rank, i]));
  const columns: Column[] = ranks.map(() => ({ left: 0, width: 0, items: [] }));
  const orderOf = new Map<ColumnItem, number>();
  const placed = new Map<string, Placed>();
  const passing = new Map<string, { rank: number; item: ColumnItem }[]>();
  for (const id of ordered.nodes()) {
    const label = ordered.node(id);
    const index = columnOf.get(label.rank ?? 0);
    const column = index === undefined ? undefined : columns[index];
    if (index === undefined || !column) continue;
    if (label.dummy === "edge" || label.dummy === "edge-label") {
      // A point of a long edge (dagre puts one in every rank the edge passes).
      const edgeId = label.edgeObj?.name;
      if (edgeId === undefined) continue;
      const item = { y: 0, height: 0, gap: EDGE_GAP };
      column.items.push(item);
      orderOf.set(item, label.order ?? 0);
      const list = passing.get(edgeId) ?? [];
      list.push({ rank: label.rank ?? 0, item });
      passing.set(edgeId, list);
    } else if (graph.hasNode(id)) {
      const { width, height } = graph.node(id);
      const item = { y: 0, height, gap: NODE_GAP };
      column.items.push(item);
      column.width = Math.max(column.width, width);
      orderOf.set(item, label.order ?? 0);
      placed.set(id, { box: { x: 0, y: 0, width, height }, column: index, item });
    }
  }
  for (const column of columns) column.items.sort((a, b) => (orderOf.get(a) ?? 0) - (orderOf.get(b) ?? 0));

  const groupOf = new Map(model.groups.map((g) => [g.id, g]));
  const nodeOf = new Map(model.nodes.map((n) => [n.id, n]));
  const siteOf = (id: string, at: Placed): Site => {
    const node = nodeOf.get(id);
    const group = node?.groupId === undefined ? undefined : groupOf.get(node.groupId);
    if (node && group) {
      const y = childOffset(group.keys.indexOf(node.key)).y + NODE_HEIGHT / 2;
      return { placed: at, from: y, to: y };
    }
    // A whole matrix: its edges meet the group at its title, apart from its children's.
    if (groupOf.has(id)) return { placed: at, from: 6, to: GROUP_HEADER - 6 };
    return { placed: at, from: 12, to: at.box.height - 12 };
  };

  const routes: Route[] = [];
  const links: Link[] = [];
  for (const edge of model.edges) {
    const source = placed.get(boxIdOf.get(edge.source) ?? "");
    const target = placed.get(boxIdOf.get(edge.target) ?? "");
    if (!source || !target || source === target) continue;
    const crossings = (passing.get(edge.id) ?? []).sort((a, b) => a.rank - b.rank).map((p) => p.item);
    const route: Route = {
      id: edge.id,
      start: siteOf(edge.source, source),
      end: siteOf(edge.target, target),
      crossings,
      startY: 0,
      endY: 0,
      turns: [],
    };
    routes.push(route);
    // Long edges are held straighter than short ones (weights as in Graphviz's dot).
    const chain = [
      { item: source.item, offset: middle(route.start), box: true },
      ...crossings.map((item) => ({ item, offset: 0, box: false })),
      { item: target.item, offset: middle(route.end), box: true },
    ];
    for (let i = 1; i < chain.length; i++) {
      const a = chain[i - 1];
      const b = chain[i];
      if (!a || !b) continue;
      const weight = a.box && b.box ? 1 : a.box || b.box ? 2 : 8;
      links.push({ a: a.item, aOffset: a.offset, b: b.item, bOffset: b.offset, weight });
    }
  }

  placeColumns(
    columns.map((c) => c.items),
    links,
    SWEEPS,
  );
  const all = columns.flatMap((c) => c.items);
  const top = all.length === 0 ? 0 : Math.min(...all.map((item) => item.y));
  const bottom = all.length === 0 ? 0 : Math.max(...all.map((item) => item.y + item.height));
  for (const item of all) item.y += MARGIN - top;
  for (const { box, item } of placed.values()) box.y = item.y;
  for (const route of routes) {
    route.startY = route.start.placed.box.y + middle(route.start);
    route.endY = route.end.placed.box.y + middle(route.end);
  }
  fanOut(routes, "start");
  fanOut(routes, "end");
  const width = placeAcross(columns, routes);
  for (const { box, column } of placed.values()) {
    const { left, width: columnWidth } = columns[column] ?? { left: 0, width: 0 };
    box.x = left + (columnWidth - box.width) / 2;
  }

  const edges = new Map<string, string>();
  for (const route of routes) edges.set(route.id, pathOf(route));
  const boxes = new Map([...placed].map(([id, at]) => [id, at.box]));
  return {
    width,
    height: bottom - top + 2 * MARGIN,
    nodes: placeNodes(model, boxes),
    groups: placeGroups(model, boxes),
    edges,
  };
}

const ORDERED = new Error("ordered");

/**
 * Ranks and orders `graph` with dagre, stopping there: dagre has no call for its first steps
 * alone, but runs `customOrder` in place of its ordering step. Ordered with dagre's own
 * algorithm there, its layout graph holds every box's rank and order, and a point (a dummy node)
 * in every rank each long edge passes. Stopping skips dagre's coordinates, which placement.ts
 * replaces: a third of dagre's time on 500 jobs.
 */
function rankAndOrder(graph: LayoutGraph): LayoutGraph {
  let ordered: LayoutGraph | undefined;
  try {
    layout(graph, {
      customOrder: (layoutGraph, order) => {
        order(layoutGraph);
        ordered = layoutGraph;
        throw ORDERED;
      },
    });
  } catch (error) {
    if (error !== ORDERED) throw error;
  }
  if (!ordered) throw new Error("dagre did not reach its ordering step");
  return ordered;
}

/**
 * A box's column is one past its latest need's: boxes line up by how deep in the run they
 * wait, as a reader counts stages. dagre's default (network simplex) keeps edges shorter but
 * took 60% of dagre's time on 500 jobs; this is one pass in topological order.
 */
function rankAfterNeeds(graph: LayoutGraph): void {
  const waiting = new Map<string, number>();
  const ready: string[] = [];
  for (const id of graph.nodes()) {
    const count = graph.inEdges(id)?.length ?? 0;
    waiting.set(id, count);
    if (count === 0) {
      graph.node(id).rank = 0;
      ready.push(id);
    }
  }
  for (let i = 0; i < ready.length; i++) {
    const id = ready[i] ?? "";
    const rank = graph.node(id).rank ?? 0;
    for (const edge of graph.outEdges(id) ?? []) {
      const next = graph.node(edge.w);
      next.rank = Math.max(next.rank ?? 0, rank + (graph.edge(edge).minlen ?? 1));
      const left = (waiting.get(edge.w) ?? 1) - 1;
      waiting.set(edge.w, left);
      if (left === 0) ready.push(edge.w);
    }
  }
}

/**
 * Edges sharing a band on a box leave (or enter) it side by side, ordered by where they go
 * next, so that they do not cross at the box and each arrowhead can be told apart.
 */
function fanOut(routes: Route[], side: "start" | "end"): void {
  const bySite = new Map<string, Route[]>();
  for (const route of routes) {
    const site = route[side];
    if (site.from === site.to) continue;
    const key = `${site.placed.box.x},${site.placed.box.y},${site.from}`;
    const list = bySite.get(key) ?? [];
    list.push(route);
    bySite.set(key, list);
  }
  for (const list of bySite.values()) {
    const next = (route: Route) =>
      side === "start" ? (route.crossings[0]?.y ?? route.endY) : (route.crossings.at(-1)?.y ?? route.startY);
    list.sort((a, b) => next(a) - next(b));
    const site = list[0]?.[side];
    if (!site) continue;
    const spacing = list.length < 2 ? 0 : Math.min(END_SPACING, (site.to - site.from) / (list.length - 1));
    const first = site.placed.box.y + middle(site) - (spacing * (list.length - 1)) / 2;
    list.forEach((route, index) => {
      if (side === "start") route.startY = first + index * spacing;
      else route.endY = first + index * spacing;
    });
  }
}

/** The heights an edge runs at, column by column: it leaves its source, passes, enters its target. */
const heightsOf = (route: Route) => [route.startY, ...route.crossings.map((c) => c.y), route.endY];

/**
 * Tracks in every gap, then the columns' x: each gap is as wide as its tracks need. Returns the
 * graph's width. An edge has a point in every column it passes, so its consecutive heights are
 * in neighbouring columns.
 */
function placeAcross(columns: readonly Column[], routes: readonly Route[]): number {
  const byGap = columns.map(() => [] as { route: Route; gap: number; segment: GapSegment }[]);
  for (const route of routes) {
    const first = route.start.placed.column;
    const heights = heightsOf(route);
    for (let i = 1; i < heights.length; i++) {
      const segment = { from: heights[i - 1] ?? 0, to: heights[i] ?? 0 };
      byGap[first + i - 1]?.push({ route, gap: i - 1, segment });
    }
  }
  let x = MARGIN;
  columns.forEach((column, i) => {
    column.left = x;
    x += column.width;
    if (i === columns.length - 1) return;
    const crossing = byGap[i] ?? [];
    const { track, count } = assignTracks(crossing.map((c) => c.segment));
    const gap = Math.max(MIN_GAP, 2 * EDGE_END + Math.max(0, count - 1) * TRACK_SPACING);
    const firstTrack = x + (gap - (count - 1) * TRACK_SPACING) / 2;
    crossing.forEach(({ route, gap: index }, k) => {
      const t = track[k] ?? -1;
      route.turns[index] = t < 0 ? undefined : firstTrack + t * TRACK_SPACING;
    });
    x += gap;
  });
  return x + MARGIN;
}

function pathOf(route: Route): string {
  const source = route.start.placed.box;
  const heights = heightsOf(route);
  const points: Point[] = [{ x: source.x + source.width, y: route.startY }];
  heights.slice(1).forEach((y, i) => {
    const turn = route.turns[i];
    if (turn !== undefined) points.push({ x: turn, y: heights[i] ?? y }, { x: turn, y });
  });
  points.push({ x: route.end.placed.box.x, y: route.endY });
  return points.map((p, i) => `${i === 0 ? "M" : "L"}${round(p.x)} ${round(p.y)}`).join(" ");
}

const round = (n: number) => Math.round(n * 10) / 10;

function placeGroups(model: GraphModel, boxes: ReadonlyMap<string, Box>): Map<string, Box> {
  const groups = new Map<string, Box>();
  for (const group of model.groups) {
    const box = boxes.get(group.id);
    if (box) groups.set(group.id, box);
  }
  return groups;
}

/** Job boxes by key: a matrix child at its place in its group's stack. */
function placeNodes(model: GraphModel, boxes: ReadonlyMap<string, Box>): Map<string, Box> {
  const nodes = new Map<string, Box>();
  for (const group of model.groups) {
    const box = boxes.get(group.id);
    if (!box) continue;
    group.keys.forEach((key, index) => {
      const offset = childOffset(index);
      nodes.set(key, { x: box.x + offset.x, y: box.y + offset.y, width: NODE_WIDTH, height: NODE_HEIGHT });
    });
  }
  for (const node of model.nodes) {
    const box = node.groupId === undefined ? boxes.get(node.id) : undefined;
    if (box) nodes.set(node.key, box);
  }
  return nodes;
}
