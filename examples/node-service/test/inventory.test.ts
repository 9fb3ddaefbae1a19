import { test } from "node:test";
import assert from "node:assert/strict";
import { Inventory } from "../src/inventory.js";

test("adds and counts stock", () => {
  const inv = new Inventory();
  assert.equal(inv.add("SKU-1", 3), 3);
  assert.equal(inv.add("SKU-1", 2), 5);
  assert.equal(inv.count("SKU-1"), 5);
});

test("removing everything drops the item", () => {
  const inv = new Inventory();
  inv.add("SKU-2", 2);
  assert.equal(inv.remove("SKU-2", 2), 0);
  assert.deepEqual(inv.list(), []);
});

test("refuses to remove more than in stock", () => {
  const inv = new Inventory();
  inv.add("SKU-3", 1);
  assert.throws(() => inv.remove("SKU-3", 2), /only 1 of SKU-3 in stock/);
});

test("rejects invalid skus and quantities", () => {
  const inv = new Inventory();
  assert.throws(() => inv.add("x", 1), RangeError);
  assert.throws(() => inv.add("SKU-4", 0), RangeError);
  assert.throws(() => inv.add("SKU-4", 1.5), RangeError);
});

test("lists items sorted by sku", () => {
  const inv = new Inventory();
  inv.add("SKU-B", 1);
  inv.add("SKU-A", 2);
  assert.deepEqual(inv.list(), [
    { sku: "SKU-A", quantity: 2 },
    { sku: "SKU-B", quantity: 1 },
  ]);
});

test("many concurrent-looking updates keep an exact count", () => {
  const inv = new Inventory();
  for (let i = 0; i < 200_000; i++) inv.add(`SKU-${i % 97}`, 1 + (i % 3));
  const total = inv.list().reduce((n, item) => n + item.quantity, 0);
  let expected = 0;
  for (let i = 0; i < 200_000; i++) expected += 1 + (i % 3);
  assert.equal(total, expected);
});
