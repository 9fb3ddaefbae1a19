import { z } from "zod";
import { ROLES } from "./auth.js";
import { runInfoSchema, testResultSchema } from "./protocol.js";

/*
 * The shapes of the API's answers that clients read (the web UI's types are generated from the
 * OpenAPI document built from these). They describe JSON as sent: a field the store leaves
 * undefined is absent, hence `optional()` rather than `nullable()`.
 */

export const runStatus = z.enum(["queued", "running", "success", "failure", "cancelled", "interrupted"]);
const jobStatus = z.enum([
  "queued",
  "waiting",
  "running",
  "success",
  "failure",
  "cancelled",
  "skipped",
  "timed_out",
  "interrupted",
]);

export const whoamiView = z.object({
  kind: z.literal("user"),
  tokenId: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  /** The one project the token is scoped to; absent: every project. */
  project: z.string().optional(),
});

export const runView = runInfoSchema.extend({
  number: z.number(),
  status: runStatus,
  queuedAt: z.number(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  project: z.string().optional(),
  ref: z.string().optional(),
});

const stepAttemptView = z.object({
  attempt: z.number(),
  status: jobStatus,
  exitCode: z.number().optional(),
  startedAt: z.number(),
  finishedAt: z.number().optional(),
  cacheHit: z.boolean(),
  reason: z.string().optional(),
});

const stepView = z.object({
  runId: z.string(),
  jobKey: z.string(),
  index: z.number(),
  name: z.string(),
  status: jobStatus,
  attempts: z.array(stepAttemptView),
});

const jobAttemptView = z.object({
  attempt: z.number(),
  status: z.enum(["queued", "leased", "finished", "lost", "cancelled"]),
  agent: z.string().nullable(),
  enqueuedAt: z.number(),
  leasedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  reason: z.string().nullable(),
});

export const jobView = z.object({
  runId: z.string(),
  key: z.string(),
  jobId: z.string(),
  name: z.string(),
  needs: z.array(z.string()),
  matrix: z.record(z.string(), z.unknown()).optional(),
  status: jobStatus,
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  cacheHit: z.boolean(),
  cacheKey: z.string().optional(),
  outputs: z.record(z.string(), z.string()),
  reason: z.string().optional(),
  steps: z.array(stepView),
  /** Queue attempts of the job: an attempt lost with its agent is followed by the next. */
  attempts: z.array(jobAttemptView),
});

export const runDetailView = z.object({ run: runView, jobs: z.array(jobView) });

export const triggerResultView = z.object({
  sha: z.string(),
  runs: z.array(z.object({ id: z.string(), number: z.number(), file: z.string(), frontEnd: z.string() })),
  skipped: z.array(z.object({ file: z.string(), reason: z.string() })),
});

export const logLineView = z.object({
  runId: z.string(),
  jobKey: z.string(),
  stepIndex: z.number(),
  attempt: z.number(),
  seq: z.number(),
  at: z.number(),
  stream: z.enum(["stdout", "stderr", "system"]),
  text: z.string(),
});

/** A test's result as the API shows it: the agent's report and the job it came from. */
export const testResultView = testResultSchema.extend({ jobKey: z.string() });

export const artifactView = z.object({ jobKey: z.string(), path: z.string(), sizeBytes: z.number() });

export const agentView = z.object({
  id: z.string(),
  name: z.string(),
  labels: z.array(z.string()),
  firstSeenAt: z.number(),
  lastSeenAt: z.number(),
  /** Jobs the agent holds a lease on now, in projects the caller sees. */
  current: z.array(
    z.object({
      runId: z.string(),
      runNumber: z.number(),
      project: z.string(),
      jobKey: z.string(),
      attempt: z.number(),
      leasedAt: z.number().nullable(),
    }),
  ),
});

export const auditView = z.object({
  id: z.string(),
  at: z.number(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  project: z.string().optional(),
  source: z.string().optional(),
  details: z.record(z.string(), z.unknown()),
});
