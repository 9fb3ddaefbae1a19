/**
 * Reads JUnit XML test reports. There is no single JUnit format, only a family of dialects
 * that agree on `<testsuite>`/`<testcase>` and differ on the rest; this parser accepts the
 * ones CI users meet:
 * - Maven Surefire / Gradle: `<testsuite>` root; reruns as `<flakyFailure>`/`<flakyError>`
 *   (passed on a rerun) and `<rerunFailure>`/`<rerunError>` (failed every time), see
 *   https://maven.apache.org/surefire/maven-surefire-plugin/examples/rerun-failing-tests.html
 * - cargo-nextest (quick-junit): the same retry elements, `<testsuites>` root.
 * - jest-junit: failure text without a `message` attribute; optional `file`.
 * - pytest `--junitxml`: `<skipped>` with a reason, `<error>` for fixture errors, `file` (xunit1).
 * - Node's `--test-reporter=junit`: nested `<testsuite>` per `describe`, and `<testcase>`
 *   directly under `<testsuites>` for top-level tests.
 */
import { readFile } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { glob } from "tinyglobby";
import { ConfigError, type Diagnostic } from "../errors/index.js";
import type { TestCaseResult } from "./events.js";

const parser = new XMLParser({
  // Results must come out in document order (Node's reporter interleaves top-level tests and
  // suites), which the default object output loses by grouping children by tag name.
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  // Test names like `1e3` or `007` must stay strings.
  parseTagValue: false,
  parseAttributeValue: false,
  // The default entity handling leaves numeric references (`&#10;`, which Surefire and pytest
  // write for newlines in `message`) undecoded; this one decodes them and leaves CDATA alone.
  htmlEntities: true,
});

interface XmlElement {
  tag: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text and CDATA, concatenated. */
  text: string;
}

export function parseJUnit(xml: string, file: string): TestCaseResult[] {
  const validation = XMLValidator.validate(xml);
  if (validation !== true) {
    const { msg, line, col } = validation.err;
    throw new ConfigError([
      {
        position: { file, line: Math.max(1, line), column: Math.max(1, col) },
        message: `invalid JUnit XML: ${msg}`,
      },
    ]);
  }
  let top: XmlElement[];
  try {
    top = toElements(parser.parse(xml));
  } catch (error) {
    throw new ConfigError(
      [{ position: { file, line: 1, column: 1 }, message: `invalid JUnit XML: ${messageOf(error)}` }],
      { cause: error },
    );
  }

  const root = top.find((element) => element.tag === "testsuites" || element.tag === "testsuite");
  if (!root) {
    throw new ConfigError([
      {
        position: { file, line: 1, column: 1 },
        message: "not a JUnit report: the root element is neither <testsuites> nor <testsuite>",
      },
    ]);
  }
  const results: TestCaseResult[] = [];
  // Tests outside any suite still need a group in the UI; the report's file name is one the user knows.
  const fallbackSuite = (root.tag === "testsuites" ? root.attributes["name"] : undefined) ?? basename(file);
  walk(root.tag === "testsuites" ? root.children : [root], [], fallbackSuite, undefined, results);
  return results;
}

/**
 * Collects the results of every report matching `globs` (relative to `workspace`). A glob that
 * matches nothing is not an error: the step may have failed before writing its report, and the
 * caller reports that from `files`. Every malformed report is reported in one ConfigError.
 */
export async function collectJUnit(
  workspace: string,
  globs: string[],
): Promise<{ results: TestCaseResult[]; files: string[] }> {
  if (globs.length === 0) return { results: [], files: [] };
  const matched = (await glob(globs, { cwd: workspace, onlyFiles: true, dot: true })).sort();
  const parsed = await Promise.all(
    matched.map(async (file) => {
      let xml: string;
      try {
        xml = await readFile(resolve(workspace, file), "utf8");
      } catch (error) {
        // Deleted between the glob and the read (a test runner cleaning up): nothing to report.
        if (isMissing(error)) return undefined;
        throw error;
      }
      try {
        return { file, results: parseJUnit(xml, file) };
      } catch (error) {
        if (error instanceof ConfigError) return { file, diagnostics: error.diagnostics };
        throw error;
      }
    }),
  );

  const results: TestCaseResult[] = [];
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const entry of parsed) {
    if (!entry) continue;
    files.push(entry.file);
    if ("results" in entry) results.push(...entry.results);
    else diagnostics.push(...entry.diagnostics);
  }
  if (diagnostics.length > 0) throw new ConfigError(diagnostics);
  return { results, files };
}

function walk(
  elements: XmlElement[],
  path: string[],
  fallbackSuite: string,
  inheritedFile: string | undefined,
  out: TestCaseResult[],
): void {
  for (const element of elements) {
    if (element.tag === "testcase") {
      const suite = path.length > 0 ? path.join(" > ") : fallbackSuite;
      out.push(toResult(element, suite, inheritedFile));
    } else if (element.tag === "testsuite") {
      const name = element.attributes["name"] ?? "";
      const file = element.attributes["file"] ?? element.attributes["filepath"] ?? inheritedFile;
      walk(element.children, name === "" ? path : [...path, name], fallbackSuite, file, out);
    } else if (element.tag === "testsuites") {
      // Some aggregators wrap whole reports: <testsuites><testsuites>...</testsuites></testsuites>.
      walk(element.children, path, fallbackSuite, inheritedFile, out);
    }
  }
}

const RETRY_TAGS = new Set(["flakyFailure", "flakyError", "rerunFailure", "rerunError"]);

function toResult(testcase: XmlElement, suite: string, inheritedFile: string | undefined): TestCaseResult {
  const first = (tag: string): XmlElement | undefined => testcase.children.find((c) => c.tag === tag);
  const failure = first("failure");
  const error = first("error");
  const skipped = first("skipped");
  const flaky = testcase.children.find((c) => c.tag === "flakyFailure" || c.tag === "flakyError");
  const retries = testcase.children.filter((c) => RETRY_TAGS.has(c.tag)).length;

  let status: TestCaseResult["status"];
  let cause: XmlElement | undefined;
  if (failure) {
    status = "failed";
    cause = failure;
  } else if (error) {
    status = "error";
    cause = error;
  } else if (flaky) {
    // Passed in the end; the failed attempt says what made it flaky.
    status = "flaky";
    cause = flaky;
  } else if (skipped) {
    status = "skipped";
    cause = skipped;
  } else {
    status = "passed";
  }

  const details = cause ? detailsOf(cause) : undefined;
  let message = cause ? (messageAttr(cause) ?? firstLine(details)) : undefined;
  // `type` names the exception class: better than nothing for a failure, noise for a skip.
  if (message === undefined && cause && status !== "skipped") message = nonEmpty(cause.attributes["type"]);
  return {
    suite,
    name: testcase.attributes["name"] ?? "",
    classname: testcase.attributes["classname"],
    file: testcase.attributes["file"] ?? inheritedFile,
    status,
    durationMs: parseDuration(testcase.attributes["time"]),
    message,
    details,
    attempts: 1 + retries,
  };
}

/**
 * JUnit `time` is seconds. Some writers format it with the locale: `0,25` (decimal comma) or
 * `1,234.5` (grouping, an old Surefire bug); a missing or unreadable time counts as 0.
 */
function parseDuration(time: string | undefined): number {
  if (time === undefined) return 0;
  let text = time.trim();
  text = text.includes(".") ? text.replaceAll(",", "") : text.replace(",", ".");
  const seconds = Number(text);
  return Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : 0;
}

/**
 * The failure body. Rerun elements (Surefire, nextest) usually have none and hold the trace in a
 * `<stackTrace>` child, or only the attempt's `<system-err>`.
 */
function detailsOf(element: XmlElement): string | undefined {
  for (const candidate of [
    element,
    ...["stackTrace", "system-err"].map((tag) => element.children.find((c) => c.tag === tag)),
  ]) {
    const text = nonEmpty(candidate?.text.trim());
    if (text !== undefined) return text;
  }
  return undefined;
}

function messageAttr(element: XmlElement): string | undefined {
  const message = nonEmpty(element.attributes["message"]?.trim());
  // Node's reporter writes message="true" for a skip or todo without a reason.
  return message === "true" ? undefined : message;
}

function firstLine(text: string | undefined): string | undefined {
  return text
    ?.split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => line !== "");
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === "" ? undefined : text;
}

/**
 * fast-xml-parser's `preserveOrder` output: each entry is `{ [tag]: children, ":@": attributes }`
 * or `{ "#text": text }`; comments and processing instructions come out under their own keys.
 */
function toElements(nodes: unknown): XmlElement[] {
  if (!Array.isArray(nodes)) return [];
  const elements: XmlElement[] = [];
  for (const node of nodes as unknown[]) {
    if (typeof node !== "object" || node === null) continue;
    const record = node as Record<string, unknown>;
    const tag = Object.keys(record).find((key) => key !== ":@" && key !== "#text");
    if (tag === undefined || tag.startsWith("?")) continue;
    const content = Array.isArray(record[tag]) ? (record[tag] as unknown[]) : [];
    const attributes: Record<string, string> = {};
    const rawAttributes = record[":@"];
    if (typeof rawAttributes === "object" && rawAttributes !== null) {
      for (const [name, value] of Object.entries(rawAttributes)) {
        if (typeof value === "string") attributes[name] = value;
      }
    }
    let text = "";
    for (const child of content) {
      const value = (child as Record<string, unknown> | null)?.["#text"];
      if (typeof value === "string" || typeof value === "number") text += String(value);
    }
    elements.push({ tag, attributes, children: toElements(content), text });
  }
  return elements;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "EISDIR";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
