/*
 * Multi-row statements bind one parameter per cell. SQLite refuses a statement with more than
 * 32766 parameters and PostgreSQL more than 65535; staying under the smaller one keeps a single
 * code path for both.
 */
export const MAX_BOUND_PARAMETERS = 30_000;

/** Splits rows for multi-row inserts so no statement binds more parameters than both dialects allow. */
export function chunkRows<T extends object>(rows: readonly T[]): T[][] {
  const first = rows[0];
  if (first === undefined) return [];
  const perRow = Math.max(1, Object.keys(first).length);
  return chunk(rows, Math.max(1, Math.floor(MAX_BOUND_PARAMETERS / perRow)));
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}

/** PostgreSQL hands `bigint` columns and aggregates back as strings unless told otherwise. */
export function num(value: number | string | bigint): number {
  return typeof value === "number" ? value : Number(value);
}

export function optNum(value: number | string | bigint | null): number | undefined {
  return value === null ? undefined : num(value);
}
