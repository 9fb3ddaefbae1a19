import type { Matrix } from "../ir.js";

/** The matrix of a strategy value without expressions; a string is what is wrong with it. */
export function strategyMatrix(strategy: unknown): Matrix | string | undefined {
  if (typeof strategy !== "object" || strategy === null || Array.isArray(strategy))
    return "strategy must be a mapping";
  const { matrix, "fail-fast": failFast, "max-parallel": maxParallel } = strategy as Record<string, unknown>;
  if (matrix === undefined) return undefined;
  if (typeof matrix !== "object" || matrix === null || Array.isArray(matrix))
    return "strategy.matrix must be a mapping";
  const { include, exclude, ...axes } = matrix as Record<string, unknown>;
  for (const [axis, values] of Object.entries(axes)) {
    if (!Array.isArray(values)) return `matrix axis "${axis}" must be a list of values`;
    if (values.length === 0) return `matrix axis "${axis}" has no values`;
  }
  if (include !== undefined && !isListOfMappings(include)) return "matrix include must be a list of mappings";
  if (exclude !== undefined && !isListOfMappings(exclude)) return "matrix exclude must be a list of mappings";
  if (Object.keys(axes).length === 0 && !(Array.isArray(include) && include.length > 0)) {
    return "the matrix has no axis and no include: it must define at least one combination";
  }
  const result: Matrix = {
    axes: axes as Record<string, unknown[]>,
    include: (include ?? []) as Record<string, unknown>[],
    exclude: (exclude ?? []) as Record<string, unknown>[],
    failFast: failFast === undefined ? true : failFast === true || failFast === "true",
  };
  if (maxParallel !== undefined) {
    const n = Number(maxParallel);
    if (!Number.isInteger(n) || n < 1) return "max-parallel must be a whole number of at least 1";
    result.maxParallel = n;
  }
  return result;
}

function isListOfMappings(value: unknown): boolean {
  return Array.isArray(value) && value.every((v) => typeof v === "object" && v !== null && !Array.isArray(v));
}

export function containsExpression(value: unknown): boolean {
  if (typeof value === "string") return value.includes("${{");
  if (Array.isArray(value)) return value.some(containsExpression);
  if (typeof value === "object" && value !== null) return Object.values(value).some(containsExpression);
  return false;
}
