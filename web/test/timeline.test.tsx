// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Timeline, timelineJobsFromRun } from "../src/components/timeline/index.js";
import type { TimelineJob } from "../src/components/timeline/index.js";
import type { RunDetail } from "../src/api/types.js";

afterEach(cleanup);

const T0 = 1_700_000_000_000;
const s = (seconds: number) => T0 + seconds * 1_000;

/** build 0–10 s, then test (10–40 s, three steps) and lint (15 s, still running); deploy waits. */
function run(): TimelineJob[] {
  return [
    {
      key: "deploy",
      name: "deploy",
      status: "queued",
      steps: [{ index: 0, name: "ship", status: "queued" }],
    },
    { key: "lint", name: "lint", status: "running", startedAt: s(15), steps: [] },
    {
      key: "test",
      name: "test",
      status: "success",
      startedAt: s(10),
      finishedAt: s(40),
      steps: [
        {
          index: 0,
          name: "checkout",
          status: "success",
          startedAt: s(10),
          finishedAt: s(12),
          cacheHit: true,
        },
        { index: 1, name: "unit", status: "success", startedAt: s(12), finishedAt: s(36) },
        { index: 2, name: "report", status: "success", startedAt: s(36), finishedAt: s(40) },
      ],
    },
    { key: "build", name: "build", status: "success", startedAt: s(0), finishedAt: s(10), steps: [] },
  ];
}

const rowKeys = (container: HTMLElement) =>
  [...container.querySelectorAll('[role="treeitem"]')].map((r) => r.getAttribute("data-row"));

/** A bar's left and width in percent of the axis. */
function bar(container: HTMLElement, row: string): { left: number; width: number } {
  const element = container.querySelector<HTMLElement>(`[data-row="${row}"] .tl-bar`);
  if (!element) throw new Error(`no bar in ${row}`);
  return { left: parseFloat(element.style.left), width: parseFloat(element.style.width) };
}

describe("Timeline", () => {
  it("orders jobs by start and sizes bars in proportion to their durations", () => {
    const { container } = render(<Timeline jobs={run()} now={s(45)} />);
    expect(rowKeys(container)).toEqual(["job:build", "job:test", "job:lint", "job:deploy"]);
    // The axis runs from the first start (0 s) to now (45 s): lint is still running.
    expect(bar(container, "job:build")).toEqual({ left: 0, width: expect.closeTo((10 / 45) * 100, 6) });
    expect(bar(container, "job:test").left).toBeCloseTo((10 / 45) * 100, 6);
    expect(bar(container, "job:test").width / bar(container, "job:build").width).toBeCloseTo(3, 6);
    expect(bar(container, "job:lint").width / bar(container, "job:build").width).toBeCloseTo(3, 6);
    expect(container.querySelector('[data-row="job:deploy"] .tl-bar')).toBeNull();
    expect(container.querySelector('[data-row="job:test"] .tl-bar')?.getAttribute("data-tone")).toBe(
      "success",
    );
    expect(container.querySelector('[data-row="job:lint"]')?.textContent).toContain("30s");
    expect([...container.querySelectorAll(".tl-tick")].map((t) => t.textContent)).toEqual([
      "0s",
      "10s",
      "20s",
      "30s",
      "40s",
    ]);
  });

  it("grows the running bar with the clock", () => {
    const { container, rerender } = render(<Timeline jobs={run()} now={s(45)} />);
    const before = bar(container, "job:lint").width / bar(container, "job:build").width;
    rerender(<Timeline jobs={run()} now={s(75)} />);
    const after = bar(container, "job:lint").width / bar(container, "job:build").width;
    expect(before).toBeCloseTo(3, 6);
    expect(after).toBeCloseTo(6, 6);
    expect(container.querySelector('[data-row="job:lint"]')?.textContent).toContain("1m 00s");
    // A finished job keeps its length; the axis grew around it.
    expect(bar(container, "job:test").width).toBeCloseTo((30 / 75) * 100, 6);
  });

  it("expands steps and selects jobs and steps with the keyboard and the mouse", () => {
    const onSelect = vi.fn<(key: string, step?: number) => void>();
    const { container } = render(<Timeline jobs={run()} now={s(45)} onSelect={onSelect} selected="build" />);
    const row = (id: string) => container.querySelector<HTMLElement>(`[data-row="${id}"]`) as HTMLElement;
    const focused = () => document.activeElement?.getAttribute("data-row");
    const press = (key: string) => fireEvent.keyDown(document.activeElement as Element, { key });

    expect(row("job:build").getAttribute("tabindex")).toBe("0");
    expect(row("job:build").getAttribute("aria-selected")).toBe("true");
    act(() => row("job:build").focus());
    press("ArrowDown");
    expect(focused()).toBe("job:test");
    expect(row("job:test").getAttribute("aria-expanded")).toBe("false");
    press("ArrowRight");
    expect(row("job:test").getAttribute("aria-expanded")).toBe("true");
    expect(rowKeys(container)).toEqual([
      "job:build",
      "job:test",
      "step:test:0",
      "step:test:1",
      "step:test:2",
      "job:lint",
      "job:deploy",
    ]);
    // Steps sit where they ran, in proportion: unit took 24 s of the 30.
    expect(bar(container, "step:test:1").width / bar(container, "job:test").width).toBeCloseTo(24 / 30, 6);
    expect(bar(container, "step:test:2").left).toBeCloseTo((36 / 45) * 100, 6);
    expect(row("step:test:0").textContent).toContain("cache hit");

    press("ArrowRight");
    expect(focused()).toBe("step:test:0");
    press("ArrowDown");
    press("Enter");
    expect(onSelect).toHaveBeenLastCalledWith("test", 1);
    press("ArrowLeft");
    expect(focused()).toBe("job:test");
    press("ArrowLeft");
    expect(rowKeys(container)).toEqual(["job:build", "job:test", "job:lint", "job:deploy"]);
    press("End");
    expect(focused()).toBe("job:deploy");
    press(" ");
    expect(onSelect).toHaveBeenLastCalledWith("deploy");

    fireEvent.click(screen.getByRole("treeitem", { name: /^lint: running/ }));
    expect(onSelect).toHaveBeenLastCalledWith("lint");
    expect(onSelect).toHaveBeenCalledTimes(3);
  });

  it("reads the API's run detail, each step by its last attempt", () => {
    const detail: Pick<RunDetail, "jobs"> = {
      jobs: [
        {
          runId: "r1",
          key: "build",
          jobId: "build",
          name: "build",
          needs: [],
          status: "success",
          startedAt: s(0),
          finishedAt: s(9),
          cacheHit: false,
          outputs: {},
          attempts: [],
          steps: [
            {
              runId: "r1",
              jobKey: "build",
              index: 0,
              name: "compile",
              status: "success",
              attempts: [
                { attempt: 1, status: "failure", startedAt: s(0), finishedAt: s(2), cacheHit: false },
                { attempt: 2, status: "success", startedAt: s(3), finishedAt: s(9), cacheHit: false },
              ],
            },
          ],
        },
      ],
    };
    const jobs = timelineJobsFromRun(detail);
    expect(jobs[0]?.steps[0]).toMatchObject({ name: "compile", startedAt: s(3), finishedAt: s(9) });
    const { container } = render(<Timeline jobs={jobs} start={s(0)} />);
    fireEvent.click(container.querySelector(".tl-toggle") as Element);
    expect(bar(container, "step:build:0")).toEqual({
      left: expect.closeTo((3 / 9) * 100, 6),
      width: expect.closeTo((6 / 9) * 100, 6),
    });
  });
});
