import type { FieldValue, GenericResource } from "../model.js";
import type { Candidate } from "./detector.js";
import { shannonEntropy } from "./entropy.js";
import { redact } from "./redact.js";

/**
 * Each candidate secret as a resource of type `secret`, addressed `file:line`, for declarative
 * and code rules. The value itself is not exposed, only facts about it, so a custom rule cannot
 * put it in a message by mistake.
 */
export function secretResources(candidates: readonly Candidate[]): GenericResource[] {
  return candidates.map((candidate) => {
    const fields: Record<string, unknown> = {
      rule: candidate.ruleId,
      kind: candidate.kind,
      file: candidate.span.file,
      line: candidate.span.line,
      column: candidate.span.column,
      key: candidate.key,
      length: candidate.value.length,
      entropy: Math.round(shannonEntropy(candidate.value) * 100) / 100,
      redacted: redact(candidate.value),
    };
    return {
      framework: "secrets",
      type: "secret",
      address: `${candidate.span.file}:${candidate.span.line}`,
      span: candidate.span,
      get(path: string): FieldValue {
        if (!(path in fields)) return { known: true, value: undefined, provenance: [] };
        return { known: true, value: fields[path], span: candidate.span, provenance: [] };
      },
    };
  });
}
