import { describe, expect, it } from "vitest";
import { expandMatrix, matrixJobKey } from "../../src/pipeline/matrix.js";

const matrix = (
  axes: Record<string, unknown[]>,
  extra: { include?: Record<string, unknown>[]; exclude?: Record<string, unknown>[] } = {},
) => ({
  axes,
  include: extra.include ?? [],
  exclude: extra.exclude ?? [],
  failFast: true,
});

describe("expandMatrix (GitHub's documented rules)", () => {
  it("takes the cartesian product with the first axis varying slowest", () => {
    expect(expandMatrix(matrix({ os: ["linux", "mac"], node: [18, 20] }))).toEqual([
      { os: "linux", node: 18 },
      { os: "linux", node: 20 },
      { os: "mac", node: 18 },
      { os: "mac", node: 20 },
    ]);
  });

  it("expands include as in the documentation's fruit/animal example", () => {
    const result = expandMatrix(
      matrix(
        { fruit: ["apple", "pear"], animal: ["cat", "dog"] },
        {
          include: [
            { color: "green" },
            { color: "pink", animal: "cat" },
            { fruit: "apple", shape: "circle" },
            { fruit: "banana" },
            { fruit: "banana", animal: "cat" },
          ],
        },
      ),
    );
    expect(result).toEqual([
      { fruit: "apple", animal: "cat", color: "pink", shape: "circle" },
      { fruit: "apple", animal: "dog", color: "green", shape: "circle" },
      { fruit: "pear", animal: "cat", color: "pink" },
      { fruit: "pear", animal: "dog", color: "green" },
      { fruit: "banana" },
      { fruit: "banana", animal: "cat" },
    ]);
  });

  it("adds include keys to the one matching combination", () => {
    const result = expandMatrix(
      matrix(
        { os: ["windows", "ubuntu"], node: [14, 16] },
        { include: [{ os: "windows", node: 16, npm: 6 }] },
      ),
    );
    expect(result).toContainEqual({ os: "windows", node: 16, npm: 6 });
    expect(result.filter((c) => "npm" in c)).toHaveLength(1);
    expect(result).toHaveLength(4);
  });

  it("removes every combination matching an exclude entry, partially or fully", () => {
    const result = expandMatrix(
      matrix(
        { os: ["macos", "windows"], version: [12, 14, 16], environment: ["staging", "production"] },
        {
          exclude: [
            { os: "macos", version: 12, environment: "production" },
            { os: "windows", version: 16 },
          ],
        },
      ),
    );
    expect(result).toHaveLength(9);
    expect(result).not.toContainEqual({ os: "macos", version: 12, environment: "production" });
    expect(result.some((c) => c.os === "windows" && c.version === 16)).toBe(false);
  });

  it("matches object values structurally", () => {
    const result = expandMatrix(
      matrix({ target: [{ arch: "x64" }, { arch: "arm" }] }, { exclude: [{ target: { arch: "arm" } }] }),
    );
    expect(result).toEqual([{ target: { arch: "x64" } }]);
  });

  it("gives an include-only matrix one combination per entry, and an emptied matrix none", () => {
    expect(expandMatrix(matrix({}, { include: [{ a: 1 }, { a: 2 }] }))).toEqual([{ a: 1 }, { a: 2 }]);
    expect(expandMatrix(matrix({ a: [1] }, { exclude: [{ a: 1 }] }))).toEqual([]);
  });

  it("names children like GitHub", () => {
    expect(matrixJobKey("test", { os: "linux", node: 20 })).toBe("test (linux, 20)");
    expect(matrixJobKey("t", { cfg: { a: 1 } })).toBe('t ({"a":1})');
  });
});
