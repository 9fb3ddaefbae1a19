import { describe, expect, it } from "vitest";
import { ConditionError, compileCondition, judgeMeasurement } from "../../src/delivery/analysis/index.js";

const holds = (source: string, result: unknown) => compileCondition(source).evaluate(result);
const errorOf = (source: string, result: unknown): string => {
  try {
    compileCondition(source).evaluate(result);
  } catch (error) {
    expect(error).toBeInstanceOf(ConditionError);
    return (error as Error).message;
  }
  throw new Error(`\`${source}\` evaluated without an error`);
};
const compileError = (source: string): string => {
  try {
    compileCondition(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConditionError);
    return (error as Error).message;
  }
  throw new Error(`\`${source}\` compiled`);
};

describe("conditions: the expr subset Argo's analysis uses", () => {
  it("compares Prometheus vectors and scalars", () => {
    expect(holds("result[0] <= 0.05", [0.05])).toBe(true);
    expect(holds("result[0] <= 0.05", [0.051])).toBe(false);
    expect(holds("result >= 0.95", 0.96)).toBe(true);
    expect(holds("result >= 0.95", 0.9)).toBe(false);
    expect(holds("result[-1] > 1", [0, 2])).toBe(true);
    expect(holds("len(result) == 0 || result[0] < 0.01", [])).toBe(true);
    expect(holds("len(result) == 0 || result[0] < 0.01", [0.2])).toBe(false);
    expect(holds("len(result) > 0 && result[0] < 0.01", [])).toBe(false);
  });

  it("does arithmetic with the usual precedence", () => {
    expect(holds("result[0] * 100 < 5", [0.049])).toBe(true);
    expect(holds("result[0] * 100 < 5", [0.05])).toBe(false);
    expect(holds("1 + 2 * 3 == 7", null)).toBe(true);
    expect(holds("(1 + 2) * 3 == 9", null)).toBe(true);
    expect(holds("2 ** 3 ** 2 == 512", null)).toBe(true);
    expect(holds("7 % 4 == 3 && -result == -2 && 1e-3 == 0.001", 2)).toBe(true);
    expect(holds("'can' + 'ary' == 'canary'", null)).toBe(true);
  });

  it("reads JSON from the web provider", () => {
    expect(holds("result.ok == true", { ok: true })).toBe(true);
    expect(holds("result.ok == true", { ok: "true" })).toBe(false);
    expect(holds("result == 'true'", "true")).toBe(true);
    expect(
      holds(`result["success-rate"] >= 0.9 and not result.degraded`, {
        "success-rate": 0.95,
        degraded: false,
      }),
    ).toBe(true);
    expect(holds("result.missing == nil && isNil(result.missing)", { other: 1 })).toBe(true);
    expect(holds("result.a.b[1] == 'y'", { a: { b: ["x", "y"] } })).toBe(true);
    expect(holds("result == [1, 2] && result != [2, 1]", [1, 2])).toBe(true);
    expect(holds("result?.ok == nil", null)).toBe(true);
    expect(holds("(result ?? 5) == 5", null)).toBe(true);
    expect(holds("len(result) == 2 && len('abc') == 3", { a: 1, b: 2 })).toBe(true);
  });

  it("has Argo's helper functions", () => {
    expect(holds("isNaN(result[0])", [NaN])).toBe(true);
    expect(holds("isNaN(result[0])", [0.1])).toBe(false);
    expect(holds("isInf(result) && result > 0", Infinity)).toBe(true);
    expect(holds("isNil(result) && isNull(result)", null)).toBe(true);
    expect(
      holds("asInt(result) == 42 && asFloat('0.5') == 0.5 && asFloat('NaN') != asFloat('NaN')", "42"),
    ).toBe(true);
    expect(holds("default(result, 3) == 3", null)).toBe(true);
    expect(holds("default(result, 3) == 4", 4)).toBe(true);
    expect(holds("max(result) < 0.05 && min(result) == 0.01 && sum(result) == 0.05", [0.01, 0.04])).toBe(
      true,
    );
    expect(holds("mean(result) == 2 && abs(-2) == 2 && max(1, 7, 3) == 7", [1, 2, 3])).toBe(true);
    expect(holds("result ? 1 == 1 : 1 == 2", true)).toBe(true);
  });

  it("treats NaN as Go does: every ordering and equality with it is false", () => {
    expect(holds("result[0] < 0.05", [NaN])).toBe(false);
    expect(holds("result[0] >= 0.05", [NaN])).toBe(false);
    expect(holds("result[0] == result[0]", [NaN])).toBe(false);
  });

  it("fails evaluation where expr would, instead of JavaScript's undefined", () => {
    expect(errorOf("result[0] < 0.05", [])).toBe(
      "index out of range: 0 (length 0); guard the condition with len(result) > 0",
    );
    expect(errorOf("result[3] < 0.05", [1])).toBe("index out of range: 3 (length 1)");
    expect(errorOf("result < 'x'", 1)).toBe('cannot compare number 1 < string "x"');
    expect(errorOf("result && true", 1)).toBe("`&&` needs true or false, got number 1");
    expect(errorOf("result", 1)).toBe("`result` must be true or false, but gave number 1");
    expect(errorOf("result.ok", null)).toBe('cannot fetch "ok" from nil');
    expect(errorOf("result.constructor == nil", [])).toBe(
      'cannot index a list of 0 with string "constructor"',
    );
    expect(errorOf("result + 1 > 0", "1")).toBe('cannot compute string "1" + number 1');
    expect(errorOf("isNaN(result)", "NaN")).toBe('isNaN() needs a number, got string "NaN"');
    expect(errorOf("asInt(result) > 0", "1.5")).toBe('asInt() cannot convert string "1.5"');
  });

  it("never reaches JavaScript's prototypes", () => {
    expect(holds("result.constructor == nil && result['__proto__'] == nil", {})).toBe(true);
    expect(compileError("result.constructor.constructor('return 1')() == 1")).toContain("unknown function");
  });

  it("reports what does not compile, with the source", () => {
    expect(compileError("result[0] <=")).toMatch(
      /^cannot parse `result\[0\] <=`: Expected expression after <=/,
    );
    expect(compileError("results[0] < 1")).toBe(
      "`results[0] < 1`: unknown name `results`; the measured value is `result`",
    );
    expect(compileError("size(result) == 0")).toMatch(
      /^`size\(result\) == 0`: unknown function `size`; known: len, isNaN/,
    );
    expect(compileError("len(result, 1) == 0")).toBe("`len(result, 1) == 0`: len() takes 1 argument, got 2");
    expect(compileError("result === 1")).toBe("`result === 1`: operator `===` is not supported; use `==`");
    expect(compileError("result & 1")).toBe("`result & 1`: operator `&` is not supported");
    expect(compileError("result 1")).toBe("`result 1`: expected one expression; is an operator missing?");
    expect(compileError("this == 1")).toBe("`this == 1`: ThisExpression is not supported");
    expect(compileError("len == 1")).toBe("`len == 1`: len is a function: call it as len(...)");
  });
});

describe("judgeMeasurement: Argo's EvaluateResult", () => {
  const c = (source: string) => compileCondition(source);

  it("decides from the failure condition first", () => {
    const both = { success: c("result < 10"), failure: c("result > 5") };
    expect(judgeMeasurement(both, 7)).toEqual({ phase: "Failed" });
    expect(judgeMeasurement(both, 3)).toEqual({ phase: "Successful" });
    expect(judgeMeasurement({ success: c("result > 10"), failure: c("result < 0") }, 5)).toEqual({
      phase: "Inconclusive",
    });
  });

  it("fails a false success condition that stands alone, and passes a false failure condition", () => {
    expect(judgeMeasurement({ success: c("result >= 0.95") }, 0.9)).toEqual({ phase: "Failed" });
    expect(judgeMeasurement({ success: c("result >= 0.95") }, 0.99)).toEqual({ phase: "Successful" });
    expect(judgeMeasurement({ failure: c("result >= 10") }, 3)).toEqual({ phase: "Successful" });
    expect(judgeMeasurement({ failure: c("result >= 10") }, 10)).toEqual({ phase: "Failed" });
  });

  it("passes a measurement without conditions, as Argo's code does", () => {
    expect(judgeMeasurement({}, [1, 2])).toEqual({ phase: "Successful" });
  });

  it("makes an evaluation error an Error measurement", () => {
    expect(judgeMeasurement({ success: c("result[0] < 1") }, [])).toEqual({
      phase: "Error",
      message:
        "could not evaluate the condition: index out of range: 0 (length 0); guard the condition with len(result) > 0",
    });
  });
});
