import { Kysely, PostgresDialect } from "kysely";
import type pg from "pg";
import { EnvironmentError } from "../errors/index.js";
import { KyselyStore } from "./kysely-store.js";
import { migrateToLatest } from "./migrations.js";
import type { Database } from "./schema.js";
import type { Store } from "./types.js";

const INT8_OID = 20;

/*
 * PostgreSQL sends `bigint` as text because it can exceed 2^53. Everything this store keeps in
 * bigint (epoch milliseconds, byte sizes, counters) fits a JavaScript number, so the pool parses
 * it as one. The parser is set on this pool only: pg.types.setTypeParser would change every pg
 * client in the process.
 */
function bigintAsNumber(driver: typeof pg): pg.CustomTypesConfig {
  return {
    getTypeParser(oid: number, format?: "text" | "binary") {
      if (oid === INT8_OID && format !== "binary") return (value: string) => Number(value);
      return driver.types.getTypeParser(oid, format);
    },
  } as pg.CustomTypesConfig;
}

/** Opens the PostgreSQL store at `url` (a postgres:// connection string) and migrates it. */
export async function openPostgresStore(url: string): Promise<Store> {
  // Imported here, not at the top: local runs on SQLite should not pay for loading the driver.
  const { default: driver } = await import("pg");
  const types = bigintAsNumber(driver);
  const where = redact(url);
  const pool = new driver.Pool({ connectionString: url, max: 10, types });
  // An idle client that loses its server (restart, failover) emits 'error' on the pool;
  // unhandled, that would crash the process. The next query reconnects.
  pool.on("error", () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new EnvironmentError(`cannot connect to PostgreSQL at ${where}: ${describe(error)}`, {
      cause: error,
      hint: "check that the server is running, the URL (host, port, database, user) is right, and the password is set",
    });
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateToLatest(db as Kysely<unknown>, where);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new KyselyStore(db);
}

/** The URL without its password, for messages that may end up in logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "the configured URL";
  }
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(describe).join("; ");
  }
  return error instanceof Error ? error.message || error.name : String(error);
}
