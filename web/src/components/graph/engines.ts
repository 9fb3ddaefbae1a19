import type { GraphLayout, GraphLayoutEngine } from "./layout.js";
import type { LayoutRequest, LayoutResponse } from "./layout-worker.js";
import type { GraphModel } from "./model.js";

/**
 * dagre on the calling thread. For tests, and for browsers that cannot start the worker; the
 * layout code (about 50 kB) is loaded on first use.
 */
export function inlineLayoutEngine(): GraphLayoutEngine {
  let loading: Promise<(model: GraphModel) => GraphLayout> | undefined;
  return {
    async layout(model) {
      loading ??= import("./dagre-layout.js").then((m) => m.layoutWithDagre);
      return (await loading)(model);
    },
  };
}

interface Pending {
  model: GraphModel;
  resolve(layout: GraphLayout): void;
  reject(error: Error): void;
}

/**
 * dagre in a web worker: laying out 500 jobs takes longer than a few frames, and on the page's
 * thread it would stall scrolling and the live log. If the worker cannot start (a restrictive
 * CSP, an old browser) or dies, layouts fall back to the calling thread rather than never
 * arriving.
 */
export function workerLayoutEngine(): GraphLayoutEngine {
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let fallback: GraphLayoutEngine | undefined;
  let worker: Worker | undefined;
  const giveUp = () => {
    worker?.terminate();
    worker = undefined;
    fallback ??= inlineLayoutEngine();
    const waiting = [...pending.values()];
    pending.clear();
    for (const { model, resolve, reject } of waiting) fallback.layout(model).then(resolve, reject);
  };
  try {
    // Started with the engine, not at the first layout: preloadGraphLayout() makes the engine
    // early so that the worker loads while the page does other work.
    worker = new Worker(new URL("./layout-worker.ts", import.meta.url), { type: "module" });
    worker.addEventListener("message", ({ data }: MessageEvent<LayoutResponse>) => {
      const request = pending.get(data.id);
      if (!request) return;
      pending.delete(data.id);
      // A graph dagre rejects fails the same way on any thread: no fallback for it.
      if ("error" in data) request.reject(new Error(data.error));
      else request.resolve(data.layout);
    });
    worker.addEventListener("error", giveUp);
  } catch {
    giveUp();
  }
  return {
    layout(model) {
      if (fallback || !worker) return (fallback ??= inlineLayoutEngine()).layout(model);
      const id = nextId++;
      const message: LayoutRequest = { id, model };
      return new Promise((resolve, reject) => {
        pending.set(id, { model, resolve, reject });
        worker?.postMessage(message);
      });
    },
  };
}

let shared: GraphLayoutEngine | undefined;

/** One engine for every graph on the page: the worker, where workers exist. */
export function defaultLayoutEngine(): GraphLayoutEngine {
  shared ??= typeof Worker === "function" ? workerLayoutEngine() : inlineLayoutEngine();
  return shared;
}

/**
 * Starts the layout worker ahead of the first graph: a page that will show a graph calls this
 * before it fetches the run, and loading the worker's script overlaps the request.
 */
export function preloadGraphLayout(): void {
  defaultLayoutEngine();
}
