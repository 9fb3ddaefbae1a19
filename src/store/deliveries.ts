import { randomUUID } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import { num, optNum } from "./batch.js";
import type { Database, DeploymentsTable } from "./schema.js";

export interface ReleaseRecord {
  project: string;
  service: string;
  version: string;
  checksum: string;
  commit: string | undefined;
  committedAt: number | undefined;
  branch: string | undefined;
  createdAt: number;
  createdBy: string;
  /** The release's configuration and analysis templates, as the delivery module models them. */
  body: unknown;
}

export interface DeploymentRecord {
  id: string;
  project: string;
  environment: string;
  service: string;
  fromVersion: string | undefined;
  toVersion: string;
  mode: "deploy" | "rollback";
  status: string;
  reason: string | undefined;
  createdAt: number;
  createdBy: string;
  finishedAt: number | undefined;
  runId: string | undefined;
  overrideReason: string | undefined;
}

export interface DeploymentEventRecord {
  seq: number;
  at: number;
  type: string;
  body: Record<string, unknown>;
}

export type CreateReleaseOutcome =
  { kind: "created"; release: ReleaseRecord } | { kind: "exists"; release: ReleaseRecord };

/**
 * Environments, releases and deployments. A release version is written once: creating it again
 * with the same checksum finds the first, with another checksum is refused by the caller, so
 * what was reviewed and analysed is what runs. A deployment's events are numbered in order of
 * arrival; only one process (the server running the deployment) appends to one deployment.
 */
export class DeliveryStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async putEnvironment(project: string, name: string, config: unknown, by: string): Promise<void> {
    const row = { project, name, config: JSON.stringify(config), updated_at: Date.now(), updated_by: by };
    await this.#db
      .insertInto("environments")
      .values(row)
      .onConflict((c) =>
        c
          .columns(["project", "name"])
          .doUpdateSet({ config: row.config, updated_at: row.updated_at, updated_by: by }),
      )
      .execute();
  }

  async environments(
    project: string,
  ): Promise<{ name: string; config: unknown; updatedAt: number; updatedBy: string }[]> {
    const rows = await this.#db
      .selectFrom("environments")
      .selectAll()
      .where("project", "=", project)
      .orderBy("name")
      .execute();
    return rows.map((r) => ({
      name: r.name,
      config: JSON.parse(r.config) as unknown,
      updatedAt: num(r.updated_at),
      updatedBy: r.updated_by,
    }));
  }

  async createRelease(release: Omit<ReleaseRecord, "createdAt">): Promise<CreateReleaseOutcome> {
    const existing = await this.release(release.project, release.service, release.version);
    if (existing) return { kind: "exists", release: existing };
    const createdAt = Date.now();
    const inserted = await this.#db
      .insertInto("releases")
      .values({
        project: release.project,
        service: release.service,
        version: release.version,
        checksum: release.checksum,
        commit_sha: release.commit ?? null,
        committed_at: release.committedAt ?? null,
        branch: release.branch ?? null,
        created_at: createdAt,
        created_by: release.createdBy,
        body: JSON.stringify(release.body),
      })
      .onConflict((c) => c.doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
      // Another caller created it between the read and the insert.
      const winner = await this.release(release.project, release.service, release.version);
      if (winner) return { kind: "exists", release: winner };
    }
    return { kind: "created", release: { ...release, createdAt } };
  }

  async release(project: string, service: string, version: string): Promise<ReleaseRecord | undefined> {
    const row = await this.#db
      .selectFrom("releases")
      .selectAll()
      .where("project", "=", project)
      .where("service", "=", service)
      .where("version", "=", version)
      .executeTakeFirst();
    return (
      row && {
        project: row.project,
        service: row.service,
        version: row.version,
        checksum: row.checksum,
        commit: row.commit_sha ?? undefined,
        committedAt: optNum(row.committed_at),
        branch: row.branch ?? undefined,
        createdAt: num(row.created_at),
        createdBy: row.created_by,
        body: JSON.parse(row.body) as unknown,
      }
    );
  }

  async releases(project: string, service: string): Promise<ReleaseRecord[]> {
    const rows = await this.#db
      .selectFrom("releases")
      .select("version")
      .where("project", "=", project)
      .where("service", "=", service)
      .orderBy("created_at", "desc")
      .execute();
    const all = await Promise.all(rows.map((r) => this.release(project, service, r.version)));
    return all.filter((r): r is ReleaseRecord => r !== undefined);
  }

  async createDeployment(
    d: Pick<
      DeploymentRecord,
      | "project"
      | "environment"
      | "service"
      | "fromVersion"
      | "toVersion"
      | "mode"
      | "createdBy"
      | "runId"
      | "overrideReason"
    >,
  ): Promise<DeploymentRecord> {
    const record: DeploymentRecord = {
      ...d,
      id: randomUUID(),
      status: "pending",
      reason: undefined,
      createdAt: Date.now(),
      finishedAt: undefined,
    };
    await this.#db
      .insertInto("deployments")
      .values({
        id: record.id,
        project: d.project,
        environment: d.environment,
        service: d.service,
        from_version: d.fromVersion ?? null,
        to_version: d.toVersion,
        mode: d.mode,
        status: record.status,
        reason: null,
        created_at: record.createdAt,
        created_by: d.createdBy,
        finished_at: null,
        run_id: d.runId ?? null,
        override_reason: d.overrideReason ?? null,
      })
      .execute();
    return record;
  }

  async setDeploymentStatus(id: string, status: string, reason?: string, finished = false): Promise<void> {
    await this.#db
      .updateTable("deployments")
      .set({ status, reason: reason ?? null, ...(finished ? { finished_at: Date.now() } : {}) })
      .where("id", "=", id)
      .execute();
  }

  async appendEvent(id: string, type: string, body: Record<string, unknown>): Promise<DeploymentEventRecord> {
    const last = await this.#db
      .selectFrom("deployment_events")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .where("deployment_id", "=", id)
      .executeTakeFirst();
    const event = { seq: Number(last?.seq ?? 0) + 1, at: Date.now(), type, body };
    await this.#db
      .insertInto("deployment_events")
      .values({ deployment_id: id, seq: event.seq, at: event.at, type, body: JSON.stringify(body) })
      .execute();
    return event;
  }

  async events(id: string, afterSeq = 0): Promise<DeploymentEventRecord[]> {
    const rows = await this.#db
      .selectFrom("deployment_events")
      .selectAll()
      .where("deployment_id", "=", id)
      .where("seq", ">", afterSeq)
      .orderBy("seq")
      .execute();
    return rows.map((r) => ({
      seq: r.seq,
      at: num(r.at),
      type: r.type,
      body: JSON.parse(r.body) as Record<string, unknown>,
    }));
  }

  async deployment(id: string): Promise<DeploymentRecord | undefined> {
    const row = await this.#db.selectFrom("deployments").selectAll().where("id", "=", id).executeTakeFirst();
    return row && deploymentRecord(row);
  }

  async deployments(filter: {
    project: string;
    environment?: string;
    service?: string;
    limit?: number;
  }): Promise<DeploymentRecord[]> {
    let query = this.#db.selectFrom("deployments").selectAll().where("project", "=", filter.project);
    if (filter.environment) query = query.where("environment", "=", filter.environment);
    if (filter.service) query = query.where("service", "=", filter.service);
    const rows = await query
      .orderBy("created_at", "desc")
      .limit(filter.limit ?? 50)
      .execute();
    return rows.map(deploymentRecord);
  }

  /** The release an environment serves now: the target of its last succeeded deployment. */
  async currentVersion(project: string, environment: string, service: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom("deployments")
      .select("to_version")
      .where("project", "=", project)
      .where("environment", "=", environment)
      .where("service", "=", service)
      .where("status", "=", "succeeded")
      .orderBy("created_at", "desc")
      .limit(1)
      .executeTakeFirst();
    return row?.to_version;
  }

  /** Deployments a stopped server left running; they are failed on start, with the reason. */
  async unfinished(): Promise<DeploymentRecord[]> {
    const rows = await this.#db
      .selectFrom("deployments")
      .selectAll()
      .where("status", "in", ["pending", "progressing", "paused"])
      .execute();
    return rows.map(deploymentRecord);
  }
}

function deploymentRecord(row: Selectable<DeploymentsTable>): DeploymentRecord {
  return {
    id: row.id,
    project: row.project,
    environment: row.environment,
    service: row.service,
    fromVersion: row.from_version ?? undefined,
    toVersion: row.to_version,
    mode: row.mode === "rollback" ? "rollback" : "deploy",
    status: row.status,
    reason: row.reason ?? undefined,
    createdAt: num(row.created_at),
    createdBy: row.created_by,
    finishedAt: optNum(row.finished_at),
    runId: row.run_id ?? undefined,
    overrideReason: row.override_reason ?? undefined,
  };
}
