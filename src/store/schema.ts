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
  log_lines: LogLinesTable;
  test_results: TestResultsTable;
  artifacts: ArtifactsTable;
  cache_entries: CacheEntriesTable;
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

export interface LogLinesTable {
  run_id: string;
  job_key: string;
  step_index: number;
  attempt: number;
  seq: number;
  at: number;
  stream: string;
  text: string;
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
