import path from "node:path";
import { openSqliteStore } from "./sqlite.js";
import type { Store } from "./types.js";
export type {
  AgentRecord,
  ApprovalRecord,
  AuditEntry,
  BatchOutcome,
  ControlStore,
  LeaseBatch,
  ProjectRecord,
  QueuedJob,
  QueueStatus,
  RunControl,
  TokenKind,
  TokenRecord,
} from "./control.js";

export type {
  StateLock,
  StateSummary,
  StateVersion,
  StateWrite,
  TerraformStateStore,
  WriteOutcome,
} from "./terraform-state.js";

export type {
  CreateReleaseOutcome,
  DeliveryStore,
  DeploymentEventRecord,
  DeploymentRecord,
  ReleaseRecord,
} from "./deliveries.js";

export type {
  DriftCheck,
  DriftOutcome,
  DriftSource,
  DriftStatus,
  TerraformDriftStore,
} from "./terraform-drift.js";

export type {
  ArtifactRecord,
  CacheEntry,
  JobRecord,
  JobStatus,
  LogQuery,
  RunFilter,
  RunRecord,
  RunStatus,
  StepAttemptRecord,
  StepRecord,
  StepStatus,
  Store,
} from "./types.js";

/** Where a store lives: a SQLite file (the embedded default) or a PostgreSQL database. */
export type StoreLocation = { kind: "sqlite"; file: string } | { kind: "postgres"; url: string };

/** The embedded SQLite file in a data directory, or the PostgreSQL database when a URL is given. */
export function storeLocation(dataDir: string, database: string | undefined): StoreLocation {
  return database
    ? { kind: "postgres", url: database }
    : { kind: "sqlite", file: path.join(dataDir, "slipway.db") };
}

/** Opens the store at `location`, creating and migrating its schema as needed. */
export async function openStore(location: StoreLocation): Promise<Store> {
  if (location.kind === "sqlite") return openSqliteStore(location.file);
  // Loaded only when asked for: the pg driver costs every local command ~20 ms to load.
  const { openPostgresStore } = await import("./postgres.js");
  return openPostgresStore(location.url);
}
