import type { Kysely, Selectable, Transaction } from "kysely";
import { EnvironmentError } from "../errors/index.js";
import { num, optNum } from "./batch.js";
import { TerraformDriftStore } from "./terraform-drift.js";
import type { Database, TerraformStatesTable, TerraformStateVersionsTable } from "./schema.js";

/** A held state lock: the client's LockInfo as it sent it, and who sent it. */
export interface StateLock {
  id: string;
  /** The LockInfo JSON of the client holding the lock (Terraform's ID, Operation, Who, Created...). */
  info: string;
  lockedAt: number;
  /** The principal that took it (the token's name), whatever the LockInfo claims. */
  lockedBy: string;
}

export interface StateVersion {
  project: string;
  name: string;
  version: number;
  serial: number;
  lineage: string;
  sizeBytes: number;
  sha256: string;
  createdAt: number;
  createdBy: string;
  /** The version a rollback copied. */
  rolledBackFrom: number | undefined;
  /** Written with the serial and lineage checks skipped. */
  forced: boolean;
}

export interface StateSummary {
  project: string;
  name: string;
  /** The version served; undefined before the first write and after a delete. */
  currentVersion: number | undefined;
  lastVersion: number;
  serial: number | undefined;
  lineage: string | undefined;
  sha256: string | undefined;
  /** The current version's size in bytes, as written. */
  sizeBytes: number | undefined;
  updatedAt: number | undefined;
  updatedBy: string | undefined;
  lock: StateLock | undefined;
}

/** A version with its content, still encrypted: the store never sees the state in clear. */
export interface SealedVersion {
  version: StateVersion;
  content: string;
}

export interface StateWrite {
  project: string;
  name: string;
  serial: number;
  lineage: string;
  sha256: string;
  sizeBytes: number;
  by: string;
  at: number;
  /** The lock the writer holds (Terraform's `?ID=`); undefined for a writer that did not lock. */
  lockId: string | undefined;
  /** Skip the serial and lineage checks. */
  force: boolean;
  /** Write only if the current version is still this one (undefined: none). Rollbacks use it. */
  ifCurrent?: { version: number | undefined };
  rolledBackFrom?: number;
  /**
   * Keep only this many versions of the state, the new one included: older ones are deleted in
   * the same transaction. Undefined keeps every version.
   */
  keepVersions?: number | undefined;
  /** The stored form of the content, given the version number it will have (encryption binds it). */
  seal(version: number): string;
}

/** Why a write or delete was not applied, when the lock stands in the way. */
export type LockRefusal = { kind: "locked"; holder: StateLock } | { kind: "lock-not-held"; lockId: string };

export type WriteOutcome =
  /** `pruned`: the versions deleted to keep `keepVersions`, oldest first. */
  | { kind: "written"; version: StateVersion; pruned: number[] }
  /** The same bytes as the current version (a retried request): nothing new is stored. */
  | { kind: "unchanged"; version: StateVersion }
  | LockRefusal
  | { kind: "serial"; current: { serial: number; lineage: string; version: number } }
  | { kind: "lineage"; current: { serial: number; lineage: string; version: number } }
  | { kind: "moved"; currentVersion: number | undefined };

export type DeleteOutcome = { kind: "deleted"; version: number | undefined } | LockRefusal;

export type LockOutcome = { kind: "acquired" } | { kind: "held"; holder: StateLock };

export type UnlockOutcome =
  { kind: "released" } | { kind: "not-locked" } | { kind: "held"; holder: StateLock };

/**
 * Taking or force-releasing a lock reads the row after a conditional UPDATE that matched nothing;
 * when the lock changed hands in between, it looks again. Each pass means another caller got
 * through, so the bound only keeps a bug from looping forever.
 */
const RETRIES = 1_000;

/**
 * Terraform states, their versions and their locks, all decided on the state's one row. Locks
 * are conditional UPDATEs (`... WHERE lock_id IS NULL`): SQLite and PostgreSQL both apply one
 * atomically, and under PostgreSQL's row lock a second UPDATE re-reads the row the first
 * committed, so exactly one of many lockers matches. Writes hold the row for their transaction.
 */
export class TerraformStateStore {
  readonly #db: Kysely<Database>;
  /** Drift status of the project's configurations, as drift checks and plans of its runs report it. */
  readonly drift: TerraformDriftStore;

  constructor(db: Kysely<Database>) {
    this.#db = db;
    this.drift = new TerraformDriftStore(db);
  }

  async get(project: string, name: string): Promise<StateSummary | undefined> {
    const row = await this.#summaries(project).where("s.name", "=", name).executeTakeFirst();
    return row ? toSummary(row) : undefined;
  }

  async list(project: string): Promise<StateSummary[]> {
    const rows = await this.#summaries(project).orderBy("s.name").execute();
    return rows.map(toSummary);
  }

  /** The project's state rows with the size of their current version. */
  #summaries(project: string) {
    return this.#db
      .selectFrom("terraform_states as s")
      .leftJoin("terraform_state_versions as v", (join) =>
        join
          .onRef("v.project", "=", "s.project")
          .onRef("v.name", "=", "s.name")
          .onRef("v.version", "=", "s.current_version"),
      )
      .selectAll("s")
      .select("v.size_bytes")
      .where("s.project", "=", project);
  }

  /** The version GET serves, with its sealed content. */
  async current(project: string, name: string): Promise<SealedVersion | undefined> {
    const row = await this.#db
      .selectFrom("terraform_states as s")
      .innerJoin("terraform_state_versions as v", (join) =>
        join
          .onRef("v.project", "=", "s.project")
          .onRef("v.name", "=", "s.name")
          .onRef("v.version", "=", "s.current_version"),
      )
      .selectAll("v")
      .where("s.project", "=", project)
      .where("s.name", "=", name)
      .executeTakeFirst();
    return row ? { version: toVersion(row), content: row.content } : undefined;
  }

  /** Every version, newest first, without content. */
  async versions(project: string, name: string): Promise<StateVersion[]> {
    const rows = await versionsOf(this.#db, project, name).orderBy("version", "desc").execute();
    return rows.map(toVersion);
  }

  async version(project: string, name: string, version: number): Promise<SealedVersion | undefined> {
    const row = await this.#db
      .selectFrom("terraform_state_versions")
      .selectAll()
      .where("project", "=", project)
      .where("name", "=", name)
      .where("version", "=", version)
      .executeTakeFirst();
    return row ? { version: toVersion(row), content: row.content } : undefined;
  }

  /**
   * Takes the lock unless another holds it. Taking again a lock one already holds (the same ID,
   * as a retried request sends) succeeds.
   */
  async lock(project: string, name: string, lock: StateLock): Promise<LockOutcome> {
    await this.#ensure(this.#db, project, name);
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const taken = await this.#db
        .updateTable("terraform_states")
        .set({ lock_id: lock.id, lock_info: lock.info, locked_at: lock.lockedAt, locked_by: lock.lockedBy })
        .where("project", "=", project)
        .where("name", "=", name)
        .where("lock_id", "is", null)
        .executeTakeFirst();
      if (taken.numUpdatedRows > 0n) return { kind: "acquired" };
      const holder = (await this.get(project, name))?.lock;
      if (holder?.id === lock.id) return { kind: "acquired" };
      if (holder !== undefined) return { kind: "held", holder };
      // Released between the update and the read: try again.
    }
    throw contended(project, name);
  }

  /** Releases the lock `id`. */
  async unlock(project: string, name: string, id: string): Promise<UnlockOutcome> {
    const released = await this.#db
      .updateTable("terraform_states")
      .set(UNLOCKED)
      .where("project", "=", project)
      .where("name", "=", name)
      .where("lock_id", "=", id)
      .executeTakeFirst();
    if (released.numUpdatedRows > 0n) return { kind: "released" };
    const holder = (await this.get(project, name))?.lock;
    return holder ? { kind: "held", holder } : { kind: "not-locked" };
  }

  /** Releases whatever lock is held; returns the lock it released. */
  async forceUnlock(project: string, name: string): Promise<StateLock | undefined> {
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const holder = (await this.get(project, name))?.lock;
      if (holder === undefined) return undefined;
      const released = await this.#db
        .updateTable("terraform_states")
        .set(UNLOCKED)
        .where("project", "=", project)
        .where("name", "=", name)
        .where("lock_id", "=", holder.id)
        .executeTakeFirst();
      if (released.numUpdatedRows > 0n) return holder;
    }
    throw contended(project, name);
  }

  /**
   * Stores a new version and makes it current, unless the lock, the serial or the lineage says
   * otherwise (see WriteOutcome). The checks and the update are one transaction on the locked row.
   */
  async write(write: StateWrite): Promise<WriteOutcome> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await this.#lockRow(trx, write.project, write.name);
      const refusal = lockRefusal(row, write.lockId);
      if (refusal) return refusal;
      const current =
        row.current_version === null
          ? undefined
          : { serial: num(row.serial ?? 0), lineage: row.lineage ?? "", version: num(row.current_version) };
      if (write.ifCurrent && write.ifCurrent.version !== current?.version) {
        return { kind: "moved", currentVersion: current?.version } as const;
      }
      if (current && write.sha256 === row.sha256) {
        const same = await versionsOf(trx, write.project, write.name)
          .where("version", "=", current.version)
          .executeTakeFirst();
        if (same) return { kind: "unchanged", version: toVersion(same) } as const;
      }
      if (current && !write.force) {
        if (write.lineage !== current.lineage) return { kind: "lineage", current } as const;
        // An equal serial with other content is a second writer that read the same state.
        if (write.serial <= current.serial) return { kind: "serial", current } as const;
      }
      const version = num(row.last_version) + 1;
      await trx
        .updateTable("terraform_states")
        .set({
          last_version: version,
          current_version: version,
          serial: write.serial,
          lineage: write.lineage,
          sha256: write.sha256,
          updated_at: write.at,
          updated_by: write.by,
        })
        .where("project", "=", write.project)
        .where("name", "=", write.name)
        .execute();
      const stored: TerraformStateVersionsTable = {
        project: write.project,
        name: write.name,
        version,
        serial: write.serial,
        lineage: write.lineage,
        size_bytes: write.sizeBytes,
        sha256: write.sha256,
        created_at: write.at,
        created_by: write.by,
        rolled_back_from: write.rolledBackFrom ?? null,
        forced: write.force ? 1 : 0,
        content: write.seal(version),
      };
      await trx.insertInto("terraform_state_versions").values(stored).execute();
      const pruned =
        write.keepVersions === undefined
          ? []
          : await prune(trx, write.project, write.name, version, write.keepVersions);
      return { kind: "written", version: toVersion(stored), pruned } as const;
    });
  }

  /** Stops serving the state (GET answers "none"); its versions stay, to roll back to. */
  async delete(options: {
    project: string;
    name: string;
    lockId: string | undefined;
    by: string;
    at: number;
  }): Promise<DeleteOutcome> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await this.#lockRow(trx, options.project, options.name);
      const refusal = lockRefusal(row, options.lockId);
      if (refusal) return refusal;
      await trx
        .updateTable("terraform_states")
        .set({
          current_version: null,
          serial: null,
          lineage: null,
          sha256: null,
          updated_at: options.at,
          updated_by: options.by,
        })
        .where("project", "=", options.project)
        .where("name", "=", options.name)
        .execute();
      return { kind: "deleted", version: optNum(row.current_version) } as const;
    });
  }

  /**
   * The state's row (made on the state's first use), held until the transaction ends. The
   * UPDATE that changes nothing takes PostgreSQL's row lock and returns the row as the last
   * writer committed it, so writers of one state take turns rather than racing and retrying;
   * SQLite's transactions take the database's write lock at BEGIN IMMEDIATE already.
   */
  async #lockRow(
    trx: Transaction<Database>,
    project: string,
    name: string,
  ): Promise<Selectable<TerraformStatesTable>> {
    await this.#ensure(trx, project, name);
    return trx
      .updateTable("terraform_states")
      .set((eb) => ({ last_version: eb.ref("last_version") }))
      .where("project", "=", project)
      .where("name", "=", name)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async #ensure(db: Kysely<Database>, project: string, name: string): Promise<void> {
    await db
      .insertInto("terraform_states")
      .values({ project, name, last_version: 0 })
      .onConflict((oc) => oc.columns(["project", "name"]).doNothing())
      .execute();
  }
}

/**
 * Deletes the versions before the newest `keep`. Versions are numbered without gaps from the
 * first one kept, so those are the ones numbered above `newest - keep`; the newest is the one
 * just written, which is current, and `keep` is at least 1, so the current version stays.
 */
async function prune(
  trx: Transaction<Database>,
  project: string,
  name: string,
  newest: number,
  keep: number,
): Promise<number[]> {
  const below = newest - Math.max(1, Math.floor(keep)) + 1;
  if (below <= 1) return [];
  const old = await trx
    .selectFrom("terraform_state_versions")
    .select("version")
    .where("project", "=", project)
    .where("name", "=", name)
    .where("version", "<", below)
    .orderBy("version")
    .execute();
  if (old.length === 0) return [];
  await trx
    .deleteFrom("terraform_state_versions")
    .where("project", "=", project)
    .where("name", "=", name)
    .where("version", "<", below)
    .execute();
  return old.map((v) => num(v.version));
}

/** A state's versions without their content. */
function versionsOf(db: Kysely<Database>, project: string, name: string) {
  return db
    .selectFrom("terraform_state_versions")
    .select([
      "project",
      "name",
      "version",
      "serial",
      "lineage",
      "size_bytes",
      "sha256",
      "created_at",
      "created_by",
      "rolled_back_from",
      "forced",
    ])
    .where("project", "=", project)
    .where("name", "=", name);
}

const UNLOCKED = { lock_id: null, lock_info: null, locked_at: null, locked_by: null } as const;

/** A write or delete may go ahead with no lock held and no `?ID=`, or with the ID of the lock held. */
function lockRefusal(
  row: Selectable<TerraformStatesTable>,
  lockId: string | undefined,
): LockRefusal | undefined {
  const holder = toLock(row);
  if (holder !== undefined && holder.id !== lockId) return { kind: "locked", holder };
  if (holder === undefined && lockId !== undefined) return { kind: "lock-not-held", lockId };
  return undefined;
}

function contended(project: string, name: string): EnvironmentError {
  return new EnvironmentError(`the state ${project}/${name} kept changing while it was being updated`, {
    hint: "another client is writing it in a loop; try again",
  });
}

function toLock(row: Selectable<TerraformStatesTable>): StateLock | undefined {
  if (row.lock_id === null) return undefined;
  return {
    id: row.lock_id,
    info: row.lock_info ?? "{}",
    lockedAt: num(row.locked_at ?? 0),
    lockedBy: row.locked_by ?? "",
  };
}

function toSummary(
  row: Selectable<TerraformStatesTable> & { size_bytes: number | string | null },
): StateSummary {
  return {
    project: row.project,
    name: row.name,
    currentVersion: optNum(row.current_version),
    lastVersion: num(row.last_version),
    serial: optNum(row.serial),
    lineage: row.lineage ?? undefined,
    sha256: row.sha256 ?? undefined,
    sizeBytes: optNum(row.size_bytes),
    updatedAt: optNum(row.updated_at),
    updatedBy: row.updated_by ?? undefined,
    lock: toLock(row),
  };
}

function toVersion(row: Omit<Selectable<TerraformStateVersionsTable>, "content">): StateVersion {
  return {
    project: row.project,
    name: row.name,
    version: num(row.version),
    serial: num(row.serial),
    lineage: row.lineage,
    sizeBytes: num(row.size_bytes),
    sha256: row.sha256,
    createdAt: num(row.created_at),
    createdBy: row.created_by,
    rolledBackFrom: optNum(row.rolled_back_from),
    forced: num(row.forced) === 1,
  };
}
