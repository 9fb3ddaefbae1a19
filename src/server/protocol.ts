import { z } from "zod";
import { MAX_CHUNK_LINES } from "../pipeline/log-chunks.js";

/*
 * The agent protocol's bodies, shared by the server (which validates them) and `slipway agent`.
 *
 *   POST /api/agent/lease                  long-poll for a job; 200 with a lease, 204 when none came
 *   POST /api/agent/leases/:id/heartbeat   extend the lease; says whether to cancel; 409 once lost
 *   POST /api/agent/leases/:id/batches     ordered events and log lines, applied once per batch number
 *   POST /api/agent/leases/:id/tests       JUnit results of the job
 *   PUT  /api/agent/leases/:id/artifacts   one artifact file (raw body, ?path=)
 *   GET  /api/agent/artifacts/:run/:job    download an artifact of a needed job (?path=)
 *   POST /api/agent/leases/:id/finish      the job's result; accepted once, from the lease holder; may carry the next lease
 */

export const runSourceSchema = z.object({
  frontEnd: z.enum(["native", "github", "gitlab"]),
  file: z.string(),
  event: z.string(),
  ref: z.string(),
  sha: z.string(),
  inputs: z.record(z.string(), z.string()),
  variables: z.record(z.string(), z.string()),
  actor: z.string(),
  jobs: z.array(z.string()),
});

export const artifactRefSchema = z.object({ path: z.string(), sizeBytes: z.number() });

export const jobResultSchema = z.object({
  key: z.string(),
  status: z.enum([
    "queued",
    "running",
    "success",
    "failure",
    "cancelled",
    "skipped",
    "timed_out",
    "waiting",
    "interrupted",
  ]),
  outputs: z.record(z.string(), z.string()),
  resultHash: z.string(),
  cacheHit: z.boolean(),
  artifacts: z.array(artifactRefSchema),
});
export type WireJobResult = z.infer<typeof jobResultSchema>;

export const runInfoSchema = z.object({
  id: z.string(),
  pipelineName: z.string(),
  file: z.string(),
  frontEnd: z.string(),
  projectDir: z.string(),
  workspace: z.string(),
  commit: z.string().optional(),
  dirty: z.boolean(),
  trigger: z.string(),
  actor: z.string(),
});

export const leaseRequestSchema = z.object({
  agent: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  labels: z.array(z.string()).max(100),
  /** How long to wait for a job, at most. */
  waitMs: z.number().int().min(0).max(60_000).default(25_000),
});

export const leaseSchema = z.object({
  leaseId: z.string(),
  leaseMs: z.number(),
  project: z.string(),
  repo: z.string(),
  source: runSourceSchema,
  run: runInfoSchema,
  runNumber: z.number(),
  jobKey: z.string(),
  attempt: z.number(),
  /** Added to every step attempt number, so a job's second attempt does not overwrite the first's history. */
  attemptOffset: z.number(),
  /** Results of every instance of the jobs this one needs. */
  needs: z.array(jobResultSchema),
  /** Values of the secrets the pipeline declares, decrypted for this job only. */
  secrets: z.record(z.string(), z.string()),
});
export type Lease = z.infer<typeof leaseSchema>;

/** What a queued job's row keeps for its lease, written by the coordinator that queued it. */
export interface JobPayload {
  /** Keys of the jobs it needs: their results go with the lease. */
  needs: string[];
  /** Names of the secrets its pipeline declares: only these are decrypted for the lease. */
  secrets: readonly string[];
}

export const heartbeatResponseSchema = z.object({ cancel: z.boolean(), leaseMs: z.number() });

/** A chunk of consecutive log lines of one step attempt (src/pipeline/log-chunks.ts). */
const logChunkSchema = z
  .object({
    runId: z.string(),
    jobKey: z.string(),
    stepIndex: z.number().int(),
    attempt: z.number().int(),
    seq: z.number().int(),
    stream: z.enum(["stdout", "stderr", "system"]),
    at: z.number(),
    offsets: z.array(z.number()),
    text: z.array(z.string()).min(1).max(MAX_CHUNK_LINES),
  })
  .refine((c) => c.offsets.length === c.text.length, "a chunk needs one offset per line");

export const batchSchema = z.object({
  /** 1, 2, 3... per lease: a batch sent twice is applied once. */
  batch: z.number().int().positive(),
  /** Engine events of the job (job.*, step.*); checked to belong to the leased job. */
  events: z.array(z.looseObject({ type: z.string(), runId: z.string(), jobKey: z.string() })),
  logs: z.array(logChunkSchema),
});

/** One test's result as an agent reports it. */
export const testResultSchema = z.object({
  suite: z.string(),
  name: z.string(),
  classname: z.string().optional(),
  file: z.string().optional(),
  status: z.enum(["passed", "failed", "error", "skipped", "flaky"]),
  durationMs: z.number(),
  message: z.string().optional(),
  /** Stack trace or failure body. */
  details: z.string().optional(),
  attempts: z.number().int(),
});

export const testsSchema = z.object({
  results: z.array(testResultSchema),
});

export const finishSchema = z.object({
  result: jobResultSchema,
  /** The last batch of events and logs, applied before the result (saves a round trip per job). */
  batch: batchSchema.optional(),
  /** Ask for the agent's next job in the same request: the answer carries it when one is queued. */
  next: leaseRequestSchema.omit({ waitMs: true }).optional(),
});

export const finishResponseSchema = z.object({
  accepted: z.boolean(),
  /** The next job, leased to the agent, when the finish asked for one and one was queued. */
  next: leaseSchema.optional(),
});
