/**
 * `terraform show -json` output to a TerraformModel. A plan knows what HCL evaluation can only
 * estimate (every module, variable and count resolved), so its values are taken as they are:
 * `planned_values` gives the resources, `resource_changes[].change.after_unknown` marks what is
 * only known after apply (UNKNOWN), and `configuration` gives the references between resources.
 * Nested blocks appear in plans as lists of objects and are read back as blocks, so rules see
 * the same shapes as from HCL. Spans point into the plan file.
 * https://developer.hashicorp.com/terraform/internals/json-format
 */
import type { ScanDiagnostic, SourceSpan } from "../model.js";
import { fromJson } from "./functions.js";
import { parseJsonSource, JsonSyntaxError, jsonMember, jsonValue, type JsonNode } from "./json-source.js";
import {
  UNKNOWN,
  addressSteps,
  type HclValue,
  type TerraformModel,
  type TfAttribute,
  type TfBlock,
  type TfResource,
} from "./model.js";

/** Whether a JSON file is a plan (or state) rendered by `terraform show -json`. */
export function isPlanJson(path: string, text: string): boolean {
  if (!path.endsWith(".json") || path.endsWith(".tf.json") || path.endsWith(".tfvars.json")) return false;
  const head = text.slice(0, 4096);
  if (!head.includes('"format_version"')) return false;
  return (
    text.includes('"planned_values"') ||
    text.includes('"resource_changes"') ||
    head.includes('"terraform_version"')
  );
}

export function loadPlan(
  path: string,
  text: string,
): { model: TerraformModel | undefined; diagnostics: ScanDiagnostic[] } {
  let root: JsonNode;
  try {
    root = parseJsonSource(text, path);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    return {
      model: undefined,
      diagnostics: [{ span: error.span, message: `invalid plan JSON: ${error.message}` }],
    };
  }
  const planned = jsonMember(jsonMember(root, "planned_values") ?? jsonMember(root, "values"), "root_module");
  if (!planned)
    return {
      model: undefined,
      diagnostics: [
        { span: { file: path, line: 1, column: 1 }, message: "plan JSON has no planned_values.root_module" },
      ],
    };
  const unknownByAddress = afterUnknown(jsonMember(root, "resource_changes"));
  const expressions = new Map<string, JsonNode>();
  configurationExpressions(jsonMember(jsonMember(root, "configuration"), "root_module"), "", expressions);
  const resources: TfResource[] = [];
  collectModule(planned, resources, unknownByAddress, expressions, path);
  const directory = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
  return { model: { resources, directory }, diagnostics: [] };
}

function afterUnknown(changes: JsonNode | undefined): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (changes?.kind !== "array") return out;
  for (const change of changes.items) {
    const address = jsonMember(change, "address");
    const mask = jsonMember(jsonMember(change, "change"), "after_unknown");
    if (address?.kind === "value" && typeof address.value === "string" && mask)
      out.set(address.value, jsonValue(mask));
  }
  return out;
}

/** `configuration` resources by config address (`module.web.aws_s3_bucket.b`): their expressions. */
function configurationExpressions(
  module: JsonNode | undefined,
  prefix: string,
  out: Map<string, JsonNode>,
): void {
  const resources = jsonMember(module, "resources");
  if (resources?.kind === "array")
    for (const resource of resources.items) {
      const address = jsonMember(resource, "address");
      const expressions = jsonMember(resource, "expressions");
      if (address?.kind === "value" && typeof address.value === "string" && expressions)
        out.set(prefix + address.value, expressions);
    }
  const calls = jsonMember(module, "module_calls");
  if (calls?.kind === "object")
    for (const call of calls.entries)
      configurationExpressions(jsonMember(call.value, "module"), `${prefix}module.${call.key}.`, out);
}

function collectModule(
  module: JsonNode,
  out: TfResource[],
  unknown: ReadonlyMap<string, unknown>,
  expressions: ReadonlyMap<string, JsonNode>,
  path: string,
): void {
  const resources = jsonMember(module, "resources");
  if (resources?.kind === "array")
    for (const node of resources.items) {
      const resource = planResource(node, unknown, expressions, path);
      if (resource) out.push(resource);
    }
  const children = jsonMember(module, "child_modules");
  if (children?.kind === "array")
    for (const child of children.items) collectModule(child, out, unknown, expressions, path);
}

function str(node: JsonNode | undefined): string | undefined {
  return node?.kind === "value" && typeof node.value === "string" ? node.value : undefined;
}

function planResource(
  node: JsonNode,
  unknown: ReadonlyMap<string, unknown>,
  expressions: ReadonlyMap<string, JsonNode>,
  path: string,
): TfResource | undefined {
  const address = str(jsonMember(node, "address"));
  const type = str(jsonMember(node, "type"));
  const name = str(jsonMember(node, "name"));
  if (!address || !type || !name) return undefined;
  const mode = str(jsonMember(node, "mode")) === "data" ? "data" : "managed";
  const addressEntry = node.kind === "object" ? node.entries.find((e) => e.key === "address") : undefined;
  const span: SourceSpan = addressEntry ? headerOf(addressEntry.keySpan) : { file: path, line: 1, column: 1 };
  const configAddress = stripKeys(address);
  const indexNode = jsonMember(node, "index");
  const index =
    indexNode?.kind === "value" &&
    (typeof indexNode.value === "number" || typeof indexNode.value === "string")
      ? indexNode.value
      : undefined;
  const valuesNode = jsonMember(node, "values");
  const values = applyUnknown(valuesNode ? fromJson(jsonValue(valuesNode)) : {}, unknown.get(address));
  const body = planBlock(
    mode === "data" ? "data" : "resource",
    [type, name],
    values,
    valuesNode,
    expressions.get(configAddress),
    span,
    configPrefix(configAddress),
  );
  return {
    mode,
    type,
    name,
    address,
    configAddress,
    index,
    modulePath: moduleNames(address),
    body,
    span,
    enclosing: [],
    origin: "plan",
  };
}

function headerOf(span: SourceSpan): SourceSpan {
  return { file: span.file, line: span.line, column: span.column };
}

/** Values marked `true` in `after_unknown` become UNKNOWN. */
export function applyUnknown(value: HclValue, mask: unknown): HclValue {
  if (mask === true) return UNKNOWN;
  if (Array.isArray(mask)) {
    const list = Array.isArray(value) ? [...value] : [];
    mask.forEach((m, i) => {
      if (m === true || (m !== null && typeof m === "object")) list[i] = applyUnknown(list[i] ?? null, m);
    });
    return Array.isArray(value) || mask.some((m) => m === true) ? list : value;
  }
  if (mask !== null && typeof mask === "object") {
    if (value === UNKNOWN) return value;
    const object: { [key: string]: HclValue } =
      value !== null && typeof value === "object" && !Array.isArray(value) ? { ...value } : {};
    for (const [key, m] of Object.entries(mask as Record<string, unknown>)) {
      if (m === false) continue;
      object[key] = applyUnknown(object[key] ?? null, m);
    }
    return object;
  }
  return value;
}

function isPlainObject(value: HclValue): value is { [key: string]: HclValue } {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A plan object as a block: lists of objects become repeated nested blocks. */
function planBlock(
  type: string,
  labels: string[],
  value: HclValue,
  node: JsonNode | undefined,
  expressions: JsonNode | undefined,
  span: SourceSpan,
  prefix: string,
): TfBlock {
  const attributes = new Map<string, TfAttribute>();
  const blocks: TfBlock[] = [];
  if (isPlainObject(value))
    for (const [key, item] of Object.entries(value)) {
      const keyNode = node?.kind === "object" ? node.entries.find((e) => e.key === key) : undefined;
      const itemSpan = keyNode ? headerOf(keyNode.keySpan) : span;
      const expression = jsonMember(expressions, key);
      if (Array.isArray(item) && item.length > 0 && item.every(isPlainObject)) {
        item.forEach((element, i) => {
          const elementNode = keyNode?.value.kind === "array" ? keyNode.value.items[i] : undefined;
          const elementExpressions =
            expression?.kind === "array" ? (expression.items[i] ?? expression.items[0]) : undefined;
          const elementSpan = elementNode ? headerOf(elementNode.span) : itemSpan;
          blocks.push(planBlock(key, [], element, elementNode, elementExpressions, elementSpan, prefix));
        });
        continue;
      }
      attributes.set(key, {
        name: key,
        value: item,
        span: itemSpan,
        provenance: [],
        references: expressionReferences(expression, prefix),
      });
    }
  return { type, labels, span, attributes, blocks };
}

const NOT_RESOURCES = new Set(["var", "local", "module", "each", "count", "path", "terraform", "self"]);

/** `references` of a configuration expression, as resource addresses with the module prefix. */
function expressionReferences(expression: JsonNode | undefined, prefix: string): string[] {
  const references = jsonMember(expression, "references");
  if (references?.kind !== "array") return [];
  const out = new Set<string>();
  for (const item of references.items) {
    const reference = str(item);
    if (!reference) continue;
    const steps = addressSteps(reference);
    const first = steps[0]?.replace(/\[.*$/, "") ?? "";
    if (NOT_RESOURCES.has(first)) continue;
    const length = first === "data" ? 3 : 2;
    if (steps.length < length) continue;
    const instance = steps.slice(0, length).join(".");
    out.add(prefix + stripKeys(instance));
    if (instance.includes("[")) out.add(prefix + instance);
  }
  return [...out];
}

/** `module.a["x"].aws_s3_bucket.b[0]` to `module.a.aws_s3_bucket.b`. */
function stripKeys(address: string): string {
  return address.replace(/\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\]/g, "");
}

function configPrefix(configAddress: string): string {
  const steps = configAddress.split(".");
  const out: string[] = [];
  for (let i = 0; i + 1 < steps.length && steps[i] === "module"; i += 2)
    out.push(`module.${steps[i + 1] ?? ""}.`);
  return out.join("");
}

function moduleNames(address: string): string[] {
  const steps = stripKeys(address).split(".");
  const out: string[] = [];
  for (let i = 0; i + 1 < steps.length && steps[i] === "module"; i += 2) out.push(steps[i + 1] ?? "");
  return out;
}
