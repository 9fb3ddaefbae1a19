/**
 * One module instance under evaluation: its variables as its caller set them, its locals,
 * resources (expanded by count and for_each, dynamic blocks included) and module calls, each
 * evaluated once on first use, so references between them resolve in any order and a
 * reference cycle ends as UNKNOWN instead of a loop.
 */
import { readFileSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import type { SourceSpan } from "../model.js";
import { MAX_FILE_BYTES } from "../files.js";
import {
  isLocalSource,
  resourceKey,
  type ModuleCallDecl,
  type ModuleConfig,
  type ResourceDecl,
} from "./config.js";
import {
  Scope,
  attributeBinding,
  evaluateBinding,
  type Binding,
  type Collection,
  type InstanceValue,
  type ModuleScope,
} from "./evaluate.js";
import { toSet, type FunctionContext } from "./functions.js";
import {
  UNKNOWN,
  blockValue,
  type HclValue,
  type TfAttribute,
  type TfBlock,
  type TfResource,
} from "./model.js";
import type { HclParser } from "./parser.js";
import type { Block } from "./syntax.js";
import { convertToType } from "./types.js";
import { isObject, openObject, sortedKeys, type HclObject } from "./values.js";
import { CONSTANT_SCOPE, evaluateConstant } from "./variables.js";

/** Beyond these, expansion stops with a note: a scan must finish on any input. */
const MAX_INSTANCES = 1000;
const MAX_MODULE_DEPTH = 16;
const MAX_RESOURCES = 200_000;

/** Module call arguments that configure the call rather than set the module's variables. */
const MODULE_META = new Set(["source", "version", "count", "for_each", "providers", "depends_on"]);

/** What the module instances of one root share: configurations, files read, notes. */
export class RootContext {
  private readonly fileCache = new Map<string, string | undefined>();
  private readonly templates = new Map<string, ReturnType<HclParser["template"]>>();
  resourceCount = 0;

  constructor(
    readonly configs: ReadonlyMap<string, ModuleConfig>,
    readonly parser: HclParser,
    readonly rootDir: string,
    readonly notes: Set<string>,
    /** Directories of downloaded modules by module key (`web.vpc`), from `terraform init`. */
    readonly downloaded: ReadonlyMap<string, string> | undefined,
  ) {}

  readFile(path: string): string | undefined {
    if (this.fileCache.has(path)) return this.fileCache.get(path);
    let text: string | undefined;
    try {
      const buffer = readFileSync(path);
      text = buffer.length > MAX_FILE_BYTES ? undefined : buffer.toString("utf8");
    } catch {
      text = undefined;
    }
    this.fileCache.set(path, text);
    return text;
  }

  template(text: string, path: string) {
    const key = `${path}\0${text}`;
    let expr = this.templates.get(key);
    if (!expr) {
      expr = this.parser.template(text, path);
      this.templates.set(key, expr);
    }
    return expr;
  }
}

export interface InstancePlace {
  /** `module.web["a"].` for resources of that instance; "" in the root. */
  instancePrefix: string;
  /** `module.web.`: the same without instance keys. */
  configPrefix: string;
  modulePath: string[];
  enclosing: SourceSpan[];
  /** Directories of the calling modules, to stop call cycles. */
  ancestors: string[];
}

interface Expansion {
  shape: Collection["shape"];
  instances: { key: number | string | undefined; names: Map<string, Binding> | undefined }[];
}

interface ResourceEvaluation {
  collection: Collection;
  resources: TfResource[];
}

interface CallEvaluation {
  collection: Collection;
  children: ModuleInstance[];
}

function keySuffix(key: number | string | undefined, shape: Collection["shape"]): string {
  if (shape === "unknown") return "[?]";
  if (key === undefined) return "";
  return typeof key === "number" ? `[${key}]` : `[${JSON.stringify(key)}]`;
}

/** One evaluated instance of a module: the root, or a module call's instance. */
export class ModuleInstance implements ModuleScope {
  private readonly locals = new Map<string, Binding | null>();
  private readonly resources = new Map<string, ResourceEvaluation | null>();
  private readonly calls = new Map<string, CallEvaluation | null>();
  private readonly outputs = new Map<string, Binding | null>();
  readonly functions: FunctionContext;

  constructor(
    private readonly context: RootContext,
    private readonly config: ModuleConfig,
    private readonly inputs: ReadonlyMap<string, Binding>,
    private readonly place: InstancePlace,
  ) {
    this.functions = {
      // Terraform reads relative paths from the working directory (the root module), which is
      // why modules write "${path.module}/x"; a bare name inside a module falls back to the
      // module's own directory, where its author meant it.
      readFile: (path) =>
        this.context.readFile(resolve(this.context.rootDir, path)) ??
        this.context.readFile(resolve(this.config.dir, path)),
      renderTemplate: (text, vars, path) => {
        const names = new Map<string, Binding>();
        for (const [name, value] of Object.entries(vars))
          names.set(name, { value, provenance: [], references: [] });
        const scope = Scope.of({ ...CONSTANT_SCOPE, functions: this.functions }).with(names);
        return evaluateBinding(this.context.template(text, path), scope).value;
      },
    };
  }

  variable(name: string): Binding | undefined {
    if (!this.config.variables.has(name)) return undefined;
    return this.inputs.get(name) ?? { value: UNKNOWN, provenance: [], references: [] };
  }

  local(name: string): Binding | undefined {
    const cached = this.locals.get(name);
    if (cached) return cached;
    const attribute = this.config.locals.get(name);
    if (!attribute) return undefined;
    if (cached === null) return { value: UNKNOWN, provenance: [], references: [] };
    this.locals.set(name, null);
    const result = evaluateBinding(attribute.expr, Scope.of(this));
    const binding: Binding = {
      value: result.value,
      provenance: [{ description: `local.${name}`, span: attribute.span }, ...result.provenance],
      references: result.references,
    };
    this.locals.set(name, binding);
    return binding;
  }

  path(name: string): string | undefined {
    if (name === "module") {
      const path = relative(this.context.rootDir, this.config.dir).split(sep).join("/");
      return path === "" ? "." : path;
    }
    if (name === "root" || name === "cwd") return ".";
    return undefined;
  }

  output(name: string): Binding | undefined {
    const cached = this.outputs.get(name);
    if (cached) return cached;
    const decl = this.config.outputs.get(name);
    if (!decl) return undefined;
    if (cached === null || !decl.value) return { value: UNKNOWN, provenance: [], references: [] };
    this.outputs.set(name, null);
    const binding = evaluateBinding(decl.value.expr, Scope.of(this));
    this.outputs.set(name, binding);
    return binding;
  }

  resource(mode: "managed" | "data", type: string, name: string): Collection | undefined {
    const decl = this.config.resourcesByKey.get(resourceKey(mode, type, name));
    if (!decl) return undefined;
    return this.evaluateResource(decl)?.collection;
  }

  moduleCall(name: string): Collection | undefined {
    if (!this.config.moduleCalls.has(name)) return undefined;
    return this.evaluateCall(name).collection;
  }

  /** Appends the resources of this instance and of the modules it calls. */
  collect(out: TfResource[]): void {
    for (const decl of this.config.resources) {
      const evaluation = this.evaluateResource(decl);
      if (evaluation) out.push(...evaluation.resources);
    }
    for (const name of this.config.moduleCalls.keys())
      for (const child of this.evaluateCall(name).children) child.collect(out);
  }

  private resourceAddress(decl: ResourceDecl): string {
    return `${decl.mode === "data" ? "data." : ""}${decl.type}.${decl.name}`;
  }

  private evaluateResource(decl: ResourceDecl): ResourceEvaluation | undefined {
    const key = resourceKey(decl.mode, decl.type, decl.name);
    const cached = this.resources.get(key);
    const configAddress = this.place.configPrefix + this.resourceAddress(decl);
    if (cached) return cached;
    if (cached === null)
      return { collection: { shape: "unknown", instances: new Map(), configAddress }, resources: [] };
    this.resources.set(key, null);
    const base = Scope.of(this);
    const local = this.place.instancePrefix + this.resourceAddress(decl);
    const expansion = this.expand(decl.block, base, local);
    const instances = new Map<string | number, InstanceValue>();
    const resources: TfResource[] = [];
    for (const { key: index, names } of expansion.instances) {
      if (this.context.resourceCount >= MAX_RESOURCES) {
        this.context.notes.add(`more than ${MAX_RESOURCES} resource instances: the rest were not checked`);
        break;
      }
      this.context.resourceCount++;
      const scope = names ? base.with(names) : base;
      const body = this.evaluateBlock(decl.block, scope, true);
      const address = local + keySuffix(index, expansion.shape);
      let value: HclValue | undefined;
      const instance: InstanceValue = {
        address,
        get value() {
          value ??= openObject(blockValue(body));
          return value;
        },
        member: (name) => {
          const attribute = body.attributes.get(name);
          return attribute ? attributeBinding(attribute) : undefined;
        },
      };
      instances.set(index ?? 0, instance);
      resources.push({
        mode: decl.mode,
        type: decl.type,
        name: decl.name,
        address,
        configAddress,
        index,
        indexUnknown: expansion.shape === "unknown" ? true : undefined,
        modulePath: this.place.modulePath,
        body,
        span: decl.block.span,
        enclosing: this.place.enclosing,
        origin: "hcl",
      });
    }
    const evaluation: ResourceEvaluation = {
      collection: { shape: expansion.shape, instances, configAddress },
      resources,
    };
    this.resources.set(key, evaluation);
    return evaluation;
  }

  /** count / for_each into instance keys with their `count`/`each` bindings. */
  private expand(block: Block, scope: Scope, address: string): Expansion {
    const count = block.body.attributes.find((a) => a.name === "count");
    const forEach = block.body.attributes.find((a) => a.name === "for_each");
    if (count) {
      const binding = evaluateBinding(count.expr, scope);
      const value =
        typeof binding.value === "string" && /^\d+$/.test(binding.value)
          ? Number(binding.value)
          : binding.value;
      const bound = (index: HclValue) =>
        new Map<string, Binding>([
          ["count", { value: { index }, provenance: binding.provenance, references: binding.references }],
        ]);
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
        this.context.notes.add(
          `${address}: count is not known statically; checked as one instance ${address}[?]`,
        );
        return { shape: "unknown", instances: [{ key: undefined, names: bound(UNKNOWN) }] };
      }
      const n = this.capped(Math.floor(value), address);
      return { shape: "list", instances: Array.from({ length: n }, (_, i) => ({ key: i, names: bound(i) })) };
    }
    if (forEach) {
      const binding = evaluateBinding(forEach.expr, scope);
      const bound = (key: HclValue, value: HclValue) =>
        new Map<string, Binding>([
          ["each", { value: { key, value }, provenance: binding.provenance, references: binding.references }],
        ]);
      const entries = forEachEntries(binding.value);
      if (!entries) {
        this.context.notes.add(
          `${address}: for_each is not known statically; checked as one instance ${address}[?]`,
        );
        return { shape: "unknown", instances: [{ key: undefined, names: bound(UNKNOWN, UNKNOWN) }] };
      }
      const kept = entries.slice(0, this.capped(entries.length, address));
      return { shape: "map", instances: kept.map(([key, value]) => ({ key, names: bound(key, value) })) };
    }
    return { shape: "single", instances: [{ key: undefined, names: undefined }] };
  }

  private capped(n: number, address: string): number {
    if (n <= MAX_INSTANCES) return n;
    this.context.notes.add(`${address}: ${n} instances; only the first ${MAX_INSTANCES} were checked`);
    return MAX_INSTANCES;
  }

  private evaluateBlock(
    block: Block,
    scope: Scope,
    resource: boolean,
    type = block.type,
    labels = block.labels,
  ): TfBlock {
    const attributes = new Map<string, TfAttribute>();
    for (const attribute of block.body.attributes) {
      const binding =
        resource && attribute.name === "provider"
          ? providerReference(attribute.expr)
          : evaluateBinding(attribute.expr, scope);
      attributes.set(attribute.name, {
        name: attribute.name,
        value: binding.value,
        span: attribute.span,
        provenance: binding.provenance,
        references: binding.references,
      });
    }
    const blocks: TfBlock[] = [];
    for (const nested of block.body.blocks) {
      if (nested.type === "dynamic") blocks.push(...this.expandDynamic(nested, scope));
      else blocks.push(this.evaluateBlock(nested, scope, false));
    }
    return { type, labels, span: block.span, attributes, blocks };
  }

  /**
   * `dynamic "ingress" { for_each = ...; content { ... } }` into one `ingress` block per
   * element. With an unknown for_each, one block whose iterator is UNKNOWN stands for them.
   */
  private expandDynamic(block: Block, scope: Scope): TfBlock[] {
    const type = block.labels[0];
    const content = block.body.blocks.find((b) => b.type === "content");
    if (type === undefined || !content) return [];
    const attribute = (name: string) => block.body.attributes.find((a) => a.name === name);
    const iteratorExpr = attribute("iterator")?.expr;
    const iterator = iteratorExpr?.kind === "variable" ? iteratorExpr.name : type;
    const forEach = attribute("for_each");
    const binding: Binding = forEach
      ? evaluateBinding(forEach.expr, scope)
      : { value: UNKNOWN, provenance: [], references: [] };
    const labelsExpr = attribute("labels")?.expr;
    let entries: [HclValue, HclValue][];
    const collection = binding.value;
    if (Array.isArray(collection)) entries = collection.map((v, i) => [i, v]);
    else if (isObject(collection)) {
      const map = collection;
      entries = sortedKeys(map).map((k) => [k, map[k] ?? null]);
    } else entries = [[UNKNOWN, UNKNOWN]];
    return entries.slice(0, MAX_INSTANCES).map(([key, value]) => {
      const names = new Map<string, Binding>([
        [iterator, { value: { key, value }, provenance: binding.provenance, references: binding.references }],
      ]);
      const inner = scope.with(names);
      let labels: string[] = [];
      if (labelsExpr) {
        const evaluated = evaluateBinding(labelsExpr, inner).value;
        if (Array.isArray(evaluated)) labels = evaluated.filter((l): l is string => typeof l === "string");
      }
      const evaluated = this.evaluateBlock(content, inner, false, type, labels);
      return { ...evaluated, span: block.span };
    });
  }

  private evaluateCall(name: string): CallEvaluation {
    const cached = this.calls.get(name);
    if (cached) return cached;
    const unknown: CallEvaluation = {
      collection: { shape: "unknown", instances: new Map(), configAddress: undefined },
      children: [],
    };
    if (cached === null) return unknown;
    const decl = this.config.moduleCalls.get(name);
    if (!decl) return unknown;
    this.calls.set(name, null);
    const evaluation = this.evaluateCallUncached(decl) ?? unknown;
    this.calls.set(name, evaluation);
    return evaluation;
  }

  private evaluateCallUncached(decl: ModuleCallDecl): CallEvaluation | undefined {
    const where = `${decl.block.span.file}:${decl.block.span.line}`;
    const label = `module "${decl.name}"`;
    if (decl.source === undefined) {
      this.context.notes.add(`${where}: ${label} has no literal source; not evaluated`);
      return undefined;
    }
    const downloaded = this.context.downloaded?.get([...this.place.modulePath, decl.name].join("."));
    if (!isLocalSource(decl.source) && !downloaded) {
      this.context.notes.add(
        `${where}: ${label} from ${decl.source} not evaluated: remote sources are not downloaded; its outputs are unknown (after \`terraform init\`, modules in .terraform/modules are read)`,
      );
      return undefined;
    }
    const directory = isLocalSource(decl.source) ? resolve(this.config.dir, decl.source) : (downloaded ?? "");
    const child = this.context.configs.get(directory);
    if (!child) {
      this.context.notes.add(`${where}: ${label}: no Terraform files in ${decl.source}; not evaluated`);
      return undefined;
    }
    if (this.place.ancestors.includes(directory) || directory === this.config.dir) {
      this.context.notes.add(
        `${where}: ${label} calls itself through ${decl.source}; the cycle is not followed`,
      );
      return undefined;
    }
    if (this.place.modulePath.length >= MAX_MODULE_DEPTH) {
      this.context.notes.add(
        `${where}: ${label} nested deeper than ${MAX_MODULE_DEPTH} modules; not evaluated`,
      );
      return undefined;
    }
    const base = Scope.of(this);
    const local = `${this.place.instancePrefix}module.${decl.name}`;
    const expansion = this.expand(decl.block, base, local);
    const instances = new Map<string | number, InstanceValue>();
    const children: ModuleInstance[] = [];
    for (const { key, names } of expansion.instances) {
      const scope = names ? base.with(names) : base;
      const args = new Map<string, Binding>();
      for (const attribute of decl.block.body.attributes) {
        if (MODULE_META.has(attribute.name)) continue;
        const binding = evaluateBinding(attribute.expr, scope);
        args.set(attribute.name, {
          value: binding.value,
          provenance: [
            { description: `${label} argument ${attribute.name}`, span: attribute.span },
            ...binding.provenance,
          ],
          references: binding.references,
        });
      }
      const address = local + keySuffix(key, expansion.shape);
      const instance = new ModuleInstance(this.context, child, childInputs(child, args), {
        instancePrefix: `${address}.`,
        configPrefix: `${this.place.configPrefix}module.${decl.name}.`,
        modulePath: [...this.place.modulePath, decl.name],
        enclosing: [...this.place.enclosing, decl.block.span],
        ancestors: [...this.place.ancestors, this.config.dir],
      });
      children.push(instance);
      let value: HclObject | undefined;
      instances.set(key ?? 0, {
        address,
        get value() {
          if (!value) {
            value = {};
            for (const output of child.outputs.keys())
              value[output] = instance.output(output)?.value ?? UNKNOWN;
          }
          return value;
        },
        member: (output) => instance.output(output),
      });
    }
    return { collection: { shape: expansion.shape, instances, configAddress: undefined }, children };
  }
}

/**
 * A child module's variables from the call's arguments, else the declared defaults. A null
 * argument stays null unless the variable is `nullable = false`, as in Terraform.
 */
function childInputs(config: ModuleConfig, args: ReadonlyMap<string, Binding>): Map<string, Binding> {
  const out = new Map<string, Binding>();
  for (const decl of config.variables.values()) {
    const given = args.get(decl.name);
    const nullable = decl.block.body.attributes.find((a) => a.name === "nullable");
    const useDefault =
      given === undefined || (given.value === null && nullable && evaluateConstant(nullable.expr) === false);
    if (given && !useDefault) {
      out.set(decl.name, { ...given, value: convertToType(given.value, decl.type, evaluateConstant) });
    } else if (decl.default) {
      out.set(decl.name, {
        value: convertToType(evaluateConstant(decl.default.expr), decl.type, evaluateConstant),
        provenance: [{ description: `variable "${decl.name}" default`, span: decl.default.span }],
        references: [],
      });
    } else if (given) {
      out.set(decl.name, given);
    }
  }
  return out;
}

/** for_each keys and values: maps by key, sets of strings by value; undefined when unknown. */
function forEachEntries(value: HclValue): [string, HclValue][] | undefined {
  if (isObject(value)) return sortedKeys(value).map((key) => [key, value[key] ?? null]);
  if (Array.isArray(value)) {
    if (!value.every((v) => typeof v === "string")) return undefined;
    return (toSet(value) as string[]).map((key) => [key, key]);
  }
  return undefined;
}

/** `provider = aws.west` names a provider configuration; kept as its text. */
function providerReference(expr: Block["body"]["attributes"][number]["expr"]): Binding {
  const parts: string[] = [];
  let at = expr;
  while (at.kind === "attr") {
    parts.unshift(at.name);
    at = at.target;
  }
  const value = at.kind === "variable" ? [at.name, ...parts].join(".") : UNKNOWN;
  return { value, provenance: [], references: [] };
}
