import type { Kysely, Selectable, Transaction } from "kysely";
import { num, optNum } from "./batch.js";
import type { Database, TerraformDriftTable } from "./schema.js";

/** The step that made a check: a drift check decides the status, a clean plan can only clear it. */
export type DriftSource = "terraform-drift" | "terraform-plan";

/** The last status of one Terraform directory and workspace of a project. */
export interface DriftStatus {
  project: string;
  dir: string;
  workspace: string;
  drifted: boolean;
  /** When the current status (drifted or clean) began. */
  since: number;
  checkedAt: number;
  checkedBy: DriftSource;
  runId: string;
  runNumber: number | undefined;
  jobKey: string;
  /** JSON: what the last drift check found for the workspace; undefined once a clean plan cleared it. */
  report: string | undefined;
}

interface CheckBase {
  project: string;
  dir: string;
  workspace: string;
  /** When the step made the check; a check older than the one recorded is not applied. */
  at: number;
  runId: string;
  runNumber: number | undefined;
  jobKey: string;
}

export type DriftCheck =
  | (CheckBase & { source: "terraform-drift"; drifted: boolean; report: string })
  | (CheckBase & { source: "terraform-plan"; hasChanges: boolean });

export type DriftOutcome =
  /** The status changed (or was recorded for the first time, `previous` undefined). */
  | { kind: "changed"; previous: DriftStatus | undefined; current: DriftStatus }
  /** The same status, checked again. */
  | { kind: "confirmed"; current: DriftStatus }
  /**
   * Nothing recorded: a check older than the recorded one (batches of several runs arrive in any
   * order), a plan of a directory no drift check covers, or a plan with changes, which may be
   * the change under review rather than drift.
   */
  | { kind: "ignored"; reason: "older" | "untracked" | "changes" };

/**
 * Drift status per project, directory and workspace. A drift check sets it either way; a plan
 * without changes clears a drifted mark (the real world matches the configuration again); a
 * plan with changes leaves it. Each check is decided on the row, held for the transaction, so
 * two reports of one workspace arriving together are applied one after the other.
 */
export class TerraformDriftStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Every directory and workspace of the project, by directory then workspace. */
  async list(project: string): Promise<DriftStatus[]> {
    const rows = await this.#db
      .selectFrom("terraform_drift")
      .selectAll()
      .where("project", "=", project)
      .execute();
    // Sorted here, by code unit, so both dialects agree whatever the database's collation.
    return rows.map(toStatus).sort((a, b) => compare(a.dir, b.dir) || compare(a.workspace, b.workspace));
  }

  async record(check: DriftCheck): Promise<DriftOutcome> {
    return this.#db.transaction().execute(async (trx) => {
      if (check.source === "terraform-drift") {
        const fresh: TerraformDriftTable = {
          project: check.project,
          dir: check.dir,
          workspace: check.workspace,
          drifted: check.drifted ? 1 : 0,
          since: check.at,
          checked_at: check.at,
          checked_by: check.source,
          run_id: check.runId,
          run_number: check.runNumber ?? null,
          job_key: check.jobKey,
          report: check.report,
        };
        const inserted = await trx
          .insertInto("terraform_drift")
          .values(fresh)
          .onConflict((oc) => oc.columns(["project", "dir", "workspace"]).doNothing())
          .executeTakeFirst();
        if ((inserted.numInsertedOrUpdatedRows ?? 0n) > 0n)
          return { kind: "changed", previous: undefined, current: toStatus(fresh) } as const;
      }
      const row = await lockRow(trx, check);
      if (row === undefined) return { kind: "ignored", reason: "untracked" } as const;
      const previous = toStatus(row);
      if (check.at < previous.checkedAt) return { kind: "ignored", reason: "older" } as const;
      if (check.source === "terraform-plan" && check.hasChanges)
        return { kind: "ignored", reason: "changes" } as const;

      const drifted = check.source === "terraform-drift" && check.drifted;
      const next: TerraformDriftTable = {
        ...row,
        drifted: drifted ? 1 : 0,
        since: drifted === previous.drifted ? previous.since : check.at,
        checked_at: check.at,
        checked_by: check.source,
        run_id: check.runId,
        run_number: check.runNumber ?? null,
        job_key: check.jobKey,
        report: check.source === "terraform-drift" ? check.report : null,
      };
      await trx
        .updateTable("terraform_drift")
        .set(next)
        .where("project", "=", check.project)
        .where("dir", "=", check.dir)
        .where("workspace", "=", check.workspace)
        .execute();
      const current = toStatus(next);
      return drifted === previous.drifted
        ? ({ kind: "confirmed", current } as const)
        : ({ kind: "changed", previous, current } as const);
    });
  }
}

/**
 * The row, held until the transaction ends: the UPDATE that changes nothing takes PostgreSQL's
 * row lock and returns the row as the last writer committed it (SQLite's write transactions are
 * serialized already).
 */
function lockRow(
  trx: Transaction<Database>,
  check: DriftCheck,
): Promise<Selectable<TerraformDriftTable> | undefined> {
  return trx
    .updateTable("terraform_drift")
    .set((eb) => ({ checked_at: eb.ref("checked_at") }))
    .where("project", "=", check.project)
    .where("dir", "=", check.dir)
    .where("workspace", "=", check.workspace)
    .returningAll()
    .executeTakeFirst();
}

function toStatus(row: Selectable<TerraformDriftTable>): DriftStatus {
  return {
    project: row.project,
    dir: row.dir,
    workspace: row.workspace,
    drifted: num(row.drifted) === 1,
    since: num(row.since),
    checkedAt: num(row.checked_at),
    checkedBy: row.checked_by as DriftSource,
    runId: row.run_id,
    runNumber: optNum(row.run_number),
    jobKey: row.job_key,
    report: row.report ?? undefined,
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
