/**
 * One directory of `.tf` files read as a Terraform module: its variables, locals, outputs,
 * resources, data sources and module calls. Terraform merges every `.tf` file of a directory
 * into one module, so does this; the first of two duplicate declarations wins (Terraform
 * rejects the configuration, and the scan should still go on).
 */
import type { Attribute, Block, ParsedFile } from "./syntax.js";
import { parseType, type TypeSpec } from "./types.js";

export interface VariableDecl {
  name: string;
  block: Block;
  type: TypeSpec;
  default: Attribute | undefined;
}

export interface OutputDecl {
  name: string;
  value: Attribute | undefined;
}

export interface ResourceDecl {
  mode: "managed" | "data";
  type: string;
  name: string;
  block: Block;
}

export interface ModuleCallDecl {
  name: string;
  block: Block;
  /** The literal `source`, when it is one. */
  source: string | undefined;
}

export interface ModuleConfig {
  /** Absolute directory. */
  dir: string;
  /** Directory relative to the scan root, with forward slashes ("" for the root itself). */
  path: string;
  files: ParsedFile[];
  variables: Map<string, VariableDecl>;
  locals: Map<string, Attribute>;
  outputs: Map<string, OutputDecl>;
  resources: ResourceDecl[];
  resourcesByKey: Map<string, ResourceDecl>;
  moduleCalls: Map<string, ModuleCallDecl>;
}

export function resourceKey(mode: "managed" | "data", type: string, name: string): string {
  return `${mode}.${type}.${name}`;
}

export function buildModuleConfig(dir: string, path: string, files: ParsedFile[]): ModuleConfig {
  const config: ModuleConfig = {
    dir,
    path,
    files,
    variables: new Map(),
    locals: new Map(),
    outputs: new Map(),
    resources: [],
    resourcesByKey: new Map(),
    moduleCalls: new Map(),
  };
  // Override files are merged into the blocks they name, after every other file.
  // https://developer.hashicorp.com/terraform/language/files/override
  const overrides = files.filter((f) => isOverrideFile(f.path));
  for (const file of files)
    if (!overrides.includes(file)) for (const block of file.body.blocks) addBlock(config, block);
  for (const file of overrides) for (const block of file.body.blocks) overrideBlock(config, block);
  return config;
}

export function isOverrideFile(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return /^(?:.*_)?override\.tf(?:\.json)?$/.test(name);
}

/** Attributes of `override` replace those of `base`; its nested blocks replace all of that type. */
function mergeBlocks(base: Block, override: Block): Block {
  const names = new Set(override.body.attributes.map((a) => a.name));
  const types = new Set(override.body.blocks.map((b) => b.type));
  return {
    ...base,
    body: {
      attributes: [...base.body.attributes.filter((a) => !names.has(a.name)), ...override.body.attributes],
      blocks: [...base.body.blocks.filter((b) => !types.has(b.type)), ...override.body.blocks],
    },
  };
}

function overrideBlock(config: ModuleConfig, block: Block): void {
  const [first, second] = block.labels;
  const replace = (existing: Block | undefined) => {
    if (!existing) {
      addBlock(config, block);
      return;
    }
    addBlock(config, mergeBlocks(existing, block), true);
  };
  switch (block.type) {
    case "locals":
      for (const attribute of block.body.attributes) config.locals.set(attribute.name, attribute);
      return;
    case "variable":
      return replace(first === undefined ? undefined : config.variables.get(first)?.block);
    case "output": {
      const existing = first === undefined ? undefined : config.outputs.get(first);
      if (!existing || !first) return addBlock(config, block);
      const value = block.body.attributes.find((a) => a.name === "value");
      if (value) config.outputs.set(first, { name: first, value });
      return;
    }
    case "resource":
    case "data":
      if (first === undefined || second === undefined) return;
      return replace(
        config.resourcesByKey.get(resourceKey(block.type === "data" ? "data" : "managed", first, second))
          ?.block,
      );
    case "module":
      return replace(first === undefined ? undefined : config.moduleCalls.get(first)?.block);
    default:
      return;
  }
}

/** Adds a declaration; `replace` puts a merged one in the place of the original. */
function addBlock(config: ModuleConfig, block: Block, replace = false): void {
  const [first, second] = block.labels;
  switch (block.type) {
    case "variable": {
      if (first === undefined || (config.variables.has(first) && !replace)) return;
      const type = block.body.attributes.find((a) => a.name === "type");
      config.variables.set(first, {
        name: first,
        block,
        type: type ? parseType(type.expr) : { kind: "any" },
        default: block.body.attributes.find((a) => a.name === "default"),
      });
      return;
    }
    case "locals":
      for (const attribute of block.body.attributes)
        if (!config.locals.has(attribute.name)) config.locals.set(attribute.name, attribute);
      return;
    case "output":
      if (first === undefined || config.outputs.has(first)) return;
      config.outputs.set(first, {
        name: first,
        value: block.body.attributes.find((a) => a.name === "value"),
      });
      return;
    case "resource":
    case "data": {
      if (first === undefined || second === undefined) return;
      const mode = block.type === "data" ? "data" : "managed";
      const key = resourceKey(mode, first, second);
      const existing = config.resourcesByKey.get(key);
      if (existing && !replace) return;
      const decl: ResourceDecl = { mode, type: first, name: second, block };
      if (existing) config.resources[config.resources.indexOf(existing)] = decl;
      else config.resources.push(decl);
      config.resourcesByKey.set(key, decl);
      return;
    }
    case "module": {
      if (first === undefined || (config.moduleCalls.has(first) && !replace)) return;
      const source = block.body.attributes.find((a) => a.name === "source")?.expr;
      let literal: string | undefined;
      if (source?.kind === "literal" && typeof source.value === "string") literal = source.value;
      else if (
        source?.kind === "template" &&
        source.parts.length === 1 &&
        source.parts[0]?.kind === "literal"
      )
        literal = source.parts[0].text;
      config.moduleCalls.set(first, { name: first, block, source: literal });
      return;
    }
    default:
      return;
  }
}

/** `./x`, `../x` (and Windows spellings): a module read from disk, not downloaded. */
export function isLocalSource(source: string): boolean {
  return /^\.\.?[/\\]/.test(source);
}
