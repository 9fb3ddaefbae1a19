import { layoutWithDagre } from "./dagre-layout.js";
import type { GraphLayout } from "./layout.js";
import type { GraphModel } from "./model.js";

/*
 * The layout worker's entry: models in, layouts out (Maps survive postMessage's structured
 * clone). Started by workerLayoutEngine() in engines.ts.
 */

export interface LayoutRequest {
  id: number;
  model: GraphModel;
}

export type LayoutResponse = { id: number; layout: GraphLayout } | { id: number; error: string };

// The DOM library's types describe a window; a worker's scope answers with one argument.
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<LayoutRequest>) => void) | null;
  postMessage(message: LayoutResponse): void;
};

scope.onmessage = ({ data: { id, model } }) => {
  try {
    scope.postMessage({ id, layout: layoutWithDagre(model) });
  } catch (error) {
    scope.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
