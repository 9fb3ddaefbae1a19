import { createServer } from "node:http";
import { Inventory } from "./inventory.js";

export const VERSION = process.env.APP_VERSION ?? "dev";

/** Creates the HTTP server; `listen` is left to the caller so tests can pick a free port. */
export function createApp(inventory = new Inventory()) {
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const send = (status, body) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method === "GET" && url.pathname === "/healthz")
        return send(200, { ok: true, version: VERSION });
      if (req.method === "GET" && url.pathname === "/items") return send(200, inventory.list());
      const match = /^\/items\/([^/]+)$/.exec(url.pathname);
      if (match && req.method === "GET")
        return send(200, { sku: match[1], quantity: inventory.count(match[1]) });
      if (match && (req.method === "POST" || req.method === "DELETE")) {
        const body = JSON.parse((await readBody(req)) || "{}");
        const quantity =
          req.method === "POST"
            ? inventory.add(match[1], body.quantity)
            : inventory.remove(match[1], body.quantity);
        return send(200, { sku: match[1], quantity });
      }
      return send(404, { error: "not found" });
    } catch (error) {
      return send(error instanceof RangeError || error instanceof SyntaxError ? 400 : 500, {
        error: error.message,
      });
    }
  });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => (data += chunk));
    req.on("end", () => resolve(data));
    req.on("error", reject);
  });
}
