import { describe, expect, it } from "vitest";
import { layoutWithDagre } from "../src/components/graph/dagre-layout.js";
import type { Box } from "../src/components/graph/geometry.js";
import { buildGraphModel } from "../src/components/graph/model.js";
import { assignTracks } from "../src/components/graph/tracks.js";
import type { GraphJob } from "../src/components/graph/types.js";

/** Six stages of plain and matrix jobs, each needing one or two jobs of the stages before. */
function stagedRun(): GraphJob[] {
  const jobs: GraphJob[] = [];
  const stages: string[][] = [];
  for (let stage = 0; stage < 6; stage++) {
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) {
      const jobId = `j${stage}${n}`;
      const earlier = stages.flat();
      const needs = stage === 0 ? [] : [earlier[(n * 7 + stage) % earlier.length] ?? ""];
      if (n % 2 === 1 && earlier.length > 3) needs.push(earlier[(n * 3) % earlier.length] ?? "");
      const size = n === 2 ? 3 : 1;
      for (let i = 0; i < size; i++) {
        const key = size === 1 ? jobId : `${jobId} (${i})`;
        jobs.push({
          key,
          jobId,
          name: key,
          status: "queued",
          needs: [...new Set(needs)],
          ...(size === 1 ? {} : { matrix: { i } }),
        });
      }
      ids.push(jobId);
    }
    stages.push(ids);
  }
  return jobs;
}

function pointsOf(d: string): { x: number; y: number }[] {
  return [...d.matchAll(/[ML]([-\d.]+) ([-\d.]+)/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }));
}

const inside = (x: number, y: number, b: Box) =>
  x > b.x + 0.5 && x < b.x + b.width - 0.5 && y > b.y + 0.5 && y < b.y + b.height - 0.5;

describe("layoutWithDagre", () => {
  const model = buildGraphModel(stagedRun());
  const layout = layoutWithDagre(model);
  const boxOf = (id: string): Box | undefined => {
    const node = model.nodes.find((n) => n.id === id);
    if (node)
      return node.groupId === undefined ? layout.nodes.get(node.key) : layout.groups.get(node.groupId);
    return layout.groups.get(id);
  };
  const outer = [
    ...layout.groups.values(),
    ...model.nodes.filter((n) => n.groupId === undefined).map((n) => layout.nodes.get(n.key) as Box),
  ];

  it("places every job, inside the drawing and without overlaps", () => {
    expect(layout.nodes.size).toBe(model.nodes.length);
    for (const box of outer) {
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(layout.width);
      expect(box.y + box.height).toBeLessThanOrEqual(layout.height);
    }
    for (const [i, a] of outer.entries()) {
      for (const b of outer.slice(i + 1)) {
        const apart =
          a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
        expect(apart).toBe(true);
      }
    }
  });

  it("routes every edge orthogonally from its source's right side to its target's left side", () => {
    expect(layout.edges.size).toBe(model.edges.length);
    for (const edge of model.edges) {
      const points = pointsOf(layout.edges.get(edge.id) ?? "");
      const source = boxOf(edge.source);
      const target = boxOf(edge.target);
      if (!source || !target) throw new Error(`edge ${edge.id} has no boxes`);
      const first = points[0];
      const last = points.at(-1);
      expect(first?.x).toBeCloseTo(source.x + source.width, 0);
      expect(last?.x).toBeCloseTo(target.x, 0);
      // Into the target horizontally, so the arrowhead points straight in.
      expect(points.at(-2)?.y).toBeCloseTo(last?.y ?? NaN, 0);
      for (let i = 1; i < points.length; i++) {
        const a = points[i - 1];
        const b = points[i];
        if (!a || !b) continue;
        expect(Math.abs(a.x - b.x) < 0.6 || Math.abs(a.y - b.y) < 0.6).toBe(true);
        // No segment runs through a box: its middle is outside every one.
        const mx = (a.x + b.x) / 2;
        const my = (a.y + b.y) / 2;
        for (const box of outer) expect(inside(mx, my, box)).toBe(false);
      }
    }
  });

  it("lays out an empty graph", () => {
    const empty = layoutWithDagre({ nodes: [], groups: [], edges: [] });
    expect(empty.nodes.size).toBe(0);
    expect(Number.isFinite(empty.width) && Number.isFinite(empty.height)).toBe(true);
  });
});

describe("assignTracks", () => {
  it("lets segments whose vertical runs do not overlap share a track", () => {
    const { track, count } = assignTracks([
      { from: 0, to: 50 },
      { from: 100, to: 150 },
      { from: 30, to: 30 },
    ]);
    expect(count).toBe(1);
    expect(track).toEqual([0, 0, -1]);
  });

  it("orders overlapping segments so that they do not cross", () => {
    // Both go down; the one starting lower turns left of the other, or its way in crosses it.
    const { track } = assignTracks([
      { from: 0, to: 100 },
      { from: 40, to: 140 },
    ]);
    expect(track[1]).toBeLessThan(track[0] ?? NaN);
    // Both go up: the mirror image.
    const up = assignTracks([
      { from: 100, to: 0 },
      { from: 140, to: 40 },
    ]);
    expect(up.track[0]).toBeLessThan(up.track[1] ?? NaN);
  });
});
