import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors/index.js";
import type { TestCaseResult } from "../../src/pipeline/events.js";
import { collectJUnit, parseJUnit } from "../../src/pipeline/junit.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/junit/", import.meta.url));

async function fixture(name: string): Promise<TestCaseResult[]> {
  return parseJUnit(await readFile(join(FIXTURES, name), "utf8"), name);
}

function byName(results: TestCaseResult[], name: string): TestCaseResult {
  const result = results.find((r) => r.name === name);
  if (!result) throw new Error(`no test named ${name}`);
  return result;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseJUnit: Maven Surefire", () => {
  it("reads a bare <testsuite> root with every outcome", async () => {
    const results = await fixture("surefire-TEST-com.example.CalculatorTest.xml");
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ["addsNumbers", "passed"],
      ["multipliesLargeNumbers", "passed"],
      ["dividesByZero", "failed"],
      ["readsConfig", "error"],
      ["roundsHalfUp", "flaky"],
      ["talksToCache", "flaky"],
      ["usesLegacyApi", "skipped"],
    ]);
    expect(results.every((r) => r.suite === "com.example.CalculatorTest")).toBe(true);
    expect(byName(results, "addsNumbers")).toEqual({
      suite: "com.example.CalculatorTest",
      name: "addsNumbers",
      classname: "com.example.CalculatorTest",
      file: undefined,
      status: "passed",
      durationMs: 3,
      message: undefined,
      details: undefined,
      attempts: 1,
    });
  });

  it("counts reruns of a test that failed every time", async () => {
    const failed = byName(await fixture("surefire-TEST-com.example.CalculatorTest.xml"), "dividesByZero");
    expect(failed.status).toBe("failed");
    expect(failed.attempts).toBe(3);
    expect(failed.message).toBe("expected: <0> but was: <1>");
    expect(failed.details).toMatch(
      /^org\.opentest4j\.AssertionFailedError: expected: <0> but was: <1>\n\tat /,
    );
    expect(failed.details).toContain("CalculatorTest.java:42");
  });

  it("marks a test that passed on a rerun as flaky, with the failed attempts' cause", async () => {
    const results = await fixture("surefire-TEST-com.example.CalculatorTest.xml");
    const flaky = byName(results, "roundsHalfUp");
    expect(flaky).toMatchObject({ status: "flaky", attempts: 2, message: "expected: <3> but was: <2>" });
    expect(flaky.details).toContain("CalculatorTest.java:71");
    // flakyError and flakyFailure both count; the first in the document explains it.
    expect(byName(results, "talksToCache")).toMatchObject({
      status: "flaky",
      attempts: 3,
      message: "Connection refused",
    });
  });

  it("reads errors and skip reasons", async () => {
    const results = await fixture("surefire-TEST-com.example.CalculatorTest.xml");
    expect(byName(results, "readsConfig")).toMatchObject({
      status: "error",
      message: "config.properties (No such file or directory)",
    });
    expect(byName(results, "usesLegacyApi")).toMatchObject({
      status: "skipped",
      message: "public void com.example.CalculatorTest.usesLegacyApi() is @Disabled",
      details: undefined,
    });
  });

  it("reads a time written with a thousands separator", async () => {
    const results = await fixture("surefire-TEST-com.example.CalculatorTest.xml");
    expect(byName(results, "multipliesLargeNumbers").durationMs).toBe(1_200_500);
  });
});

describe("parseJUnit: jest-junit", () => {
  it("reads suites, file attributes, and takes the message from the failure's first line", async () => {
    const results = await fixture("jest-junit.xml");
    expect(results).toHaveLength(6);
    const failed = byName(results, "Calculator divides evenly");
    expect(failed).toMatchObject({
      suite: "Calculator",
      classname: "Calculator divides evenly",
      file: "src/calculator.test.ts",
      status: "failed",
      durationMs: 11,
      message: "Error: expect(received).toBe(expected) // Object.is equality",
      attempts: 1,
    });
    expect(failed.details).toContain("Expected: 2\nReceived: 3");
    // Entities are decoded in text.
    expect(failed.details).toContain("at new Promise (<anonymous>)");
    expect(byName(results, "Calculator handles big numbers")).toMatchObject({
      status: "skipped",
      message: undefined,
    });
    expect(byName(results, 'Calculator formats "1e3"')).toMatchObject({ status: "passed", durationMs: 1 });
  });

  it("reports a suite that failed to run as an error", async () => {
    const broken = byName(await fixture("jest-junit.xml"), "src/broken.test.ts");
    expect(broken).toMatchObject({
      suite: "src/broken.test.ts",
      status: "error",
      message: "● Test suite failed to run",
    });
    expect(broken.details).toContain("Cannot find module './missing'");
  });
});

describe("parseJUnit: pytest", () => {
  it("reads failures, errors, skips and xfails with their file", async () => {
    const results = await fixture("pytest.xml");
    expect(results.map((r) => [r.classname, r.name, r.status, r.file])).toEqual([
      ["tests.test_math", "test_add", "passed", "tests/test_math.py"],
      ["tests.test_math", "test_divide", "failed", "tests/test_math.py"],
      ["tests.test_math", "test_windows_only", "skipped", "tests/test_math.py"],
      ["tests.test_math", "test_known_bug", "skipped", "tests/test_math.py"],
      ["tests.test_db", "test_query", "error", "tests/test_db.py"],
      ["tests.test_math", "test_parametrized[1-2-3]", "passed", "tests/test_math.py"],
    ]);
    expect(results.every((r) => r.suite === "pytest")).toBe(true);
    const failed = byName(results, "test_divide");
    // `&#10;` in the attribute is a newline.
    expect(failed.message).toBe("assert 0.5 == 2\n +  where 0.5 = divide(1, 2)");
    expect(failed.details).toContain(">       assert divide(1, 2) == 2");
    expect(byName(results, "test_windows_only")).toMatchObject({
      message: "requires windows",
      details: "/home/ci/app/tests/test_math.py:13: requires windows",
    });
    expect(byName(results, "test_query").message).toBe(
      'failed on setup with "ConnectionRefusedError: [Errno 111] Connection refused"',
    );
  });

  it("reads a time with a decimal comma", async () => {
    expect(byName(await fixture("pytest.xml"), "test_parametrized[1-2-3]").durationMs).toBe(3);
  });
});

describe("parseJUnit: cargo-nextest", () => {
  it("reads flaky and retried tests, taking details from the attempt's stderr", async () => {
    const results = await fixture("nextest.xml");
    expect(results.map((r) => [r.suite, r.name, r.status, r.attempts])).toEqual([
      ["slipway-demo", "parser::tests::parses_empty", "passed", 1],
      ["slipway-demo", "net::tests::retries_connection", "flaky", 2],
      ["slipway-demo", "math::tests::overflow", "failed", 2],
      ["slipway-demo::integration", "end_to_end", "passed", 1],
    ]);
    const flaky = byName(results, "net::tests::retries_connection");
    expect(flaky.message).toBe("thread 'net::tests::retries_connection' panicked at src/net.rs:88:9:");
    expect(flaky.details).toContain("connection refused");
    expect(byName(results, "math::tests::overflow").details).toContain("attempt to add with overflow");
    expect(byName(results, "end_to_end").durationMs).toBe(1310);
  });
});

describe("parseJUnit: node --test-reporter=junit", () => {
  it("keeps document order, nests suite names and groups top-level tests under the report", async () => {
    const results = await fixture("node-test.xml");
    expect(results.map((r) => [r.suite, r.name, r.status])).toEqual([
      ["node-test.xml", "top-level passes", "passed"],
      ["math", "adds", "passed"],
      ["math", "divides", "failed"],
      ["math", "rounds", "skipped"],
      ["math > nested", "works & more", "passed"],
      ["node-test.xml", "todo later", "skipped"],
    ]);
  });

  it("reads the failure and ignores the placeholder skip message", async () => {
    const results = await fixture("node-test.xml");
    const failed = byName(results, "divides");
    expect(failed.message).toBe("Expected values to be strictly equal:1 !== 2");
    expect(failed.details).toMatch(/^\[Error \[ERR_TEST_FAILURE\]/);
    expect(failed.details).toContain(
      "at TestContext.<anonymous> (file:///home/ci/app/test/math.test.mjs:12:12)",
    );
    expect(failed.durationMs).toBe(1);
    expect(byName(results, "rounds").message).toBeUndefined();
    expect(byName(results, "todo later").message).toBe("needs the new API");
  });
});

describe("parseJUnit: edge cases", () => {
  it("treats a missing or unreadable time as 0 and rounds to milliseconds", () => {
    const results = parseJUnit(
      `<testsuite name="s">
        <testcase name="none"/>
        <testcase name="garbage" time="n/a"/>
        <testcase name="negative" time="-1"/>
        <testcase name="tiny" time="0.0004"/>
        <testcase name="padded" time=" 2.5 "/>
      </testsuite>`,
      "r.xml",
    );
    expect(results.map((r) => r.durationMs)).toEqual([0, 0, 0, 0, 2500]);
  });

  it("takes the file from an enclosing suite when the test has none, and keeps names as strings", () => {
    const results = parseJUnit(
      `<testsuites><testsuite name="outer" file="spec/a.spec.js"><testcase name="007" classname="1e3"/></testsuite></testsuites>`,
      "r.xml",
    );
    expect(results).toEqual([
      expect.objectContaining({ suite: "outer", name: "007", classname: "1e3", file: "spec/a.spec.js" }),
    ]);
  });

  it("falls back to the failure type when there is neither message nor text", () => {
    const [result] = parseJUnit(
      `<testsuite name="s"><testcase name="t"><failure type="AssertionError"/></testcase></testsuite>`,
      "r.xml",
    );
    expect(result).toMatchObject({ status: "failed", message: "AssertionError", details: undefined });
  });

  it("returns no results for an empty suite", () => {
    expect(parseJUnit(`<?xml version="1.0"?><testsuites name="empty"/>`, "r.xml")).toEqual([]);
  });

  it("reports malformed XML as a ConfigError at the line the validator found", async () => {
    const error = configError(() => parseJUnit("", "x.xml"));
    expect(error.diagnostics[0]?.position.file).toBe("x.xml");

    const text = await readFile(join(FIXTURES, "malformed.xml"), "utf8");
    const malformed = configError(() => parseJUnit(text, "reports/malformed.xml"));
    expect(malformed.diagnostics).toHaveLength(1);
    expect(malformed.diagnostics[0]?.position).toMatchObject({ file: "reports/malformed.xml", line: 4 });
    expect(malformed.diagnostics[0]?.position.column).toBeGreaterThan(1);
    expect(malformed.diagnostics[0]?.message).toMatch(/failur/);
  });

  it("rejects a well-formed document that is not a JUnit report", () => {
    const error = configError(() => parseJUnit(`<project><build/></project>`, "pom.xml"));
    expect(error.diagnostics[0]?.message).toMatch(/not a JUnit report/);
  });
});

describe("collectJUnit", () => {
  let workspace: string | undefined;
  afterEach(async () => {
    if (workspace) await rm(workspace, { recursive: true, force: true });
    workspace = undefined;
  });

  async function makeWorkspace(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "slipway-junit-"));
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(dir, path, ".."), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    return dir;
  }

  it("collects every matching report, in a stable order, with paths relative to the workspace", async () => {
    const surefire = await readFile(join(FIXTURES, "surefire-TEST-com.example.CalculatorTest.xml"), "utf8");
    const pytest = await readFile(join(FIXTURES, "pytest.xml"), "utf8");
    workspace = await makeWorkspace({
      "target/surefire-reports/TEST-com.example.CalculatorTest.xml": surefire,
      "py/report.xml": pytest,
      "target/surefire-reports/notes.txt": "not a report",
    });
    const { results, files } = await collectJUnit(workspace, ["target/surefire-reports/*.xml", "py/*.xml"]);
    expect(files).toEqual(["py/report.xml", "target/surefire-reports/TEST-com.example.CalculatorTest.xml"]);
    expect(results).toHaveLength(13);
    expect(results[0]?.name).toBe("test_add");
    expect(results[6]?.name).toBe("addsNumbers");
  });

  it("returns no files (and no error) when nothing matches", async () => {
    workspace = await makeWorkspace({ "README.md": "hi" });
    expect(await collectJUnit(workspace, ["reports/**/*.xml"])).toEqual({ results: [], files: [] });
    expect(await collectJUnit(workspace, [])).toEqual({ results: [], files: [] });
  });

  it("reports every malformed report in one ConfigError, by its relative path", async () => {
    workspace = await makeWorkspace({
      "a/bad.xml": "<testsuite>\n<testcase>\n</testsuite>",
      "b/also-bad.xml": "<testsuite",
      "c/good.xml": `<testsuite name="s"><testcase name="t"/></testsuite>`,
    });
    const error = await collectJUnit(workspace, ["**/*.xml"]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).diagnostics.map((d) => d.position.file)).toEqual([
      "a/bad.xml",
      "b/also-bad.xml",
    ]);
  });
});
