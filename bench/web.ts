import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import react from "@vitejs/plugin-react";
import { chromium } from "playwright-core";
import type { Page } from "playwright-core";
import { build } from "vite";
import { median, printTable, report, ROOT, round } from "./util.js";

const CHROMIUM = "/usr/bin/chromium";
const ROUNDS = Number(process.env["SLIPWAY_BENCH_ROUNDS"] ?? 5);
const FIRST_RENDER_GOAL_MS = 1_000;
const SCROLL_FRAMES = 300;
/** Reading speed (3,600 px/s at 60 Hz) and a fling: a new screenful of rows every frame. */
const SLOW_SCROLL_PX = 60;
const FAST_SCROLL_PX = 2_000;
const PAN_MOVES = 120;

/** Mirrors web/bench/frames.ts (the page's side of the measurement). */
interface FrameStats {
  frames: number;
  p50: number;
  p95: number;
  max: number;
  over16: number;
  over33: number;
  longFrames: number;
  longFrameMaxMs: number;
  blank?: number;
}

/** Mirrors BenchApi in web/bench/main.tsx. */
interface BenchWindow {
  slipwayBench: {
    ready: Promise<{ graph?: { layoutMs: number; nodes: number; edges: number } }>;
    marks(): Record<string, number>;
    longestFrame(): Promise<number>;
    idle(ms: number): Promise<FrameStats>;
    scrollLog(frames: number, pixelsPerFrame: number): Promise<FrameStats>;
    startFrames(): void;
    stopFrames(): FrameStats;
  };
}

interface Load {
  /** Marks by name, ms since navigation started. */
  marks: Record<string, number>;
  layoutMs: number | undefined;
  nodes: number | undefined;
  edges: number | undefined;
  /** The longest frame while the page came up: how long the page could not respond. */
  longestFrameMs: number;
}

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".svg": "image/svg+xml",
};

/** The page and its entry built by Vite (production mode), as the real UI is built. */
async function buildPage(outDir: string): Promise<number> {
  const started = performance.now();
  await build({
    root: path.join(ROOT, "web", "bench"),
    base: "./",
    configFile: false,
    logLevel: "warn",
    plugins: [react()],
    build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 4_000 },
  });
  return performance.now() - started;
}

/** The built files over plain HTTP: module scripts and workers do not load from file: URLs. */
function serve(dir: string): Promise<Server> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const file = path.join(
      dir,
      path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, ""),
    );
    const target = file.endsWith(path.sep) ? path.join(file, "index.html") : file;
    if (!target.startsWith(dir)) {
      response.writeHead(403).end();
      return;
    }
    readFile(target).then(
      (body) => {
        response.writeHead(200, {
          "content-type": MIME[path.extname(target)] ?? "application/octet-stream",
          // As slipway serve answers (src/server/web.ts): hashed assets are kept, the page revalidated.
          "cache-control": target.includes(`${path.sep}assets${path.sep}`)
            ? "public, max-age=31536000, immutable"
            : "no-cache",
        });
        response.end(body);
      },
      () => response.writeHead(404).end(),
    );
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/*
 * The functions handed to page.evaluate run in the page, where `globalThis` is its window; the
 * casts only tell this file's compiler (which has no DOM types) what the page provides.
 */
async function load(page: Page, url: string): Promise<Load> {
  await page.goto(url);
  const graph = await page.evaluate(() =>
    (globalThis as unknown as BenchWindow).slipwayBench.ready.then((r) => r.graph),
  );
  const marks = await page.evaluate(() => (globalThis as unknown as BenchWindow).slipwayBench.marks());
  const longestFrameMs = await page.evaluate(() =>
    (globalThis as unknown as BenchWindow).slipwayBench.longestFrame(),
  );
  return { marks, layoutMs: graph?.layoutMs, nodes: graph?.nodes, edges: graph?.edges, longestFrameMs };
}

async function panGraph(page: Page): Promise<FrameStats> {
  const box = await page.locator(".rg-svg").boundingBox();
  if (!box) throw new Error("the graph is not on the page");
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.evaluate(() => (globalThis as unknown as BenchWindow).slipwayBench.startFrames());
  for (let i = 1; i <= PAN_MOVES; i++) {
    // Left and up, then back: about 500 px each way, as a reader drags across a large graph.
    const t = i <= PAN_MOVES / 2 ? i : PAN_MOVES - i;
    await page.mouse.move(x - t * 8, y - t * 3);
  }
  await page.mouse.up();
  return page.evaluate(() => (globalThis as unknown as BenchWindow).slipwayBench.stopFrames());
}

const idleFrames = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as BenchWindow).slipwayBench.idle(2_000));

const scroll = (page: Page, px: number) =>
  page.evaluate(
    ([frames, step]) => (globalThis as unknown as BenchWindow).slipwayBench.scrollLog(frames, step),
    [SCROLL_FRAMES, px] as const,
  );

interface Round {
  /** A first visit: a new browser profile, nothing cached. */
  cold: Load;
  /** The third visit: scripts from the HTTP cache, with V8's compiled code cached. */
  warm: Load;
  /** The same page with the former layout, elk in a worker: a first visit in a profile of its own. */
  elkCold: Load;
  elkWarm: Load;
  /** dagre on the page's thread, graph alone. */
  inline: Load;
  log5k: Load;
  plain5k: Load;
  idle: FrameStats;
  slow: FrameStats;
  fast: FrameStats;
  pan: FrameStats;
  plainSlow: FrameStats;
  plainFast: FrameStats;
}

const since = (load: Load, mark: string, from = "render:start") =>
  (load.marks[mark] ?? NaN) - (from === "navigation" ? 0 : (load.marks[from] ?? NaN));

const med = (rounds: Round[], value: (r: Round) => number) => round(median(rounds.map(value)), 1);
const sum = (rounds: Round[], value: (r: Round) => number) => rounds.reduce((n, r) => n + value(r), 0);

/**
 * The run page's heavy parts in Debian's Chromium: a 500-job DAG and a 50,000-line log,
 * rendered from synthetic data by web/bench (built with Vite, served over HTTP). Measures the
 * time to first render of each part, frames while scrolling the log and panning the graph,
 * against the goals (first render under 1 s, no dropped frames) and against baselines
 * measured in the same rounds: the former layout (elk in a worker) on the same page, dagre on
 * the page's thread instead of its worker, and 5,000 lines rendered without virtualization
 * against the virtualized log at the same size.
 */
export async function benchWeb(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
  }
  const outDir = mkdtempSync(path.join(os.tmpdir(), "slipway-bench-web-"));
  let server: Server | undefined;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Root in a container has no user namespaces for Chromium's sandbox.
    args: process.getuid?.() === 0 ? ["--no-sandbox"] : [],
  });
  try {
    const buildMs = await buildPage(outDir);
    server = await serve(outDir);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`;
    const rounds: Round[] = [];
    const newContext = () => browser.newContext({ viewport: { width: 1400, height: 1000 } });
    for (let i = 0; i < ROUNDS; i++) {
      // A new profile each round, the cases interleaved: changes in the machine's load hit all alike.
      const context = await newContext();
      const open = async <T>(query: string, then: (page: Page, load: Load) => Promise<T>) => {
        const page = await context.newPage();
        try {
          return await then(page, await load(page, `${base}?${query}`));
        } finally {
          await page.close();
        }
      };
      try {
        const main = await open("part=page", async (page, cold) => {
          await load(page, `${base}?part=page`);
          const warm = await load(page, `${base}?part=page`);
          return {
            cold,
            warm,
            idle: await idleFrames(page),
            slow: await scroll(page, SLOW_SCROLL_PX),
            fast: await scroll(page, FAST_SCROLL_PX),
            pan: await panGraph(page),
          };
        });
        // The baseline's first visit needs a profile of its own: the page's script is cached here.
        const elkContext = await newContext();
        const elk = await elkContext
          .newPage()
          .then(async (page) => {
            const url = `${base}?part=page&layout=elk`;
            const cold = await load(page, url);
            await load(page, url);
            return { elkCold: cold, elkWarm: await load(page, url) };
          })
          .finally(() => elkContext.close());
        const inline = await open("part=graph&layout=inline", async (_, loaded) => loaded);
        const log5k = await open("part=log&lines=5000", async (_, loaded) => loaded);
        const plain = await open("part=log-plain&lines=5000", async (page, loaded) => ({
          loaded,
          slow: await scroll(page, SLOW_SCROLL_PX),
          fast: await scroll(page, FAST_SCROLL_PX),
        }));
        const r: Round = {
          ...main,
          ...elk,
          inline,
          log5k,
          plain5k: plain.loaded,
          plainSlow: plain.slow,
          plainFast: plain.fast,
        };
        rounds.push(r);
        report({ bench: "web", round: i + 1, ...r });
      } finally {
        await context.close();
      }
    }

    const graphFirst = med(rounds, (r) => since(r.cold, "graph:rendered", "navigation"));
    const logFirst = med(rounds, (r) => since(r.cold, "log:rendered", "navigation"));
    const graphWarm = med(rounds, (r) => since(r.warm, "graph:rendered", "navigation"));
    const logWarm = med(rounds, (r) => since(r.warm, "log:rendered", "navigation"));
    const layout = med(rounds, (r) => r.cold.layoutMs ?? NaN);
    const layoutWarm = med(rounds, (r) => r.warm.layoutMs ?? NaN);
    const graphAfterLayout = med(rounds, (r) => since(r.cold, "graph:rendered") - (r.cold.layoutMs ?? NaN));
    const inlineLayout = med(rounds, (r) => r.inline.layoutMs ?? NaN);
    const elkFirst = med(rounds, (r) => since(r.elkCold, "graph:rendered", "navigation"));
    const elkWarm = med(rounds, (r) => since(r.elkWarm, "graph:rendered", "navigation"));
    const elkLayout = med(rounds, (r) => r.elkCold.layoutMs ?? NaN);
    const elkLayoutWarm = med(rounds, (r) => r.elkWarm.layoutMs ?? NaN);
    const frames = (pick: (r: Round) => FrameStats) => ({
      frames: sum(rounds, (r) => pick(r).frames),
      over16: sum(rounds, (r) => pick(r).over16),
      over33: sum(rounds, (r) => pick(r).over33),
      p95: med(rounds, (r) => pick(r).p95),
      max: round(Math.max(...rounds.map((r) => pick(r).max)), 1),
      longFrames: sum(rounds, (r) => pick(r).longFrames),
      blank: sum(rounds, (r) => pick(r).blank ?? 0),
    });
    const summary = {
      bench: "web",
      rounds: ROUNDS,
      buildMs: round(buildMs, 0),
      jobs: rounds[0]?.cold.nodes,
      edges: rounds[0]?.cold.edges,
      graphFirstRenderMs: graphFirst,
      logFirstRenderMs: logFirst,
      graphRepeatVisitMs: graphWarm,
      logRepeatVisitMs: logWarm,
      goalMs: FIRST_RENDER_GOAL_MS,
      layoutWorkerMs: layout,
      layoutWorkerRepeatVisitMs: layoutWarm,
      graphRenderAfterLayoutMs: graphAfterLayout,
      layoutToRender: round(layout / graphAfterLayout, 2),
      pageLongestFrameMs: med(rounds, (r) => r.cold.longestFrameMs),
      elkGraphFirstRenderMs: elkFirst,
      elkGraphRepeatVisitMs: elkWarm,
      elkLayoutWorkerMs: elkLayout,
      elkLayoutWorkerRepeatVisitMs: elkLayoutWarm,
      elkPageLongestFrameMs: med(rounds, (r) => r.elkCold.longestFrameMs),
      layoutInlineMs: inlineLayout,
      inlineLongestFrameMs: med(rounds, (r) => r.inline.longestFrameMs),
      log5kFirstRenderMs: med(rounds, (r) => since(r.log5k, "log:rendered")),
      plain5kFirstRenderMs: med(rounds, (r) => since(r.plain5k, "log:rendered")),
      idle: frames((r) => r.idle),
      scrollSlow: frames((r) => r.slow),
      scrollFast: frames((r) => r.fast),
      pan: frames((r) => r.pan),
      plainScrollSlow: frames((r) => r.plainSlow),
      plainScrollFast: frames((r) => r.plainFast),
    };
    report(summary);

    const framesText = (f: ReturnType<typeof frames>) =>
      `${f.over16}/${f.frames} missed (${f.over33} by 2+), p95 ${f.p95} ms, worst ${f.max} ms` +
      (f.blank > 0 ? `, ${f.blank} blank` : "");
    const ratio = (a: number, b: number) => `${round(a / b, 2)}x`;
    printTable({ case: "case", value: "measured (median of rounds)", goal: "goal / baseline" }, [
      {
        case: `graph first render (${summary.jobs} jobs, ${summary.edges} edges)`,
        value: `${graphFirst} ms from navigation, first visit; ${graphWarm} ms repeat visit`,
        goal: `< ${FIRST_RENDER_GOAL_MS} ms; elk in a worker: ${elkFirst} ms, ${elkWarm} ms repeat visit`,
      },
      {
        case: "log first render (50,000 lines)",
        value: `${logFirst} ms from navigation, first visit; ${logWarm} ms repeat visit`,
        goal: `< ${FIRST_RENDER_GOAL_MS} ms`,
      },
      {
        case: "graph: layout (dagre, worker) vs drawing",
        value: `${layout} ms layout (${layoutWarm} ms repeat visit), ${graphAfterLayout} ms to draw`,
        goal: `layout / draw ${ratio(layout, graphAfterLayout)}; elk in a worker: ${elkLayout} ms (${elkLayoutWarm} ms repeat visit)`,
      },
      {
        case: "longest frame while the page loads",
        value: `${summary.pageLongestFrameMs} ms (dagre in a worker)`,
        goal: `elk in a worker: ${summary.elkPageLongestFrameMs} ms; dagre on the page's thread: ${summary.inlineLongestFrameMs} ms (layout ${inlineLayout} ms)`,
      },
      {
        case: "log first render, 5,000 lines",
        value: `virtualized ${summary.log5kFirstRenderMs} ms`,
        goal: `plain ${summary.plain5kFirstRenderMs} ms: ${ratio(summary.plain5kFirstRenderMs, summary.log5kFirstRenderMs)}`,
      },
      { case: "idle page (noise floor)", value: framesText(summary.idle), goal: "" },
      {
        case: `scroll 50,000 lines, ${SLOW_SCROLL_PX} px/frame`,
        value: framesText(summary.scrollSlow),
        goal: `no missed frames; plain 5,000: ${framesText(summary.plainScrollSlow)}`,
      },
      {
        case: `scroll 50,000 lines, ${FAST_SCROLL_PX} px/frame`,
        value: framesText(summary.scrollFast),
        goal: `no missed frames; plain 5,000: ${framesText(summary.plainScrollFast)}`,
      },
      { case: "pan the graph (mouse drag)", value: framesText(summary.pan), goal: "no missed frames" },
    ]);
  } finally {
    await browser.close();
    server?.close();
    rmSync(outDir, { recursive: true, force: true });
  }
}
