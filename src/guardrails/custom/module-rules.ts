import { randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as Esbuild from "esbuild";
import type { Diagnostic, SourcePosition } from "../../errors/index.js";
import type { CustomRule, GenericResource, Reporter } from "../model.js";
import { RULES_MODULE_SOURCE } from "./define.js";
import { ruleMetaSchema } from "./schema.js";
import { isUsableReport } from "./run.js";
import { recordRuleSource } from "./source.js";
import type { LoadedRules } from "./yaml-rules.js";

const TYPESCRIPT = /\.[cm]?ts$/;
/** `from "slipway/rules"` (or `"slipway"`), in static and dynamic imports. */
const SLIPWAY_IMPORT = /(\bfrom\s*|\bimport\s*\(\s*)(["'])slipway(?:\/rules)?\2/g;

/**
 * Loads rules written in code. TypeScript is compiled with esbuild's `transform` (types are
 * dropped, nothing is type-checked); the result, and any module that imports `slipway/rules`, is
 * written next to the original for the import so that its relative imports and packages resolve
 * as they would for the original, then removed.
 */
export async function loadModuleRules(absolutePath: string, file: string): Promise<LoadedRules> {
  const text = await readFile(absolutePath, "utf8");
  let code = text;
  const typescript = TYPESCRIPT.test(absolutePath);
  if (typescript) {
    const compiled = await compileTypeScript(text, absolutePath, file);
    if ("diagnostics" in compiled) return { rules: [], diagnostics: compiled.diagnostics };
    code = compiled.code;
  }
  const rewritten = code.replace(
    SLIPWAY_IMPORT,
    (_all, lead: string, quote: string) =>
      `${lead}${quote}data:text/javascript,${encodeURIComponent(RULES_MODULE_SOURCE)}${quote}`,
  );

  let exports: Record<string, unknown>;
  try {
    exports =
      typescript || rewritten !== code
        ? await importCopy(rewritten, absolutePath)
        : ((await import(pathToFileURL(absolutePath).href)) as Record<string, unknown>);
  } catch (error) {
    return {
      rules: [],
      diagnostics: [
        { position: errorPosition(error, file), message: `cannot load rules: ${messageOf(error)}` },
      ],
    };
  }
  return collectRules(exports, text, file);
}

async function compileTypeScript(
  text: string,
  absolutePath: string,
  file: string,
): Promise<{ code: string } | { diagnostics: Diagnostic[] }> {
  let esbuild: typeof Esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    return {
      diagnostics: [
        {
          position: { file, line: 1, column: 1 },
          message: "TypeScript rules need the esbuild package, which is not installed",
          hint: "install esbuild next to slipway, or write the rules in JavaScript (.mjs)",
        },
      ],
    };
  }
  try {
    // Stack traces of a failing rule then point at the TypeScript source, not the compiled copy.
    process.setSourceMapsEnabled(true);
    const result = await esbuild.transform(text, {
      loader: "ts",
      format: "esm",
      target: "node20",
      sourcefile: absolutePath,
      sourcemap: "inline",
    });
    return { code: result.code };
  } catch (error) {
    const errors = (
      error as { errors?: { text: string; location?: { line: number; column: number } | null }[] }
    ).errors;
    if (!errors || errors.length === 0)
      return {
        diagnostics: [
          { position: { file, line: 1, column: 1 }, message: `cannot compile: ${messageOf(error)}` },
        ],
      };
    return {
      diagnostics: errors.map((e) => ({
        position: { file, line: e.location?.line ?? 1, column: (e.location?.column ?? 0) + 1 },
        message: e.text,
      })),
    };
  }
}

async function importCopy(code: string, absolutePath: string): Promise<Record<string, unknown>> {
  const name = `.${basename(absolutePath)}.${process.pid}-${randomBytes(4).toString("hex")}.mjs`;
  let copy = join(dirname(absolutePath), name);
  try {
    await writeFile(copy, code, { flag: "wx" });
  } catch {
    // A read-only checkout: the copy goes to the temporary directory, where only relative
    // imports of the rule module stop resolving.
    copy = join(tmpdir(), name);
    await writeFile(copy, code, { flag: "wx" });
  }
  try {
    return (await import(pathToFileURL(copy).href)) as Record<string, unknown>;
  } finally {
    await rm(copy, { force: true });
  }
}

function collectRules(exports: Record<string, unknown>, text: string, file: string): LoadedRules {
  const exported = exports["rules"] ?? exports["default"];
  if (exported === undefined)
    return {
      rules: [],
      diagnostics: [
        {
          position: { file, line: 1, column: 1 },
          message: "the module exports no rules",
          hint: "export const rules = [defineRule({ ... })];",
        },
      ],
    };
  const list: unknown[] = Array.isArray(exported) ? exported : [exported];
  const rules: CustomRule[] = [];
  const diagnostics: Diagnostic[] = [];
  list.forEach((entry, index) => {
    const record = entry && typeof entry === "object" ? (entry as Record<string, unknown>) : {};
    const id = typeof record["id"] === "string" ? record["id"] : undefined;
    const position = locate(text, file, id);
    const meta = ruleMetaSchema.safeParse(entry);
    if (!meta.success) {
      for (const issue of meta.error.issues)
        diagnostics.push({
          position,
          message: `rules[${index}]${issue.path.length > 0 ? `.${issue.path.join(".")}` : ""}: ${issue.message}`,
        });
      return;
    }
    const check = record["checkResources"] ?? record["check"];
    if (typeof check !== "function") {
      diagnostics.push({
        position,
        message: `rule ${meta.data.id} has no check function`,
        hint: "define it with defineRule({ ..., check(resources, report) { ... } })",
      });
      return;
    }
    const fn = check as (resources: readonly GenericResource[], report: Reporter) => void;
    const where = `${file}:${position.line}`;
    const rule: CustomRule = {
      ...meta.data,
      // User code: whatever it throws or reports names the rule and where it is defined.
      checkResources: (resources, report) => {
        try {
          fn.call(entry, resources, (found) => {
            if (!isUsableReport(found))
              throw new Error("it reported without a message and a span with file, line and column");
            report(found);
          });
        } catch (error) {
          throw new Error(`custom rule ${meta.data.id} (${where}) failed: ${messageOf(error)}`, {
            cause: error,
          });
        }
      },
    };
    recordRuleSource(rule, { file, line: position.line, column: position.column });
    rules.push(rule);
  });
  return { rules, diagnostics };
}

/** Where a rule's id is written in the module, or the top of the file. */
function locate(text: string, file: string, id: string | undefined): SourcePosition {
  const at =
    id === undefined ? -1 : text.search(new RegExp(`["'\`]${id.replace(/[^A-Za-z0-9-]/g, "")}["'\`]`));
  if (at === -1) return { file, line: 1, column: 1 };
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  return { file, line, column: at - before.lastIndexOf("\n") };
}

/** The rule file's line in an error thrown while importing it, when the stack names it. */
function errorPosition(error: unknown, file: string): SourcePosition {
  const stack = error instanceof Error ? (error.stack ?? "") : "";
  const escaped = basename(file).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`${escaped}[^:\\s]*:(\\d+)(?::(\\d+))?`).exec(stack);
  return { file, line: Number(match?.[1] ?? 1), column: Number(match?.[2] ?? 1) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
