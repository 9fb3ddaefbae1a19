import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { writeFileAtomic } from "../config/atomic-write.js";
import { ConfigError } from "../errors/index.js";
import type { Finding } from "./model.js";

/**
 * A baseline records the findings a team has accepted, so `slipway check` fails only on new
 * ones. Entries are matched by fingerprint: rule, file, resource and the text of the offending
 * line, not its number, so moving code does not resurrect old findings.
 */
const baselineSchema = z.strictObject({
  version: z.literal(1),
  findings: z.array(
    z.strictObject({
      ruleId: z.string(),
      file: z.string(),
      resource: z.string().optional(),
      fingerprint: z.string(),
    }),
  ),
});
export type Baseline = z.infer<typeof baselineSchema>;

export function fingerprint(finding: Finding, lineText: string | undefined): string {
  return createHash("sha256")
    .update([finding.ruleId, finding.span.file, finding.resource ?? "", (lineText ?? "").trim()].join("\0"))
    .digest("hex")
    .slice(0, 32);
}

export async function readBaseline(path: string): Promise<Baseline> {
  const text = await readFile(path, "utf8");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      [
        {
          position: { file: path, line: 1, column: 1 },
          message: `baseline is not JSON: ${(error as Error).message}`,
        },
      ],
      { hint: "write a new one with `slipway check --write-baseline FILE`" },
    );
  }
  const parsed = baselineSchema.safeParse(data);
  if (!parsed.success)
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        position: { file: path, line: 1, column: 1 },
        message: `baseline ${issue.path.join(".") || "file"}: ${issue.message}`,
      })),
      { hint: "write a new one with `slipway check --write-baseline FILE`" },
    );
  return parsed.data;
}

/** Writes atomically: a crash never leaves a half-written baseline that would hide findings. */
export async function writeBaseline(path: string, entries: Baseline["findings"]): Promise<void> {
  const sorted = [...entries].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.ruleId.localeCompare(b.ruleId) ||
      a.fingerprint.localeCompare(b.fingerprint),
  );
  const body: Baseline = { version: 1, findings: sorted };
  await writeFileAtomic(path, `${JSON.stringify(body, null, 2)}\n`);
}
