/**
 * HCL configurations to TerraformModels: every directory of `.tf` files that no other scanned
 * directory calls as a module is a root module; each root is evaluated with its variables
 * (defaults, TF_VAR_, tfvars, -var-file), locals, count/for_each instances, dynamic blocks and
 * local modules (read from disk even when outside the scanned paths), the way `terraform plan`
 * would see it before apply. Remote modules are not downloaded: unless `terraform init` put
 * them in .terraform/modules, their outputs are UNKNOWN. Evaluation itself: module-instance.ts.
 */
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { ScanDiagnostic, SourceFile } from "../model.js";
import { MAX_FILE_BYTES } from "../files.js";
import { buildModuleConfig, isLocalSource, type ModuleConfig } from "./config.js";
import { UNKNOWN, type TerraformModel, type TfResource } from "./model.js";
import { ModuleInstance, RootContext } from "./module-instance.js";
import { hclParser, type HclParser } from "./parser.js";
import type { ParsedFile } from "./syntax.js";
import { loadTfJson } from "./tf-json.js";
import {
  autoVarFileOrder,
  evaluateConstant,
  rootVariables,
  varFileFromHcl,
  varFileFromJson,
  type VarFile,
} from "./variables.js";

export interface HclLoadInput {
  /** Absolute scan root; spans are relative to it. */
  root: string;
  files: readonly SourceFile[];
  varFiles: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
}

export interface HclLoadResult {
  models: TerraformModel[];
  diagnostics: ScanDiagnostic[];
  notes: string[];
  /** Every configuration file parsed (scanned or loaded as a module), for suppressions. */
  parsed: ParsedFile[];
  /** Paths read, relative to the scan root. */
  files: string[];
}

/** Beyond this many module directories, no more are read: a scan must finish on any input. */
const MAX_MODULE_DIRECTORIES = 2000;

export function isConfigurationFile(path: string): boolean {
  return path.endsWith(".tf") || path.endsWith(".tf.json");
}

export function isVarFile(path: string): boolean {
  return path.endsWith(".tfvars") || path.endsWith(".tfvars.json");
}

export async function loadHcl(input: HclLoadInput): Promise<HclLoadResult> {
  const parser = await hclParser();
  const diagnostics: ScanDiagnostic[] = [];
  const notes = new Set<string>();
  const files = new Set<string>();
  const parsedFiles: ParsedFile[] = [];
  const byDirectory = new Map<string, ParsedFile[]>();
  const varFilesByDirectory = new Map<string, Map<string, VarFile>>();

  const parseConfiguration = (path: string, text: string): ParsedFile => {
    if (path.endsWith(".tf.json")) {
      const result = loadTfJson(text, path, parser);
      diagnostics.push(...result.diagnostics);
      return result.file;
    }
    const result = parser.parse(text, path);
    diagnostics.push(...result.diagnostics);
    return result.file;
  };

  for (const file of input.files) {
    const directory = dirname(file.absolutePath);
    if (isConfigurationFile(file.path)) {
      const parsed = parseConfiguration(file.path, file.text);
      parsedFiles.push(parsed);
      files.add(file.path);
      const list = byDirectory.get(directory) ?? [];
      list.push(parsed);
      byDirectory.set(directory, list);
    } else if (isVarFile(file.path)) {
      files.add(file.path);
      const varFile = readVarFile(file.path, file.text, parser, diagnostics);
      const map = varFilesByDirectory.get(directory) ?? new Map<string, VarFile>();
      map.set(file.absolutePath, varFile);
      varFilesByDirectory.set(directory, map);
    }
  }

  const configs = new Map<string, ModuleConfig>();
  for (const [directory, parsed] of byDirectory)
    configs.set(directory, buildModuleConfig(directory, displayPath(input.root, directory), parsed));
  const scanned = new Set(configs.keys());

  // Local modules are read from disk, scanned or not: their resources are the callers' resources.
  // So are remote modules that `terraform init` already downloaded into .terraform/modules.
  const queue = [...configs.values()];
  const attempted = new Set(configs.keys());
  const manifests = new Map<string, Map<string, string>>();
  const wanted: string[] = [];
  for (const directory of scanned) {
    const manifest = await readModuleManifest(directory);
    if (!manifest) continue;
    manifests.set(directory, manifest);
    wanted.push(...manifest.values());
  }
  const loadDirectory = async (directory: string) => {
    if (attempted.has(directory) || attempted.size >= MAX_MODULE_DIRECTORIES) return;
    attempted.add(directory);
    const loaded = await readModuleDirectory(input.root, directory);
    if (!loaded) return;
    const parsed = loaded.map(({ path, text }) => parseConfiguration(path, text));
    parsedFiles.push(...parsed);
    for (const { path } of loaded) files.add(path);
    const child = buildModuleConfig(directory, displayPath(input.root, directory), parsed);
    configs.set(directory, child);
    queue.push(child);
  };
  for (const directory of wanted) await loadDirectory(directory);
  while (queue.length > 0) {
    const config = queue.shift();
    if (!config) break;
    for (const call of config.moduleCalls.values())
      if (call.source !== undefined && isLocalSource(call.source))
        await loadDirectory(resolve(config.dir, call.source));
  }

  const extraVarFiles: VarFile[] = [];
  for (const name of input.varFiles) {
    const absolute = resolve(input.root, name);
    const path = displayPath(input.root, absolute);
    const text = await readFile(absolute, "utf8").catch(() => undefined);
    if (text === undefined) {
      notes.add(`${name}: variable file not found; its values are not used`);
      continue;
    }
    files.add(path);
    extraVarFiles.push(readVarFile(path, text, parser, diagnostics));
  }

  const roots = rootDirectories(configs, scanned);
  const models: TerraformModel[] = [];
  const used = new Set<string>(extraVarFiles.map((f) => f.path));
  for (const directory of roots) {
    const config = configs.get(directory);
    if (!config) continue;
    const auto = varFilesByDirectory.get(directory) ?? new Map<string, VarFile>();
    const ordered = autoVarFileOrder([...auto.keys()]).flatMap((key) => {
      const file = auto.get(key);
      return file ? [file] : [];
    });
    const inputs = rootVariables({
      config,
      files: [...ordered, ...extraVarFiles],
      env: input.env,
      parseValue: (text) => {
        const expr = parser.expression(text);
        return expr ? evaluateConstant(expr) : UNKNOWN;
      },
    });
    const where = config.path || ".";
    const unset = [...inputs]
      .filter(([, binding]) => binding.value === UNKNOWN)
      .map(([name]) => `var.${name}`);
    if (unset.length > 0)
      notes.add(`${where}: no value for ${unset.join(", ")}; what depends on them is treated as unknown`);
    for (const file of ordered) used.add(file.path);
    const context = new RootContext(configs, parser, config.dir, notes, manifests.get(directory));
    const rootModule = new ModuleInstance(context, config, inputs, {
      instancePrefix: "",
      configPrefix: "",
      modulePath: [],
      enclosing: [],
      ancestors: [],
    });
    const resources: TfResource[] = [];
    try {
      rootModule.collect(resources);
    } catch (error) {
      // A configuration deep enough to exhaust the stack is reported, and the other roots go on.
      if (!(error instanceof RangeError)) throw error;
      diagnostics.push({
        span: { file: config.files[0]?.path ?? config.path, line: 1, column: 1 },
        message: `${config.path || "."}: configuration too deeply nested to evaluate`,
      });
    }
    models.push({ resources, directory: config.path });
  }
  // prod.tfvars next to a root or in an envs/ directory: values a scan would silently miss.
  for (const directory of [...varFilesByDirectory.keys()].sort())
    for (const file of varFilesByDirectory.get(directory)?.values() ?? [])
      if (!used.has(file.path))
        notes.add(
          `${file.path}: not loaded automatically by Terraform; pass it with --var-file to check with its values`,
        );

  return { models, diagnostics, notes: [...notes], parsed: parsedFiles, files: [...files] };
}

function readVarFile(path: string, text: string, parser: HclParser, diagnostics: ScanDiagnostic[]): VarFile {
  if (path.endsWith(".json")) {
    const result = varFileFromJson(path, text);
    diagnostics.push(...result.diagnostics);
    return result.file;
  }
  const result = parser.parse(text, path);
  diagnostics.push(...result.diagnostics);
  return varFileFromHcl(result.file);
}

export function displayPath(root: string, absolute: string): string {
  return relative(root, absolute).split(sep).join("/");
}

async function readModuleDirectory(
  root: string,
  directory: string,
): Promise<{ path: string; text: string }[] | undefined> {
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return undefined;
  const out: { path: string; text: string }[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!entry.isFile() || !isConfigurationFile(entry.name)) continue;
    const absolute = join(directory, entry.name);
    const text = await readFile(absolute, "utf8").catch(() => undefined);
    if (text === undefined || text.length > MAX_FILE_BYTES) continue;
    out.push({ path: displayPath(root, absolute), text });
  }
  return out.length > 0 ? out : undefined;
}

/**
 * `.terraform/modules/modules.json`, written by `terraform init`: where each module call's
 * source was downloaded, by module key (`vpc`, `web.sg`).
 */
async function readModuleManifest(directory: string): Promise<Map<string, string> | undefined> {
  const text = await readFile(join(directory, ".terraform", "modules", "modules.json"), "utf8").catch(
    () => undefined,
  );
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const modules = (parsed as { Modules?: unknown }).Modules;
  if (!Array.isArray(modules)) return undefined;
  const out = new Map<string, string>();
  for (const entry of modules as { Key?: unknown; Dir?: unknown }[])
    if (typeof entry.Key === "string" && entry.Key !== "" && typeof entry.Dir === "string")
      out.set(entry.Key, resolve(directory, entry.Dir));
  return out;
}

/**
 * Scanned directories that no other scanned directory calls; directories only reachable
 * through a cycle of calls are roots too, so nothing scanned goes unevaluated.
 */
function rootDirectories(configs: ReadonlyMap<string, ModuleConfig>, scanned: ReadonlySet<string>): string[] {
  const callees = (config: ModuleConfig) =>
    [...config.moduleCalls.values()]
      .filter((call) => call.source !== undefined && isLocalSource(call.source))
      .map((call) => resolve(config.dir, call.source ?? "."));
  const called = new Set<string>();
  for (const directory of scanned) {
    const config = configs.get(directory);
    if (config) for (const callee of callees(config)) if (callee !== directory) called.add(callee);
  }
  const roots = [...scanned].filter((d) => !called.has(d)).sort();
  const reached = new Set<string>();
  const visit = (directory: string) => {
    if (reached.has(directory)) return;
    reached.add(directory);
    const config = configs.get(directory);
    if (config) for (const callee of callees(config)) visit(callee);
  };
  roots.forEach(visit);
  for (const directory of [...scanned].sort())
    if (!reached.has(directory)) {
      roots.push(directory);
      visit(directory);
    }
  return roots;
}
