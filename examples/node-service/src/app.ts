import { createServer } from "node:http";
import type { IncomingMessage, Server } from "node:http";
import { Inventory } from "./inventory.js";

export const VERSION = process.env.APP_VERSION ?? "dev";

/** Creates the HTTP server; `listen` is left to the caller so tests can pick a free port. */
export function createApp(inventory = new Inventory()): Server {
  return createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    handle(inventory, req).then(
      ([status, body]) => send(status, body),
      (error: Error) =>
        send(error instanceof RangeError || error instanceof SyntaxError ? 400 : 500, {
          error: error.message,
        }),
    );
  });
}

async function handle(inventory: Inventory, req: IncomingMessage): Promise<[number, unknown]> {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (req.method === "GET" && url.pathname === "/healthz") return [200, { ok: true, version: VERSION }];
  if (req.method === "GET" && url.pathname === "/items") return [200, inventory.list()];
  const match = /^\/items\/([^/]+)$/.exec(url.pathname);
  const sku = match?.[1];
  if (sku === undefined) return [404, { error: "not found" }];
  if (req.method === "GET") return [200, { sku, quantity: inventory.count(sku) }];
  if (req.method === "POST" || req.method === "DELETE") {
    const body = JSON.parse((await readBody(req)) || "{}") as { quantity?: unknown };
    const quantity =
      req.method === "POST" ? inventory.add(sku, body.quantity) : inventory.remove(sku, body.quantity);
    return [200, { sku, quantity }];
  }
  return [405, { error: "method not allowed" }];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (data += chunk));
    req.on("end", () => resolve(data));
    req.on("error", reject);
  });
}
