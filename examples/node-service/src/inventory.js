// An in-memory inventory: the service's domain logic, kept free of HTTP so it is easy to test.
export class Inventory {
  #items = new Map();

  add(sku, quantity) {
    if (!/^[A-Z0-9-]{3,32}$/.test(sku)) throw new RangeError(`invalid sku: ${sku}`);
    if (!Number.isInteger(quantity) || quantity <= 0)
      throw new RangeError("quantity must be a positive integer");
    this.#items.set(sku, (this.#items.get(sku) ?? 0) + quantity);
    return this.#items.get(sku);
  }

  remove(sku, quantity) {
    const current = this.#items.get(sku) ?? 0;
    if (quantity > current) throw new RangeError(`only ${current} of ${sku} in stock`);
    const left = current - quantity;
    if (left === 0) this.#items.delete(sku);
    else this.#items.set(sku, left);
    return left;
  }

  count(sku) {
    return this.#items.get(sku) ?? 0;
  }

  list() {
    return [...this.#items.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([sku, quantity]) => ({ sku, quantity }));
  }
}
