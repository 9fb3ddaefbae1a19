/**
 * Values of a root module's input variables, in Terraform's order of precedence (later wins):
 * the declaration's default, TF_VAR_ environment variables, terraform.tfvars,
 * terraform.tfvars.json, *.auto.tfvars(.json) in lexical order, then -var-file files in the
 * order given. https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence
 */
import type { Provenance, ScanDiagnostic, SourceSpan } from "../model.js";
import type { ModuleConfig, VariableDecl } from "./config.js";
import { Scope, evaluateBinding, type Binding, type ModuleScope } from "./evaluate.js";
import { fromJson } from "./functions.js";
import { UNKNOWN, type HclValue } from "./model.js";
import { JsonSyntaxError, jsonValue, parseJsonSource } from "./json-source.js";
import type { JsonNode } from "./json-source.js";
import type { Expr, ParsedFile } from "./syntax.js";
import { convertToType } from "./types.js";

/** The assignments of one variable definitions file. */
export interface VarFile {
  /** Path relative to the scan root, as provenance shows it. */
  path: string;
  values: Map<string, { value: HclValue; span: SourceSpan }>;
}

/** A scope with nothing in it: tfvars files and defaults may only hold constants. */
export const CONSTANT_SCOPE: ModuleScope = {
  variable: () => undefined,
  local: () => undefined,
  moduleCall: () => undefined,
  resource: () => undefined,
  path: () => undefined,
  functions: { readFile: () => undefined, renderTemplate: () => UNKNOWN },
};

export function evaluateConstant(expr: Expr): HclValue {
  return evaluateBinding(expr, Scope.of(CONSTANT_SCOPE)).value;
}

export function varFileFromHcl(file: ParsedFile): VarFile {
  const values = new Map<string, { value: HclValue; span: SourceSpan }>();
  for (const attribute of file.body.attributes)
    values.set(attribute.name, { value: evaluateConstant(attribute.expr), span: attribute.span });
  return { path: file.path, values };
}

export function varFileFromJson(
  path: string,
  text: string,
): { file: VarFile; diagnostics: ScanDiagnostic[] } {
  const values = new Map<string, { value: HclValue; span: SourceSpan }>();
  let root: JsonNode;
  try {
    root = parseJsonSource(text, path);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    return {
      file: { path, values },
      diagnostics: [{ span: error.span, message: `invalid JSON: ${error.message}` }],
    };
  }
  if (root.kind !== "object")
    return {
      file: { path, values },
      diagnostics: [{ span: root.span, message: "a .tfvars.json file must hold an object" }],
    };
  for (const entry of root.entries)
    values.set(entry.key, { value: fromJson(jsonValue(entry.value)), span: entry.keySpan });
  return { file: { path, values }, diagnostics: [] };
}

export interface RootInputs {
  config: ModuleConfig;
  /** tfvars files in precedence order, lowest first (terraform.tfvars ... -var-file). */
  files: readonly VarFile[];
  env: Readonly<Record<string, string | undefined>>;
  /** Parses an environment value as an HCL expression (for non-string variables). */
  parseValue(text: string): HclValue;
}

export function rootVariables({ config, files, env, parseValue }: RootInputs): Map<string, Binding> {
  const out = new Map<string, Binding>();
  for (const decl of config.variables.values()) {
    let value: HclValue = UNKNOWN;
    let provenance: Provenance[] = [];
    if (decl.default) {
      value = evaluateConstant(decl.default.expr);
      provenance = [{ description: `variable "${decl.name}" default`, span: decl.default.span }];
    }
    const fromEnv = env[`TF_VAR_${decl.name}`];
    if (fromEnv !== undefined) {
      value = decl.type.kind === "string" || decl.type.kind === "any" ? fromEnv : parseValue(fromEnv);
      provenance = [
        { description: `var.${decl.name} set by TF_VAR_${decl.name}`, span: declarationSpan(decl) },
      ];
    }
    for (const file of files) {
      const assigned = file.values.get(decl.name);
      if (!assigned) continue;
      value = assigned.value;
      provenance = [{ description: `var.${decl.name} set in ${file.path}`, span: assigned.span }];
    }
    out.set(decl.name, {
      value: convertToType(value, decl.type, evaluateConstant),
      provenance,
      references: [],
    });
  }
  return out;
}

export function declarationSpan(decl: VariableDecl): SourceSpan {
  return { file: decl.block.span.file, line: decl.block.span.line, column: decl.block.span.column };
}

/** Orders the tfvars files Terraform loads automatically from a root module directory. */
export function autoVarFileOrder(names: readonly string[]): string[] {
  const base = (n: string) => n.slice(n.lastIndexOf("/") + 1);
  const rank = (n: string) => {
    const name = base(n);
    if (name === "terraform.tfvars") return 0;
    if (name === "terraform.tfvars.json") return 1;
    if (name.endsWith(".auto.tfvars") || name.endsWith(".auto.tfvars.json")) return 2;
    return -1;
  };
  return names
    .filter((n) => rank(n) >= 0)
    .sort((a, b) => rank(a) - rank(b) || (base(a) < base(b) ? -1 : base(a) > base(b) ? 1 : 0));
}
