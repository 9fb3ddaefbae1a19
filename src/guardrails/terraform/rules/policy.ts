/**
 * IAM policy documents as rules read them, whether written as JSON (a heredoc, `jsonencode`,
 * `file()` already evaluated) or as an `aws_iam_policy_document` data source the policy
 * attribute refers to. The grammar follows the IAM JSON policy reference.
 */
import type { Provenance, SourceSpan } from "../../model.js";
import {
  containsUnknown,
  isUnknown,
  type HclValue,
  type Lookup,
  type TerraformModel,
  type TfResource,
} from "../model.js";
import { asStrings, blocksOf, find, isObject, isSet, referencedResources, type Place } from "./helpers.js";

const MERGED = ["source_policy_documents", "override_policy_documents", "source_json", "override_json"];

export interface Principal {
  /** `*`, `AWS`, `Service`, `Federated`, `CanonicalUser`. */
  type: string;
  identifiers: string[];
}

export interface Condition {
  test: string;
  variable: string;
  values: string[];
}

/**
 * One statement. A field that is UNKNOWN is `undefined`; a rule that needs it skips the
 * statement.
 */
export interface Statement extends Place {
  effect: string | undefined;
  actions: string[] | undefined;
  notActions: string[] | undefined;
  resources: string[] | undefined;
  notResources: string[] | undefined;
  principals: Principal[] | undefined;
  notPrincipals: Principal[] | undefined;
  conditions: Condition[] | undefined;
  span: SourceSpan;
  provenance: readonly Provenance[];
}

/**
 * The statements of the policy at `at`. `[]` when there is no policy; `undefined` when the
 * policy cannot be read (UNKNOWN, not JSON): nothing can be said about it.
 */
export function policyStatements(model: TerraformModel, at: Lookup | undefined): Statement[] | undefined {
  if (at === undefined || at.value === null || at.value === "") return [];
  const place = { span: at.span, provenance: at.provenance };
  if (typeof at.value === "string") {
    const parsed = parseJson(at.value);
    return parsed === undefined ? undefined : jsonStatements(parsed, place);
  }
  if (isObject(at.value) && !containsUnknown(at.value)) return jsonStatements(at.value, place);
  const documents = referencedResources(model, at, "aws_iam_policy_document").filter(
    (r) => r.mode === "data",
  );
  if (documents.length === 0) return undefined;
  // Merged documents may add or replace statements (by sid) that are not visible here.
  if (documents.some((doc) => MERGED.some((name) => isSet(doc, name)))) return undefined;
  return documents.flatMap((doc) => documentStatements(doc));
}

function parseJson(text: string): HclValue | undefined {
  try {
    return JSON.parse(text) as HclValue;
  } catch {
    return undefined;
  }
}

function jsonStatements(document: HclValue, place: Place): Statement[] | undefined {
  if (!isObject(document)) return undefined;
  const raw = document.Statement;
  if (raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.flatMap((s) => {
    if (!isObject(s)) return [];
    return [
      {
        effect: typeof s.Effect === "string" ? s.Effect : undefined,
        actions: jsonList(s.Action),
        notActions: jsonList(s.NotAction),
        resources: jsonList(s.Resource),
        notResources: jsonList(s.NotResource),
        principals: jsonPrincipals(s.Principal),
        notPrincipals: jsonPrincipals(s.NotPrincipal),
        conditions: jsonConditions(s.Condition),
        span: place.span,
        provenance: place.provenance ?? [],
      },
    ];
  });
}

/** Absent gives `[]`; UNKNOWN gives `undefined`. */
function jsonList(value: HclValue | undefined): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (containsUnknown(value)) return undefined;
  return asStrings(value);
}

function jsonPrincipals(value: HclValue | undefined): Principal[] | undefined {
  if (value === undefined || value === null) return [];
  if (containsUnknown(value)) return undefined;
  if (typeof value === "string") return [{ type: value === "*" ? "*" : "AWS", identifiers: [value] }];
  if (!isObject(value)) return [];
  return Object.entries(value).map(([type, ids]) => ({ type, identifiers: asStrings(ids) }));
}

function jsonConditions(value: HclValue | undefined): Condition[] | undefined {
  if (value === undefined || value === null) return [];
  if (containsUnknown(value)) return undefined;
  if (!isObject(value)) return [];
  return Object.entries(value).flatMap(([test, variables]) =>
    isObject(variables)
      ? Object.entries(variables).map(([variable, values]) => ({ test, variable, values: asStrings(values) }))
      : [],
  );
}

/** Statements of an `aws_iam_policy_document` data source, one per `statement` block. */
export function documentStatements(doc: TfResource): Statement[] {
  return blocksOf(doc, "statement").map((block) => {
    const effect = find(block, "effect");
    return {
      effect: effect === undefined || effect.value === null ? "Allow" : stringOrUndefined(effect.value),
      actions: blockList(find(block, "actions")),
      notActions: blockList(find(block, "not_actions")),
      resources: blockList(find(block, "resources")),
      notResources: blockList(find(block, "not_resources")),
      principals: blockPrincipals(blocksOf(block, "principals")),
      notPrincipals: blockPrincipals(blocksOf(block, "not_principals")),
      conditions: blockConditions(blocksOf(block, "condition")),
      span: block.span,
      provenance: [],
    };
  });
}

function stringOrUndefined(value: HclValue): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function blockList(at: Lookup | undefined): string[] | undefined {
  if (at === undefined || at.value === null) return [];
  if (containsUnknown(at.value)) return undefined;
  return asStrings(at.value);
}

function blockPrincipals(blocks: ReturnType<typeof blocksOf>): Principal[] | undefined {
  const out: Principal[] = [];
  for (const block of blocks) {
    const type = find(block, "type")?.value;
    const ids = find(block, "identifiers")?.value;
    if (type === undefined || ids === undefined || isUnknown(type) || containsUnknown(ids)) return undefined;
    out.push({ type: String(type), identifiers: asStrings(ids) });
  }
  return out;
}

function blockConditions(blocks: ReturnType<typeof blocksOf>): Condition[] | undefined {
  const out: Condition[] = [];
  for (const block of blocks) {
    const test = find(block, "test")?.value;
    const variable = find(block, "variable")?.value;
    const values = find(block, "values")?.value;
    if (
      typeof test !== "string" ||
      typeof variable !== "string" ||
      values === undefined ||
      containsUnknown(values)
    )
      return undefined;
    out.push({ test, variable, values: asStrings(values) });
  }
  return out;
}

/** `"*"` or `{"AWS": "*"}`: anyone, in any account, signed in or not. */
export function allowsAnyPrincipal(statement: Statement): boolean {
  return (
    statement.principals?.some(
      (p) => (p.type === "*" || p.type === "AWS") && p.identifiers.some((id) => id.trim() === "*"),
    ) ?? false
  );
}

export function isAllow(statement: Statement): boolean {
  return statement.effect?.toLowerCase() === "allow";
}

export function isDeny(statement: Statement): boolean {
  return statement.effect?.toLowerCase() === "deny";
}

/** Any condition narrows a wildcard principal (source VPC, organisation, account...). */
export function isUnconditional(statement: Statement): boolean {
  return statement.conditions !== undefined && statement.conditions.length === 0;
}

/** A Deny of requests not made over TLS (`aws:SecureTransport` is false). */
export function deniesInsecureTransport(statement: Statement): boolean {
  if (!isDeny(statement)) return false;
  return (
    statement.conditions?.some(
      (c) =>
        c.test.toLowerCase().startsWith("bool") &&
        c.variable.toLowerCase() === "aws:securetransport" &&
        c.values.some((v) => v.toLowerCase() === "false"),
    ) ?? false
  );
}

export function isWildcardAction(action: string): boolean {
  const a = action.trim();
  return a === "*" || a === "*:*";
}

/** `s3:*`, `iam:*`: every action of one service. */
export function isServiceWildcardAction(action: string): boolean {
  return SERVICE_WILDCARD.test(action.trim());
}

const SERVICE_WILDCARD = /^[a-z0-9-]+:\*$/i;
