import type { YamlPath, YamlSource } from "../../config/yaml-source.js";
import { ConfigError } from "../../errors/index.js";
import type { Diagnostic, SourcePosition } from "../../errors/index.js";
import { patternToRegExp, REF_FILTERS } from "../github/filters.js";
import { parseSchedule } from "../schedule.js";
import type { NativeInputDocument, NativeOnDocument } from "./schema.js";
import type { InputType, InputValue, NativeInput, NativeOn, PatternList, RefFilters } from "./on.js";

type FilterKey = Exclude<keyof RefFilters, "position">;
const FILTER_KEYS: readonly FilterKey[] = REF_FILTERS;

/**
 * Turns a schema-valid `on:` into the IR's form and checks what the schema cannot: crons (with
 * the position of the offending field), filter patterns, and input defaults against their type
 * and options. Problems go to `diagnostics`, so the file's other errors are reported with them.
 */
export function compileOn(source: YamlSource, on: NativeOnDocument, diagnostics: Diagnostic[]): NativeOn {
  const at = (path: YamlPath, key = false) => source.positionOf(path, { key });
  const compiled: NativeOn = { position: at(["on"], true) };
  if (Object.keys(on).length === 0) {
    diagnostics.push({
      position: compiled.position,
      message: "on: lists no event, so the pipeline would never start on a server",
      hint: "list push, pull_request, schedule or manual; without on: the pipeline runs for every event",
    });
  }
  for (const event of ["push", "pull_request"] as const) {
    if (!(event in on)) continue;
    const filters: RefFilters = { position: at(["on", event], true) };
    for (const key of FILTER_KEYS) {
      const value = (on[event] as Partial<Record<FilterKey, string[]>> | null)?.[key];
      if (value === undefined) continue;
      const list: PatternList = { patterns: value, position: at(["on", event, key], true) };
      checkPatterns(value, ["on", event, key], at, diagnostics);
      filters[key] = list;
    }
    for (const kind of ["branches", "tags", "paths"] as const) {
      const ignore = filters[`${kind}-ignore`];
      if (filters[kind] && ignore) {
        // GitHub refuses both on one event: which one wins would be a guess.
        diagnostics.push({
          position: ignore.position,
          message: `on.${event}: ${kind} and ${kind}-ignore cannot be used together`,
          hint: `keep ${kind} and exclude with "!pattern" entries, which apply in order`,
        });
      }
    }
    compiled[event] = filters;
  }
  if (on.schedule) {
    compiled.schedule = on.schedule.map(({ cron }, index) => {
      const path = ["on", "schedule", index, "cron"];
      const position = valueStart(source, at(path));
      try {
        parseSchedule({ cron, file: position.file, line: position.line, column: position.column });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        diagnostics.push(...error.diagnostics);
      }
      return { cron, position };
    });
  }
  if ("manual" in on) {
    const inputs: Record<string, NativeInput> = {};
    for (const [name, input] of Object.entries(on.manual?.inputs ?? {})) {
      inputs[name] = compileInput(input, ["on", "manual", "inputs", name], at, diagnostics);
    }
    compiled.manual = { position: at(["on", "manual"], true), inputs };
  }
  return compiled;
}

function compileInput(
  input: NativeInputDocument,
  path: YamlPath,
  at: (path: YamlPath, key?: boolean) => SourcePosition,
  diagnostics: Diagnostic[],
): NativeInput {
  const inferred = typeof input.default === "boolean" || typeof input.default === "number";
  const type: InputType = input.type ?? (inferred ? (typeof input.default as InputType) : "string");
  const compiled: NativeInput = { type, required: input.required ?? false, position: at(path, true) };
  if (input.description !== undefined) compiled.description = input.description;
  if (input.options !== undefined) {
    compiled.options = input.options;
    if (type !== "string") {
      diagnostics.push({
        position: at([...path, "options"], true),
        message: `input options are for string inputs, and this input is a ${type}`,
        hint:
          type === "boolean" ? "a boolean is already true or false" : "remove options, or make it a string",
      });
    }
  }
  if (input.default !== undefined) {
    const value = defaultOf(input.default, type);
    if (value === undefined) {
      diagnostics.push({
        position: at([...path, "default"]),
        message: `the default ${JSON.stringify(input.default)} is not a ${type}`,
        expected: type === "boolean" ? "true or false" : type,
      });
    } else {
      compiled.default = value;
      if (compiled.options && !compiled.options.includes(String(value))) {
        diagnostics.push({
          position: at([...path, "default"]),
          message: `the default ${JSON.stringify(String(value))} is not one of the options`,
          expected: compiled.options.join(", "),
        });
      }
    }
  }
  return compiled;
}

/** A default as a value of its input's type; a YAML number is fine for a string (`default: 1.2`). */
function defaultOf(value: InputValue, type: InputType): InputValue | undefined {
  if (type === "string") return String(value);
  return typeof value === type ? value : undefined;
}

function checkPatterns(
  patterns: readonly string[],
  path: YamlPath,
  at: (path: YamlPath) => SourcePosition,
  diagnostics: Diagnostic[],
): void {
  patterns.forEach((pattern, index) => {
    const body = pattern.startsWith("!") ? pattern.slice(1) : pattern;
    try {
      patternToRegExp(body);
    } catch (error) {
      diagnostics.push({
        position: at([...path, index]),
        message: `invalid pattern "${pattern}": ${(error as Error).message}`,
        hint: "patterns use *, **, ?, +, [...] and a leading ! (GitHub Actions' filter syntax)",
      });
    }
    if (body === "") {
      diagnostics.push({ position: at([...path, index]), message: `empty pattern "${pattern}"` });
    }
  });
}

/** Where a scalar's text starts: after the opening quote of a quoted value, so carets land on the field. */
function valueStart(source: YamlSource, position: SourcePosition): SourcePosition {
  const line = source.text.split("\n")[position.line - 1] ?? "";
  const char = line[position.column - 1];
  return char === '"' || char === "'" ? { ...position, column: position.column + 1 } : position;
}
