export interface StockItem {
  sku: string;
  quantity: number;
}

/** An in-memory inventory: the service's domain logic, kept free of HTTP so it is easy to test. */
export class Inventory {
  readonly #items = new Map<string, number>();

  add(sku: string, quantity: unknown): number {
    if (!/^[A-Z0-9-]{3,32}$/.test(sku)) throw new RangeError(`invalid sku: ${sku}`);
    if (typeof quantity !== "number" || !Number.isInteger(quantity) || quantity <= 0) {
      throw new RangeError("quantity must be a positive integer");
    }
    const total = (this.#items.get(sku) ?? 0) + quantity;
    this.#items.set(sku, total);
    return total;
  }

  remove(sku: string, quantity: unknown): number {
    const current = this.#items.get(sku) ?? 0;
    if (typeof quantity !== "number" || !Number.isInteger(quantity) || quantity <= 0) {
      throw new RangeError("quantity must be a positive integer");
    }
    if (quantity > current) throw new RangeError(`only ${current} of ${sku} in stock`);
    const left = current - quantity;
    if (left === 0) this.#items.delete(sku);
    else this.#items.set(sku, left);
    return left;
  }

  count(sku: string): number {
    return this.#items.get(sku) ?? 0;
  }

  list(): StockItem[] {
    return [...this.#items.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([sku, quantity]) => ({ sku, quantity }));
  }
}
