// Hand-built evaluated resources, so rule behaviour on UNKNOWN values, plan-style attributes
// and references is tested without the HCL front end.
import type { Provenance, Report } from "../../../src/guardrails/model.js";
import type {
  HclValue,
  TerraformModel,
  TfAttribute,
  TfBlock,
  TfResource,
} from "../../../src/guardrails/terraform/model.js";
import { terraformRules } from "../../../src/guardrails/terraform/rules/index.js";

let line = 1;
const nextSpan = () => ({ file: "main.tf", line: line++, column: 3 });

/** An attribute value with where it came from and what it refers to. */
export interface Traced {
  traced: true;
  value: HclValue;
  provenance?: Provenance[];
  references?: string[];
}

export function traced(value: HclValue, extra: Omit<Traced, "traced" | "value"> = {}): Traced {
  return { traced: true, value, ...extra };
}

type Body = Record<string, HclValue | Traced | TfBlock | TfBlock[]>;

function isTraced(value: unknown): value is Traced {
  return typeof value === "object" && value !== null && (value as Traced).traced === true;
}

function isBlock(value: unknown): value is TfBlock {
  return typeof value === "object" && value !== null && "attributes" in value && "blocks" in value;
}

export function block(type: string, body: Body = {}): TfBlock {
  const span = nextSpan();
  const attributes = new Map<string, TfAttribute>();
  const blocks: TfBlock[] = [];
  for (const [name, value] of Object.entries(body)) {
    if (isBlock(value)) blocks.push({ ...value, type: name });
    else if (Array.isArray(value) && value.length > 0 && value.every(isBlock))
      blocks.push(...(value as TfBlock[]).map((b) => ({ ...b, type: name })));
    else {
      const t = isTraced(value) ? value : traced(value as HclValue);
      attributes.set(name, {
        name,
        value: t.value,
        span: nextSpan(),
        provenance: t.provenance ?? [],
        references: t.references ?? [],
      });
    }
  }
  return { type, labels: [], span, attributes, blocks };
}

export function resource(
  address: string,
  body: Body = {},
  options: { mode?: "managed" | "data"; modulePath?: string[]; configAddress?: string } = {},
): TfResource {
  const mode = options.mode ?? (address.includes("data.") ? "data" : "managed");
  const local = address.split(".").slice(mode === "data" ? -3 : -2);
  const [type = "", rawName = ""] = mode === "data" ? local.slice(1) : local;
  const configAddress = options.configAddress ?? address.replace(/\[[^\]]*\]/g, "");
  const body_ = block("resource", body);
  return {
    mode,
    type,
    name: rawName.replace(/\[.*$/, ""),
    address,
    configAddress,
    modulePath: options.modulePath ?? [],
    body: body_,
    span: body_.span,
    enclosing: [],
    origin: "hcl",
  };
}

export function model(...resources: TfResource[]): TerraformModel {
  return { resources, directory: "" };
}

/** What one rule reports on a model. */
export function run(id: string, m: TerraformModel): Report[] {
  const rule = terraformRules.find((r) => r.id === id);
  if (!rule) throw new Error(`no rule ${id}`);
  const reports: Report[] = [];
  rule.check(m, (r) => reports.push(r));
  return reports;
}

export function attributeLine(r: TfResource | TfBlock, name: string): number {
  const b = "body" in r ? r.body : r;
  const a = b.attributes.get(name);
  if (!a) throw new Error(`no attribute ${name}`);
  return a.span.line;
}
