import type { Generated } from "kysely";

/**
 * Table shapes as Kysely sees them. Only types both SQLite and PostgreSQL store the same way:
 * text, integers (epoch milliseconds in `bigint` columns), booleans as 0/1 and JSON as text, so
 * one set of queries serves both dialects.
 */

export interface Database {
  meta: MetaTable;
  runs: RunsTable;
  jobs: JobsTable;
  steps: StepsTable;
  step_attempts: StepAttemptsTable;
  events: EventsTable;
  log_chunks: LogChunksTable;
  test_results: TestResultsTable;
  artifacts: ArtifactsTable;
  cache_entries: CacheEntriesTable;
  projects: ProjectsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  job_queue: JobQueueTable;
  agents: AgentsTable;
  secrets: SecretsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  group_holders: GroupHoldersTable;
  terraform_states: TerraformStatesTable;
  terraform_state_versions: TerraformStateVersionsTable;
  terraform_drift: TerraformDriftTable;
  approvals: ApprovalsTable;
  environments: EnvironmentsTable;
  releases: ReleasesTable;
  deployments: DeploymentsTable;
  deployment_events: DeploymentEventsTable;
}

export interface EnvironmentsTable {
  project: string;
  name: string;
  /** The environment's EnvironmentConfig as JSON. */
  config: string;
  updated_at: number;
  updated_by: string;
}

export interface ReleasesTable {
  project: string;
  service: string;
  version: string;
  checksum: string;
  commit_sha: string | null;
  committed_at: number | null;
  branch: string | null;
  created_at: number;
  created_by: string;
  /** The Release (configuration and analysis templates) as JSON. */
  body: string;
}

export interface DeploymentsTable {
  id: string;
  project: string;
  environment: string;
  service: string;
  from_version: string | null;
  to_version: string;
  /** deploy | rollback */
  mode: string;
  /** pending | progressing | paused | succeeded | aborted | failed | blocked */
  status: string;
  reason: string | null;
  created_at: number;
  created_by: string;
  finished_at: number | null;
  run_id: string | null;
  override_reason: string | null;
}

export interface DeploymentEventsTable {
  deployment_id: string;
  seq: number;
  at: number;
  type: string;
  /** The event as JSON. */
  body: string;
}

export interface ApprovalsTable {
  run_id: string;
  job_key: string;
  /** What the approver must name (a plan's checksum); empty when the job names nothing. */
  subject: string;
  /** The role an approver needs on the run's project. */
  role: string;
  status: "pending" | "approved" | "rejected";
  requested_at: number;
  decided_by: string | null;
  decided_at: number | null;
  comment: string | null;
}

/** Counters that must stay unique across processes sharing a database (run numbers). */
export interface MetaTable {
  key: string;
  value: number;
}

export interface RunsTable {
  id: string;
  number: number;
  pipeline_name: string;
  file: string;
  front_end: string;
  project_dir: string;
  workspace: string;
  commit_sha: string | null;
  dirty: number;
  trigger: string;
  actor: string;
  status: string;
  queued_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** The server project a run belongs to; null for a run of `slipway run` on one machine. */
  project: Generated<string | null>;
  ref: Generated<string | null>;
  /** The server coordinating the run, and until when its claim holds. */
  owner: Generated<string | null>;
  owner_until: Generated<number | null>;
  cancel_requested: Generated<number>;
  /** JSON: how the run's pipeline is loaded again (front-end, file, event, inputs). */
  spec: Generated<string | null>;
  /** Events and log lines numbered so far: the next ones take the numbers after these. */
  event_count: Generated<number>;
  log_count: Generated<number>;
}

export interface JobsTable {
  run_id: string;
  key: string;
  /** Order in the plan, so listings follow the pipeline rather than a collation. */
  position: number;
  job_id: string;
  name: string;
  /** JSON array of job keys. */
  needs: string;
  /** JSON object, or null for a job that is not a matrix child. */
  matrix: string | null;
  status: string;
  started_at: number | null;
  finished_at: number | null;
  cache_hit: number;
  cache_key: string | null;
  /** JSON object of output name to value. */
  outputs: string;
  reason: string | null;
}

export interface StepsTable {
  run_id: string;
  job_key: string;
  step_index: number;
  name: string;
  status: string;
}

export interface StepAttemptsTable {
  run_id: string;
  job_key: string;
  step_index: number;
  attempt: number;
  status: string;
  exit_code: number | null;
  started_at: number;
  finished_at: number | null;
  cache_hit: number;
  reason: string | null;
}

export interface EventsTable {
  run_id: string;
  /** Position in the run's event log, from 1. */
  seq: number;
  type: string;
  at: number;
  /** The whole event as JSON. */
  body: string;
}

export interface LogChunksTable {
  run_id: string;
  job_key: string;
  step_index: number;
  attempt: number;
  /** The first line's seq within its step attempt. */
  seq: number;
  /** How many lines the chunk holds. */
  lines: number;
  stream: string;
  /** The first line's time. */
  at: number;
  /** The first line's number in the run's arrival order (across jobs and steps): the cursor of live tails. */
  run_seq: number;
  /** JSON: { offsets: ms after `at` per line, text: the lines }. */
  body: string;
}

export interface TestResultsTable {
  run_id: string;
  job_key: string;
  /** Insertion order within the job, from 1. */
  seq: number;
  suite: string;
  name: string;
  classname: string | null;
  file: string | null;
  status: string;
  duration_ms: number;
  message: string | null;
  details: string | null;
  attempts: number;
}

export interface ArtifactsTable {
  run_id: string;
  job_key: string;
  path: string;
  size_bytes: number;
  stored_at: string;
}

export interface CacheEntriesTable {
  key: string;
  job_id: string;
  path: string;
  /** JSON object of output name to value. */
  outputs: string;
  created_at: number;
  size_bytes: number;
}

export interface ProjectsTable {
  name: string;
  /** A local path or a git URL. */
  repo: string;
  default_branch: string;
  /** The webhook secret, encrypted. */
  webhook_secret: string | null;
  /** Poll the remote every this many seconds; null = no polling. */
  poll_seconds: number | null;
  /** JSON: branch to the last commit seen by polling. */
  polled: string | null;
  /** JSON: cron schedule to the last time it fired. */
  schedules: string | null;
  created_at: number;
  created_by: string;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  /** SHA-256 of the token: the token itself is never stored. */
  hash: string;
  kind: string;
  role: string | null;
  /** null = every project. */
  project: string | null;
  created_at: number;
  created_by: string;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface AuditLogTable {
  id: string;
  at: number;
  actor: string;
  action: string;
  target: string;
  project: string | null;
  /** The caller's address. */
  source: string | null;
  /** JSON object. */
  details: string;
}

export interface JobQueueTable {
  run_id: string;
  job_key: string;
  attempt: number;
  /** queued, leased, finished, lost, cancelled. */
  status: string;
  project: string;
  /** JSON array: labels an agent must have to take the job. */
  labels: string;
  /** JSON: what an agent needs to run the job. */
  payload: string;
  /** JSON: the job's result, once finished. */
  result: string | null;
  agent: string | null;
  lease_id: string | null;
  lease_until: number | null;
  enqueued_at: number;
  leased_at: number | null;
  finished_at: number | null;
  cancel_requested: number;
  /** The last log/event batch accepted from the lease holder: a retried batch is not applied twice. */
  batch_seq: number;
  reason: string | null;
  /** The job's concurrency group, evaluated: one job of a group runs at a time, server-wide. */
  concurrency_group: string | null;
}

export interface GroupHoldersTable {
  concurrency_group: string;
  lease_id: string;
}

export interface AgentsTable {
  id: string;
  name: string;
  labels: string;
  token_id: string;
  first_seen_at: number;
  last_seen_at: number;
}

export interface SecretsTable {
  project: string;
  name: string;
  /** Encrypted (AES-256-GCM) with the server's key. */
  value: string;
  updated_at: number;
  updated_by: string;
}

export interface WebhookDeliveriesTable {
  /** source:delivery id. */
  id: string;
  received_at: number;
}

/** One row per Terraform state: which version GET serves, and who holds its lock. */
export interface TerraformStatesTable {
  project: string;
  name: string;
  /** The highest version written; versions are numbered 1, 2, 3... per state. */
  last_version: number;
  /** The version served; null before the first write and after a DELETE. */
  current_version: number | null;
  /** Serial, lineage and SHA-256 of the current version, for the checks on the next write. */
  serial: number | null;
  lineage: string | null;
  sha256: string | null;
  updated_at: number | null;
  updated_by: string | null;
  lock_id: string | null;
  /** The LockInfo JSON the locking client sent, returned to the next client that finds it held. */
  lock_info: string | null;
  locked_at: number | null;
  locked_by: string | null;
}

export interface TerraformStateVersionsTable {
  project: string;
  name: string;
  version: number;
  serial: number;
  lineage: string;
  size_bytes: number;
  sha256: string;
  created_at: number;
  created_by: string;
  /** The version a rollback copied, or null for a write. */
  rolled_back_from: number | null;
  /** 1 when the serial and lineage checks were skipped (?force=true, rollbacks). */
  forced: number;
  /** The state, encrypted (AES-256-GCM) with the server's key. */
  content: string;
}

/** The last drift status of one Terraform directory and workspace of a project. */
export interface TerraformDriftTable {
  project: string;
  /** The configuration directory, relative to the repository's root. */
  dir: string;
  workspace: string;
  /** 1 from a drift check that found differences until a clean plan or drift check. */
  drifted: number;
  /** When the current status (drifted or clean) began. */
  since: number;
  /** When the last check that counted was made. */
  checked_at: number;
  /** What made that check: terraform-drift or terraform-plan. */
  checked_by: string;
  run_id: string;
  run_number: number | null;
  job_key: string;
  /** JSON: the last drift check's differences for the workspace; null once a clean plan cleared them. */
  report: string | null;
}
