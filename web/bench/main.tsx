import { useEffect, useLayoutEffect, useMemo, useState } from "react";
import { createRoot } from "react-dom/client";
import {
  graphJobsFromRun,
  inlineLayoutEngine,
  preloadGraphLayout,
  RunGraph,
} from "../src/components/graph/index.js";
import type { GraphLayoutStats } from "../src/components/graph/index.js";
import { LogViewer } from "../src/components/logs/index.js";
import "../src/styles/theme.css";
import { elkWorkerLayoutEngine } from "./elk-engine.js";
import { recordFrames, scrollLog } from "./frames.js";
import type { FrameStats } from "./frames.js";
import { PlainLog } from "./PlainLog.js";
import { SYNTHETIC_NOW, syntheticLog, syntheticRun } from "./synthetic.js";

/*
 * The run page's heavy parts with synthetic data, for bench/web.ts to load in Chromium.
 * ?part= page (graph and log together, as on the run page), graph, log, log-plain (no
 * virtualization); ?jobs= and ?lines= size them. ?layout= worker (the UI's: dagre in a web
 * worker), inline (dagre on the page's thread) or elk (the former layout, elk in a web worker).
 * Marks: render:start, then graph:rendered and log:rendered once each part is on screen.
 */

/** What bench/web.ts calls in the page (it keeps a copy of these types: it has no DOM types). */
export interface BenchApi {
  /** Resolves when every part asked for is on screen. */
  ready: Promise<{ graph?: GraphLayoutStats }>;
  /** Performance marks by name, in ms since navigation started. */
  marks(): Record<string, number>;
  /** The longest animation frame since navigation: how long the page could not answer input. */
  longestFrame(): Promise<number>;
  /** Frames while doing nothing for `ms`: the machine's noise floor. */
  idle(ms: number): Promise<FrameStats>;
  scrollLog(frames: number, pixelsPerFrame: number): Promise<FrameStats>;
  /** Frames while the driver sends input, from start to stop. */
  startFrames(): void;
  stopFrames(): FrameStats;
}

declare global {
  interface Window {
    slipwayBench: BenchApi;
  }
}

// Installed first: long frames are not buffered for observers that come later.
const longFrames: PerformanceEntry[] = [];
for (const type of ["long-animation-frame"]) {
  if (PerformanceObserver.supportedEntryTypes.includes(type)) {
    new PerformanceObserver((list) => longFrames.push(...list.getEntries())).observe({ type });
  }
}

const params = new URLSearchParams(location.search);
const part = params.get("part") ?? "page";
const jobCount = Number(params.get("jobs") ?? 500);
const lineCount = Number(params.get("lines") ?? 50_000);
const layout = params.get("layout") ?? "worker";
const withGraph = part === "page" || part.startsWith("graph");
const withLog = part === "page" || part.startsWith("log");

/** Runs `then` once the frame holding the current DOM has been painted. */
function afterPaint(then: () => void): void {
  requestAnimationFrame(() => setTimeout(then, 0));
}

function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const graphDone = deferred<GraphLayoutStats | undefined>();
const logDone = deferred<void>();
if (!withGraph) graphDone.resolve(undefined);
if (!withLog) logDone.resolve();

// As the run page would: the layout worker starts loading while the run is fetched.
if (withGraph && layout === "worker") preloadGraphLayout();

// The data exists before render:start: on the run page it arrives as JSON from the API.
const run = withGraph ? syntheticRun(jobCount) : undefined;
const lines = withLog ? syntheticLog(lineCount) : [];
const engine = !withGraph
  ? undefined
  : layout === "inline"
    ? inlineLayoutEngine()
    : layout === "elk"
      ? elkWorkerLayoutEngine()
      : undefined;

function LogPart() {
  useLayoutEffect(() => {
    // The virtualized log fills its rows once it has measured its viewport: wait for rows.
    const check = () => {
      if (document.querySelector(".slw-log__canvas [data-line], .plain-log > div")) {
        afterPaint(() => {
          performance.mark("log:rendered");
          logDone.resolve();
        });
      } else requestAnimationFrame(check);
    };
    check();
  }, []);
  return part === "log-plain" ? (
    <PlainLog lines={lines} height={600} />
  ) : (
    <LogViewer lines={lines} height={600} label="Benchmark log" />
  );
}

function Page() {
  const jobs = useMemo(() => (run ? graphJobsFromRun(run) : []), []);
  // A live run page's clock: running jobs' durations change every second while the log scrolls.
  const [now, setNow] = useState(SYNTHETIC_NOW);
  useEffect(() => {
    const timer = setInterval(() => setNow((t) => t + 1_000), 1_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <main style={{ maxWidth: 1400, margin: "0 auto", padding: 16, fontFamily: "system-ui, sans-serif" }}>
      {withGraph && (
        <RunGraph
          jobs={jobs}
          now={now}
          layoutEngine={engine}
          onLayout={(stats) =>
            afterPaint(() => {
              performance.mark("graph:rendered");
              graphDone.resolve(stats);
            })
          }
        />
      )}
      {withLog && <LogPart />}
    </main>
  );
}

let recording: { stop(): FrameStats } | undefined;

window.slipwayBench = {
  ready: Promise.all([graphDone.promise, logDone.promise]).then(([graph]) => (graph ? { graph } : {})),
  marks: () => Object.fromEntries(performance.getEntriesByType("mark").map((m) => [m.name, m.startTime])),
  // Observers report after the frame: a moment later every frame so far is in.
  longestFrame: () =>
    new Promise((resolve) =>
      setTimeout(() => resolve(Math.max(0, ...longFrames.map((f) => f.duration))), 50),
    ),
  idle: async (ms) => {
    const recorder = recordFrames();
    await new Promise((resolve) => setTimeout(resolve, ms));
    return recorder.stop();
  },
  scrollLog: (frames, pixelsPerFrame) => {
    const scroller = document.querySelector<HTMLElement>(".slw-log__scroller, .plain-log");
    if (!scroller) throw new Error("no log on the page");
    return scrollLog(scroller, frames, pixelsPerFrame);
  },
  startFrames: () => {
    recording = recordFrames();
  },
  stopFrames: () => {
    if (!recording) throw new Error("startFrames() first");
    const stats = recording.stop();
    recording = undefined;
    return stats;
  },
};

const root = document.getElementById("root");
if (!root) throw new Error("no #root");
performance.mark("render:start");
createRoot(root).render(<Page />);
