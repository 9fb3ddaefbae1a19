import { readFile, stat } from "node:fs/promises";
import { relative, resolve, sep } from "node:path";
import { glob } from "tinyglobby";
import { ConfigError, UsageError, type Diagnostic } from "../../errors/index.js";
import type { CustomRule } from "../model.js";
import { loadModuleRules } from "./module-rules.js";
import { ruleSource } from "./source.js";
import { parseYamlRules, type LoadedRules } from "./yaml-rules.js";

/** Where a project keeps its own rules, relative to the scan root. */
export const DEFAULT_RULES_DIR = ".slipway/rules";

const RULE_FILE = /\.(?:ya?ml|[cm]?js|[cm]?ts)$/;

/**
 * Reads custom rules from `paths` (files, or directories whose rule files are read, not their
 * subdirectories, which may hold modules the rules import), or from `.slipway/rules` when none
 * are given. Problems in any file come back together, each with its position.
 */
export async function readCustomRules(root: string, paths?: readonly string[]): Promise<LoadedRules> {
  const files = await ruleFiles(root, paths);
  const rules: CustomRule[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const absolutePath of files) {
    const file = relative(root, absolutePath).split(sep).join("/");
    const loaded = /\.ya?ml$/.test(absolutePath)
      ? parseYamlRules(file, await readFile(absolutePath, "utf8"))
      : await loadModuleRules(absolutePath, file);
    rules.push(...loaded.rules);
    diagnostics.push(...loaded.diagnostics);
  }
  const seen = new Map<string, CustomRule>();
  const unique: CustomRule[] = [];
  for (const rule of rules) {
    const first = seen.get(rule.id);
    if (!first) {
      seen.set(rule.id, rule);
      unique.push(rule);
      continue;
    }
    const where = ruleSource(rule);
    const previous = ruleSource(first);
    diagnostics.push({
      position: where
        ? { file: where.file, line: where.line, column: where.column }
        : { file: rule.id, line: 1, column: 1 },
      message: `rule id ${rule.id} is already defined${previous ? ` at ${previous.file}:${previous.line}` : ""}`,
      hint: "each custom rule needs its own id",
    });
  }
  return { rules: unique, diagnostics };
}

/** Like readCustomRules, but any problem is a ConfigError listing all of them. */
export async function loadCustomRules(root: string, paths?: readonly string[]): Promise<CustomRule[]> {
  const { rules, diagnostics } = await readCustomRules(root, paths);
  if (diagnostics.length > 0)
    throw new ConfigError(diagnostics, {
      hint: "custom rules are described in docs/guardrails-custom-rules.md",
    });
  return rules;
}

async function ruleFiles(root: string, paths: readonly string[] | undefined): Promise<string[]> {
  const explicit = paths !== undefined && paths.length > 0;
  const found = new Set<string>();
  for (const path of explicit ? paths : [DEFAULT_RULES_DIR]) {
    const full = resolve(root, path);
    const info = await stat(full).catch(() => undefined);
    if (!info) {
      if (explicit) throw new UsageError(`${path}: no such rules file or directory`);
      continue;
    }
    if (info.isFile()) {
      found.add(full);
      continue;
    }
    const entries = await glob("*", { cwd: full, absolute: true, onlyFiles: true });
    for (const entry of entries) {
      const name = entry.slice(entry.lastIndexOf("/") + 1);
      // Dot files include the compiled copies this loader writes while importing.
      if (RULE_FILE.test(name) && !name.startsWith(".") && !name.endsWith(".d.ts")) found.add(resolve(entry));
    }
  }
  return [...found].sort();
}
