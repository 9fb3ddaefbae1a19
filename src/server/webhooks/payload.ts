import { z } from "zod";
import { UsageError } from "../../errors/index.js";

/** A commit id: SHA-1, or SHA-256 for repositories that use it. */
export const commitSha = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, "expected a 40-hex commit id");

/** Git's way of saying "no commit": the `after` of a deleted branch or tag. */
export function isNullSha(sha: string): boolean {
  return /^0+$/.test(sha);
}

/**
 * Validates a payload against the fields a mapping reads. Senders add fields all the time, so
 * unknown ones pass; a missing or mistyped one is named, because the sender's delivery log is
 * where the user will read this message.
 */
export function parsePayload<S extends z.ZodType>(schema: S, payload: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.length === 0 ? "(body)" : issue.path.map(String).join(".");
    return `${field}: ${issue.message}`;
  });
  throw new UsageError(`invalid ${what} payload: ${problems.join("; ")}`, {
    hint: "the payload does not have the shape the sender documents; check the webhook's content type is JSON",
  });
}

/** Distinct, non-empty URLs, in the order the payload gave them. */
export function urls(...candidates: (string | null | undefined)[]): string[] {
  return [...new Set(candidates.filter((url): url is string => typeof url === "string" && url !== ""))];
}
