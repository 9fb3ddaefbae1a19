// Smoke test of the packaged build: start the bundled app on a free port and call it.
import { pathToFileURL } from "node:url";

const dir = process.argv[2];
const { createApp } = await import(pathToFileURL(`${dir}/dist/src/app.js`).href);
const server = createApp();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const health = await (await fetch(`${base}/healthz`)).json();
await fetch(`${base}/items/SMOKE-1`, { method: "POST", body: JSON.stringify({ quantity: 2 }) });
const item = await (await fetch(`${base}/items/SMOKE-1`)).json();
server.close();
if (!health.ok || item.quantity !== 2) {
  console.error("smoke test failed", { health, item });
  process.exit(1);
}
console.log(`smoke test passed against ${base}`);
