import { isDeepStrictEqual } from "node:util";
import type { Matrix } from "./ir.js";

export type MatrixCombination = Record<string, unknown>;

/**
 * Expands a matrix the way GitHub Actions documents it
 * (https://docs.github.com/actions/using-jobs/using-a-matrix-for-your-jobs):
 * the cartesian product of the axes in declaration order (the first axis varies slowest),
 * then `exclude` removes every combination that matches all of an entry's keys, then each
 * `include` entry is added to every combination whose original axis values it does not
 * overwrite (values added by an earlier include may be overwritten); an entry that fits no
 * combination becomes a combination of its own.
 */
export function expandMatrix(matrix: Matrix): MatrixCombination[] {
  const axisNames = Object.keys(matrix.axes);
  let combinations: MatrixCombination[] = axisNames.length > 0 ? [{}] : [];
  for (const name of axisNames) {
    const values = matrix.axes[name] ?? [];
    combinations = combinations.flatMap((combination) =>
      values.map((value) => ({ ...combination, [name]: value })),
    );
  }

  combinations = combinations.filter(
    (combination) =>
      !matrix.exclude.some((entry) =>
        Object.entries(entry).every(([key, value]) => isDeepStrictEqual(combination[key], value)),
      ),
  );

  const original = combinations.length;
  const extra: MatrixCombination[] = [];
  for (const entry of matrix.include) {
    let matched = false;
    for (let i = 0; i < original; i++) {
      const combination = combinations[i];
      if (!combination) continue;
      const fits = Object.entries(entry).every(
        ([key, value]) => !axisNames.includes(key) || isDeepStrictEqual(combination[key], value),
      );
      if (fits) {
        Object.assign(combination, entry);
        matched = true;
      }
    }
    if (!matched) extra.push({ ...entry });
  }
  return [...combinations, ...extra];
}

/** The display name of a matrix child, as GitHub shows it: `test (linux, 20)`. */
export function matrixJobKey(jobId: string, combination: MatrixCombination): string {
  const values = Object.values(combination).map((value) =>
    typeof value === "string" ? value : JSON.stringify(value),
  );
  return `${jobId} (${values.join(", ")})`;
}
