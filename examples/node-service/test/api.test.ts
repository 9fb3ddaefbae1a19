import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../src/app.js";

let server: Server;
let base: string;

before(async () => {
  server = createApp();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(base + path, { method, body: body === undefined ? null : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

test("health check answers", async () => {
  assert.deepEqual((await call("GET", "/healthz")).status, 200);
});

test("stock goes up and down over HTTP", async () => {
  assert.deepEqual((await call("POST", "/items/API-1", { quantity: 4 })).body, { sku: "API-1", quantity: 4 });
  assert.deepEqual((await call("DELETE", "/items/API-1", { quantity: 1 })).body, {
    sku: "API-1",
    quantity: 3,
  });
  assert.deepEqual((await call("GET", "/items/API-1")).body, { sku: "API-1", quantity: 3 });
});

test("bad requests get 400 with a message", async () => {
  const res = await call("POST", "/items/API-2", { quantity: -1 });
  assert.equal(res.status, 400);
  assert.match(String(res.body.error), /positive integer/);
});

test("unknown routes get 404", async () => {
  assert.equal((await call("GET", "/nope")).status, 404);
});

test("serves a burst of requests without losing updates", async () => {
  const requests = Array.from({ length: 300 }, () => call("POST", "/items/API-3", { quantity: 1 }));
  await Promise.all(requests);
  assert.equal((await call("GET", "/items/API-3")).body.quantity, 300);
});
