// Loads Terraform files written to a temporary directory, the way a scan reads them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { collectFiles } from "../../../src/guardrails/files.js";
import { loadHcl, type HclLoadResult } from "../../../src/guardrails/terraform/load-hcl.js";
import { UNKNOWN, lookup, type HclValue, type TfResource } from "../../../src/guardrails/terraform/model.js";

const created: string[] = [];

/** Writes `files` (path → text) under a new temporary directory and returns it. */
export function writeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "slipway-tf-"));
  created.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

export function removeTrees(): void {
  for (const root of created.splice(0)) rmSync(root, { recursive: true, force: true });
}

export interface LoadOptions {
  /** Only these paths are scanned (the rest are still there for modules). Default: all. */
  scan?: string[];
  varFiles?: string[];
  env?: Record<string, string>;
}

export async function loadTree(root: string, options: LoadOptions = {}): Promise<HclLoadResult> {
  const { files } = await collectFiles(root, options.scan ?? ["."]);
  return loadHcl({
    root,
    files: files.filter((f) => /\.(tf|tfvars|tf\.json|tfvars\.json)$/.test(f.path)),
    varFiles: options.varFiles ?? [],
    env: options.env ?? {},
  });
}

export async function load(files: Record<string, string>, options: LoadOptions = {}): Promise<HclLoadResult> {
  return loadTree(writeTree(files), options);
}

export function resources(result: HclLoadResult): TfResource[] {
  return result.models.flatMap((m) => m.resources);
}

export function resource(result: HclLoadResult, address: string): TfResource {
  const found = resources(result).find((r) => r.address === address);
  if (!found)
    throw new Error(
      `no resource ${address}; have ${resources(result)
        .map((r) => r.address)
        .join(", ")}`,
    );
  return found;
}

/** The value at `path` of the resource at `address`; `undefined` when absent. */
export function valueAt(result: HclLoadResult, address: string, path: string): HclValue | undefined {
  return lookup(resource(result, address), path)?.value;
}

/** Evaluates one expression (in a file that also holds `context`) and returns its value. */
export async function evaluateExpression(expression: string, context = ""): Promise<HclValue | undefined> {
  const result = await load({ "main.tf": `${context}\nresource "test" "t" {\n  v = ${expression}\n}\n` });
  return valueAt(result, "test.t", "v");
}

export { UNKNOWN };
