import type { ELK, ElkExtendedEdge, ElkNode, ElkPort } from "elkjs/lib/elk-api.js";
import {
  buildGraphModel,
  childOffset,
  GROUP_WIDTH,
  groupHeight,
  NODE_HEIGHT,
  NODE_WIDTH,
} from "../src/components/graph/index.js";
import type { Box, GraphLayout, GraphLayoutEngine, GraphModel } from "../src/components/graph/index.js";

/*
 * The run graph's former layout, kept as the benchmark's baseline: elk's layered algorithm in a
 * web worker (elk-worker.min.js, 1.6 MB), on the same flat graph the dagre engine lays out, with
 * the options the UI used. Not part of the UI.
 */

const ROOT_OPTIONS = {
  "elk.algorithm": "layered",
  "elk.direction": "RIGHT",
  "elk.edgeRouting": "ORTHOGONAL",
  "elk.layered.nodePlacement.strategy": "LINEAR_SEGMENTS",
  "elk.layered.thoroughness": "3",
  "elk.layered.crossingMinimization.greedySwitch.type": "OFF",
  "elk.layered.spacing.nodeNodeBetweenLayers": "44",
  "elk.layered.spacing.edgeNodeBetweenLayers": "16",
  "elk.spacing.nodeNode": "14",
  "elk.spacing.edgeNode": "12",
  "elk.padding": "[top=12,left=12,bottom=12,right=12]",
};

/** Each matrix group one box; an edge to or from one child ends at a port at that child's height. */
function toElkGraph(model: GraphModel): ElkNode {
  const nodeById = new Map(model.nodes.map((n) => [n.id, n]));
  const inGroup = (id: string) => nodeById.get(id)?.groupId !== undefined;
  const portsOf = new Map<string, ElkPort[]>();
  const port = (id: string, side: "in" | "out"): string => {
    const node = nodeById.get(id);
    const group = model.groups.find((g) => g.id === node?.groupId);
    if (!node || !group) return id;
    const y = childOffset(group.keys.indexOf(node.key)).y + NODE_HEIGHT / 2;
    const ports = portsOf.get(group.id) ?? [];
    const portId = `${id}.${side}`;
    if (!ports.some((p) => p.id === portId)) {
      ports.push({
        id: portId,
        x: side === "in" ? 0 : GROUP_WIDTH,
        y,
        width: 0,
        height: 0,
        layoutOptions: { "elk.port.side": side === "in" ? "WEST" : "EAST" },
      });
    }
    portsOf.set(group.id, ports);
    return portId;
  };
  const edges: ElkExtendedEdge[] = model.edges.map((e) => ({
    id: e.id,
    sources: [inGroup(e.source) ? port(e.source, "out") : e.source],
    targets: [inGroup(e.target) ? port(e.target, "in") : e.target],
  }));
  const children: ElkNode[] = model.groups.map((group) => {
    const ports = portsOf.get(group.id);
    return {
      id: group.id,
      width: GROUP_WIDTH,
      height: groupHeight(group.keys.length),
      ...(ports ? { ports, layoutOptions: { "elk.portConstraints": "FIXED_POS" } } : {}),
    };
  });
  for (const node of model.nodes) {
    if (node.groupId === undefined) children.push({ id: node.id, width: NODE_WIDTH, height: NODE_HEIGHT });
  }
  return { id: "root", layoutOptions: ROOT_OPTIONS, children, edges };
}

const round = (n: number) => Math.round(n * 10) / 10;

function pathOf(edge: ElkExtendedEdge): string {
  return (edge.sections ?? [])
    .map((s) => {
      const points = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
      return points.map((p, i) => `${i === 0 ? "M" : "L"}${round(p.x)} ${round(p.y)}`).join(" ");
    })
    .join(" ");
}

const boxOf = (node: ElkNode): Box => ({
  x: node.x ?? 0,
  y: node.y ?? 0,
  width: node.width ?? 0,
  height: node.height ?? 0,
});

function fromElk(model: GraphModel, result: ElkNode): GraphLayout {
  const placed = new Map((result.children ?? []).map((child) => [child.id, boxOf(child)]));
  const nodes = new Map<string, Box>();
  const groups = new Map<string, Box>();
  for (const group of model.groups) {
    const box = placed.get(group.id);
    if (!box) continue;
    groups.set(group.id, box);
    group.keys.forEach((key, index) => {
      const offset = childOffset(index);
      nodes.set(key, { x: box.x + offset.x, y: box.y + offset.y, width: NODE_WIDTH, height: NODE_HEIGHT });
    });
  }
  for (const node of model.nodes) {
    const box = node.groupId === undefined ? placed.get(node.id) : undefined;
    if (box) nodes.set(node.key, box);
  }
  const edges = new Map<string, string>();
  for (const edge of result.edges ?? []) edges.set(edge.id, pathOf(edge));
  return { width: result.width ?? 0, height: result.height ?? 0, nodes, groups, edges };
}

/** A small graph with a matrix, an edge from one child and edges skipping a stage. */
function warmUpGraph(): ElkNode {
  const job = (key: string, jobId: string, needs: string[], matrix?: Record<string, unknown>) => ({
    key,
    jobId,
    name: key,
    status: "queued" as const,
    needs,
    matrix,
  });
  const matrix = ["m (1)", "m (2)", "m (3)"];
  return toElkGraph(
    buildGraphModel([
      job("a", "a", []),
      job("b", "b", ["a"]),
      ...matrix.map((key, i) => job(key, "m", ["a", "b"], { i })),
      job("c", "c", matrix),
      job("d", "d", ["m (1)", "a"]),
      job("e", "e", ["c", "d", "b"]),
    ]),
  );
}

/**
 * elk in a web worker, started at once and warmed up with a small layout, as the UI ran it:
 * the worker loads while the page builds the graph.
 */
export function elkWorkerLayoutEngine(): GraphLayoutEngine {
  const starting = Promise.all([
    import("elkjs/lib/elk-api.js"),
    import("elkjs/lib/elk-worker.min.js?url"),
  ]).then(([{ default: ElkConstructor }, { default: workerUrl }]) => {
    const elk: ELK = new ElkConstructor({ workerFactory: () => new Worker(workerUrl) });
    elk.layout(warmUpGraph()).catch(() => undefined);
    return elk;
  });
  starting.catch(() => undefined);
  return {
    async layout(model) {
      const elk = await starting;
      return fromElk(model, await elk.layout(toElkGraph(model)));
    },
  };
}
