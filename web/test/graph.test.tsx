// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { graphJobsFromRun, inlineLayoutEngine, RunGraph } from "../src/components/graph/index.js";
import type { GraphJob, GraphLayoutEngine } from "../src/components/graph/index.js";
import type { RunDetail } from "../src/api/types.js";

afterEach(cleanup);

const T0 = 1_700_000_000_000;
const MATRIX = ["test (linux, 20)", "test (linux, 22)", "test (mac, 20)"];

/** lint → build → test ×3 (matrix) → package → deploy, and deploy also needs one test child. */
function smallRun(): GraphJob[] {
  const job = (key: string, jobId: string, needs: string[], extra: Partial<GraphJob> = {}): GraphJob => ({
    key,
    jobId,
    name: key.replace(/^test/, "Test"),
    status: "queued",
    needs,
    ...extra,
  });
  return [
    job("lint", "lint", [], { status: "success", startedAt: T0, finishedAt: T0 + 4_000, cacheHit: true }),
    job("build", "build", ["lint"], { status: "running", startedAt: T0 + 4_000 }),
    ...MATRIX.map((key) => {
      const [os, node] = /\((\w+), (\d+)\)/.exec(key)?.slice(1) ?? [];
      return job(key, "test", ["build"], { matrix: { os, node: Number(node) } });
    }),
    job("package", "package", [...MATRIX]),
    // A need naming a job id (not an instance key) stands for the job's instances.
    job("deploy", "deploy", ["package", "test (linux, 20)"]),
  ];
}

/** The real layout (dagre), on the test's thread, counting the layouts it is asked for. */
function countingEngine(): GraphLayoutEngine & { calls: number } {
  const inline = inlineLayoutEngine();
  const engine = {
    calls: 0,
    layout(model: Parameters<GraphLayoutEngine["layout"]>[0]) {
      engine.calls++;
      return inline.layout(model);
    },
  };
  return engine;
}

async function rendered(ui: React.ReactElement) {
  const view = render(ui);
  await waitFor(() => expect(view.container.querySelector("svg[data-ready=true]")).not.toBeNull(), {
    timeout: 20_000,
  });
  return view;
}

function nodeOf(container: HTMLElement, key: string): SVGGElement {
  const node = container.querySelector<SVGGElement>(`[data-key="${CSS.escape(key)}"]`);
  if (!node) throw new Error(`no node ${key}`);
  return node;
}

/** A node's (x, y) from its transform, in graph coordinates. */
function positionOf(container: HTMLElement, key: string): { x: number; y: number } {
  const match = /translate\(([-\d.e]+) ([-\d.e]+)\)/.exec(
    nodeOf(container, key).getAttribute("transform") ?? "",
  );
  if (!match) throw new Error(`node ${key} has no position`);
  return { x: Number(match[1]), y: Number(match[2]) };
}

function edges(container: HTMLElement): string[] {
  return [...container.querySelectorAll("path.rg-edge")]
    .map((e) => `${e.getAttribute("data-from")} -> ${e.getAttribute("data-to")}`)
    .sort();
}

describe("RunGraph", () => {
  it("draws every job, groups the matrix and connects needs, left to right", async () => {
    const engine = countingEngine();
    const { container } = await rendered(
      <RunGraph jobs={smallRun()} layoutEngine={engine} now={T0 + 9_000} />,
    );

    const keys = [...container.querySelectorAll("[data-key]")].map((n) => n.getAttribute("data-key"));
    expect(keys.sort()).toEqual(["build", "deploy", "lint", "package", ...MATRIX].sort());
    const groups = [...container.querySelectorAll("[data-group]")];
    expect(groups.map((g) => g.getAttribute("data-group"))).toEqual(["test"]);
    expect(groups[0]?.textContent).toContain("Test");
    // The children are named by their matrix values inside the group.
    expect(nodeOf(container, "test (mac, 20)").textContent).toContain("mac, 20");

    // Every child needs build and package needs every child: one edge each way, not three.
    expect(edges(container)).toEqual(
      [
        "build -> test",
        "lint -> build",
        "package -> deploy",
        "test -> package",
        "test (linux, 20) -> deploy",
      ].sort(),
    );
    for (const path of container.querySelectorAll("path.rg-edge")) {
      expect(path.getAttribute("d")).toMatch(/^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+)+/);
    }

    const x = (key: string) => positionOf(container, key).x;
    expect(x("lint")).toBeLessThan(x("build"));
    for (const key of MATRIX) {
      expect(x("build")).toBeLessThan(x(key));
      expect(x(key)).toBeLessThan(x("package"));
    }
    expect(x("package")).toBeLessThan(x("deploy"));
    // Matrix children stack in one column in plan order, inside their group's box.
    expect(new Set(MATRIX.map(x)).size).toBe(1);
    const ys = MATRIX.map((key) => positionOf(container, key).y);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
    // The edge from one child leaves at that child's height, not somewhere on the group.
    const fromChild = container.querySelector('path[data-from="test (linux, 20)"]')?.getAttribute("d") ?? "";
    const [, startY] = /^M[\d.]+ ([\d.]+)/.exec(fromChild) ?? [];
    expect(Number(startY)).toBeCloseTo(positionOf(container, "test (linux, 20)").y + 23, 0);
    const group = /translate\(([-\d.]+) ([-\d.]+)\)/.exec(groups[0]?.getAttribute("transform") ?? "");
    const groupBox = groups[0]?.querySelector("rect");
    const gx = Number(group?.[1]);
    const gy = Number(group?.[2]);
    for (const key of MATRIX) {
      const p = positionOf(container, key);
      expect(p.x).toBeGreaterThan(gx);
      expect(p.y).toBeGreaterThan(gy);
      expect(p.y).toBeLessThan(gy + Number(groupBox?.getAttribute("height")));
    }

    // Status, duration, the running clock and the cache hit are on the boxes.
    expect(nodeOf(container, "lint").getAttribute("data-tone")).toBe("success");
    expect(nodeOf(container, "lint").textContent).toContain("4.0s");
    expect(nodeOf(container, "lint").textContent).toContain("cache hit");
    expect(nodeOf(container, "build").getAttribute("aria-label")).toBe("build: running, 5.0s");
    expect(engine.calls).toBe(1);
  });

  it("keeps every box in place when statuses and times change", async () => {
    const engine = countingEngine();
    const jobs = smallRun();
    const { container, rerender } = await rendered(
      <RunGraph jobs={jobs} layoutEngine={engine} now={T0 + 9_000} />,
    );
    const before = Object.fromEntries(jobs.map((j) => [j.key, positionOf(container, j.key)]));

    // What a poll of the API brings: new objects, new statuses, the clock moved on.
    const later = smallRun().map((j) =>
      j.key === "build"
        ? { ...j, status: "success" as const, finishedAt: T0 + 20_000 }
        : j.jobId === "test"
          ? { ...j, status: "running" as const, startedAt: T0 + 20_000 }
          : { ...j },
    );
    rerender(<RunGraph jobs={later} layoutEngine={engine} now={T0 + 85_000} />);
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)));

    expect(engine.calls).toBe(1);
    for (const job of later) expect(positionOf(container, job.key)).toEqual(before[job.key]);
    expect(nodeOf(container, "build").getAttribute("data-tone")).toBe("success");
    expect(nodeOf(container, "build").textContent).toContain("16s");
    expect(nodeOf(container, "test (mac, 20)").getAttribute("data-tone")).toBe("running");
    expect(nodeOf(container, "test (mac, 20)").textContent).toContain("1m 05s");
    expect(container.querySelector("[data-group=test]")?.getAttribute("data-tone")).toBe("running");

    // A change of shape (a job more) is laid out again.
    rerender(
      <RunGraph
        jobs={[
          ...later,
          { key: "notify", jobId: "notify", name: "notify", status: "queued", needs: ["deploy"] },
        ]}
        layoutEngine={engine}
      />,
    );
    await waitFor(() => expect(container.querySelector('[data-key="notify"]')).not.toBeNull(), {
      timeout: 20_000,
    });
    expect(engine.calls).toBe(2);
    expect(edges(container)).toContain("deploy -> notify");
  });

  it("draws a graph shown again from the layout it had, without laying it out again", async () => {
    const engine = countingEngine();
    const first = await rendered(<RunGraph jobs={smallRun()} layoutEngine={engine} />);
    const before = positionOf(first.container, "deploy");
    first.unmount();
    // As when the run page comes back from its timeline tab: drawn in the first render.
    const again = render(<RunGraph jobs={smallRun()} layoutEngine={engine} />);
    expect(again.container.querySelector("svg[data-ready=true]")).not.toBeNull();
    expect(positionOf(again.container, "deploy")).toEqual(before);
    expect(engine.calls).toBe(1);
  });

  it("selects a job by click, and by keyboard after moving with the arrows", async () => {
    const onSelect = vi.fn<(key: string) => void>();
    const { container, rerender } = await rendered(
      <RunGraph jobs={smallRun()} layoutEngine={inlineLayoutEngine()} onSelect={onSelect} />,
    );

    fireEvent.click(nodeOf(container, "package"));
    expect(onSelect).toHaveBeenLastCalledWith("package");
    rerender(
      <RunGraph
        jobs={smallRun()}
        layoutEngine={inlineLayoutEngine()}
        onSelect={onSelect}
        selected="package"
      />,
    );
    await waitFor(() => expect(container.querySelector("svg[data-ready=true]")).not.toBeNull(), {
      timeout: 20_000,
    });
    expect(nodeOf(container, "package").getAttribute("aria-pressed")).toBe("true");
    // The selected job is the graph's one tab stop.
    expect(
      [...container.querySelectorAll('[data-key][tabindex="0"]')].map((n) => n.getAttribute("data-key")),
    ).toEqual(["package"]);

    const focused = () => document.activeElement?.getAttribute("data-key");
    act(() => nodeOf(container, "lint").focus());
    expect(focused()).toBe("lint");
    fireEvent.keyDown(document.activeElement as Element, { key: "ArrowRight" });
    expect(focused()).toBe("build");
    fireEvent.keyDown(document.activeElement as Element, { key: "ArrowRight" });
    const first = focused();
    expect(MATRIX).toContain(first);
    fireEvent.keyDown(document.activeElement as Element, { key: "ArrowDown" });
    const second = focused();
    expect(MATRIX).toContain(second);
    expect(second).not.toBe(first);
    expect(positionOf(container, second ?? "").y).toBeGreaterThan(positionOf(container, first ?? "").y);
    fireEvent.keyDown(document.activeElement as Element, { key: "ArrowLeft" });
    expect(focused()).toBe("build");
    fireEvent.keyDown(document.activeElement as Element, { key: "End" });
    expect(focused()).toBe("deploy");
    fireEvent.keyDown(document.activeElement as Element, { key: "Enter" });
    expect(onSelect).toHaveBeenLastCalledWith("deploy");
    expect(onSelect).toHaveBeenCalledTimes(2);
  });

  it("pans by dragging without selecting, and zooms with the buttons", async () => {
    const onSelect = vi.fn<(key: string) => void>();
    const { container } = await rendered(
      <RunGraph jobs={smallRun()} layoutEngine={inlineLayoutEngine()} onSelect={onSelect} />,
    );
    const svg = container.querySelector("svg") as SVGSVGElement;
    const frame = container.querySelector(".rg-viewport") as HTMLElement;
    /** Pan from the drawing's CSS transform, zoom from its size against its viewBox. */
    const view = () => {
      const [, x, y] = /translate\(([-\d.]+)px, ([-\d.]+)px\)/.exec(svg.style.transform) ?? [];
      const width = Number(svg.getAttribute("viewBox")?.split(" ")[2]);
      return { x: Number(x), y: Number(y), k: Number(svg.getAttribute("width")) / width };
    };
    const start = view();

    const node = nodeOf(container, "lint");
    fireEvent.pointerDown(node, { pointerId: 1, button: 0, clientX: 100, clientY: 100 });
    fireEvent.pointerMove(node, { pointerId: 1, clientX: 160, clientY: 130 });
    fireEvent.pointerUp(node, { pointerId: 1, clientX: 160, clientY: 130 });
    fireEvent.click(node);
    expect(onSelect).not.toHaveBeenCalled();
    expect(view()).toEqual({ x: start.x + 60, y: start.y + 30, k: start.k });
    // The next plain click selects again.
    fireEvent.click(node);
    expect(onSelect).toHaveBeenCalledWith("lint");

    expect(screen.getByText(`${Math.round(start.k * 100)}%`)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Zoom in" }));
    expect(view().k).toBeCloseTo(start.k * 1.25, 6);
    expect(screen.getByText(`${Math.round(start.k * 125)}%`)).toBeTruthy();
    fireEvent.wheel(frame, { deltaY: 200, clientX: 10, clientY: 10 });
    expect(view().k).toBeLessThan(start.k * 1.25);
    fireEvent.click(screen.getByRole("button", { name: "Fit" }));
    expect(view().k).toBeCloseTo(start.k, 6);
  });

  it("draws the API's run detail: children sharing a job id are one matrix", async () => {
    const job = (key: string, jobId: string, needs: string[]): RunDetail["jobs"][number] => ({
      runId: "r1",
      key,
      jobId,
      name: key,
      needs,
      status: "success",
      startedAt: T0,
      finishedAt: T0 + 1_000,
      cacheHit: false,
      outputs: {},
      steps: [],
      attempts: [],
    });
    const jobs = graphJobsFromRun({
      jobs: [job("a (1)", "a", []), job("a (2)", "a", []), job("b", "b", ["a (1)", "a (2)"])],
    });
    expect(jobs.map((j) => [j.key, j.jobId, j.needs])).toEqual([
      ["a (1)", "a", []],
      ["a (2)", "a", []],
      ["b", "b", ["a (1)", "a (2)"]],
    ]);
    const { container } = await rendered(<RunGraph jobs={jobs} layoutEngine={inlineLayoutEngine()} />);
    expect([...container.querySelectorAll("[data-group]")].map((g) => g.getAttribute("data-group"))).toEqual([
      "a",
    ]);
    expect(nodeOf(container, "a (2)").textContent).toContain("2");
    expect(edges(container)).toEqual(["a -> b"]);
  });
});
