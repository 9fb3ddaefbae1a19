import { readFile } from "node:fs/promises";
import { join } from "node:path";
import picomatch from "picomatch";
import { z } from "zod";
import { validateDocument, type DiagnosticStyle } from "../../config/schema-diagnostics.js";
import { closest } from "../../config/suggest.js";
import { YamlSource } from "../../config/yaml-source.js";
import type { Diagnostic } from "../../errors/index.js";
import type { ScanDiagnostic } from "../model.js";

/** Where a project lists the values and files its secret findings accept, relative to the scan root. */
export const ALLOW_LIST_FILE = ".slipway/secrets-allow.yaml";

/**
 * ```yaml
 * values:            # regular expressions, searched in each candidate secret
 *   - "^sk_test_"
 *   - regex: "-dev-only$"
 *     reason: keys of the local emulator
 * paths:             # globs relative to the scan root; these files are not searched for secrets
 *   - "test/fixtures/**"
 *   - glob: "docs/**\/*.md"
 *     reason: documentation shows redacted tokens
 * ```
 */
const allowListSchema = z.strictObject({
  values: z
    .array(z.union([z.string(), z.strictObject({ regex: z.string(), reason: z.string().optional() })]))
    .optional(),
  paths: z
    .array(z.union([z.string(), z.strictObject({ glob: z.string(), reason: z.string().optional() })]))
    .optional(),
});

export interface AllowList {
  allowsValue(value: string): boolean;
  allowsPath(path: string): boolean;
}

export const EMPTY_ALLOW_LIST: AllowList = { allowsValue: () => false, allowsPath: () => false };

const STYLE: DiagnosticStyle = {
  describePath: (path) => (path.length === 0 ? "the allow-list" : path.map(String).join(".")),
  suggestKey: (key, path) => {
    const known =
      path.length === 0
        ? ["values", "paths"]
        : path[0] === "values"
          ? ["regex", "reason"]
          : ["glob", "reason"];
    const close = closest(key, known);
    return close ? `did you mean "${close}"?` : `allowed keys: ${known.join(", ")}`;
  },
};

/** Reads the project's allow-list; a missing file allows nothing, a broken one is reported and ignored where broken. */
export async function loadAllowList(
  root: string,
): Promise<{ allowList: AllowList; diagnostics: ScanDiagnostic[] }> {
  let text: string;
  try {
    text = await readFile(join(root, ALLOW_LIST_FILE), "utf8");
  } catch {
    return { allowList: EMPTY_ALLOW_LIST, diagnostics: [] };
  }
  return parseAllowList(text);
}

export function parseAllowList(text: string): { allowList: AllowList; diagnostics: ScanDiagnostic[] } {
  const { source, diagnostics: syntax } = YamlSource.parse(ALLOW_LIST_FILE, text);
  const problems: Diagnostic[] = [...syntax];
  const raw = source.toJS() ?? {};
  const { data, diagnostics } = validateDocument(allowListSchema, raw, source, STYLE);
  problems.push(...diagnostics);
  const values: RegExp[] = [];
  (data?.values ?? []).forEach((entry, index) => {
    const pattern = typeof entry === "string" ? entry : entry.regex;
    try {
      values.push(new RegExp(pattern));
    } catch (error) {
      problems.push({
        position: source.positionOf(
          typeof entry === "string" ? ["values", index] : ["values", index, "regex"],
        ),
        message: `invalid regular expression: ${(error as Error).message}`,
      });
    }
  });
  const globs = (data?.paths ?? []).map((entry) => (typeof entry === "string" ? entry : entry.glob));
  const pathMatcher = globs.length > 0 ? picomatch(globs, { dot: true }) : () => false;
  return {
    allowList: {
      allowsValue: (value) => values.some((pattern) => pattern.test(value)),
      allowsPath: (path) => pathMatcher(path),
    },
    diagnostics: problems.map((problem) => ({
      span: { file: problem.position.file, line: problem.position.line, column: problem.position.column },
      message: `secrets allow-list: ${problem.message}`,
      hint: problem.hint,
    })),
  };
}
