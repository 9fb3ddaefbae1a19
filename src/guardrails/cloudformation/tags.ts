/**
 * The short-form intrinsic functions of CloudFormation YAML (`!Ref`, `!Sub`, `!GetAtt`...), as
 * YAML custom tags. The tags only have to be accepted: the tree keeps each node's tag, and the
 * evaluator reads `!X arg` exactly like the long form `{ "Fn::X": arg }`.
 */
import type { CollectionTag, ScalarTag } from "yaml";

const FUNCTIONS = [
  "Ref",
  "Condition",
  "Sub",
  "GetAtt",
  "Join",
  "If",
  "Equals",
  "Not",
  "And",
  "Or",
  "Select",
  "Split",
  "FindInMap",
  "Base64",
  "ImportValue",
  "GetAZs",
  "Cidr",
  "Transform",
  "Length",
  "ToJsonString",
  "ForEach",
] as const;

/** `!Ref` → `Ref`, `!Condition` → `Condition`, `!Sub` → `Fn::Sub`. */
export function functionOfTag(tag: string): string | undefined {
  const name = tag.slice(1);
  if (!(FUNCTIONS as readonly string[]).includes(name)) return undefined;
  return name === "Ref" || name === "Condition" ? name : `Fn::${name}`;
}

export const CLOUDFORMATION_TAGS: (ScalarTag | CollectionTag)[] = FUNCTIONS.flatMap((name) => {
  const tag = `!${name}`;
  const scalar: ScalarTag = { tag, resolve: (value: string) => value };
  const seq: CollectionTag = { tag, collection: "seq", resolve: (value) => value };
  const map: CollectionTag = { tag, collection: "map", resolve: (value) => value };
  return [scalar, seq, map];
});
