import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { CompiledQuery, Kysely, SqliteAdapter, SqliteDialect, SqliteDriver } from "kysely";
import type {
  DatabaseConnection,
  DialectAdapter,
  Driver,
  SqliteDatabase,
  SqliteDialectConfig,
  SqliteStatement,
} from "kysely";
import { EnvironmentError } from "../errors/index.js";
import { KyselyStore } from "./kysely-store.js";
import { migrateToLatest } from "./migrations.js";
import type { Database } from "./schema.js";
import type { Store } from "./types.js";

const BUSY_TIMEOUT_MS = 5000;

/** Statements kept prepared; the engine repeats the same few shapes thousands of times a run. */
const STATEMENT_CACHE_SIZE = 256;

interface SharedDatabase {
  db: Kysely<Database>;
  stores: number;
}

/*
 * better-sqlite3 is synchronous: a second connection in the same process waiting on the write
 * lock would block the event loop, so the first connection could never commit, and both would
 * hang for busy_timeout and fail. Stores opened on the same file in one process therefore share
 * one connection (Kysely queues its transactions); separate processes wait on SQLite's lock.
 */
const shared = new Map<string, Promise<SharedDatabase>>();

/**
 * Opens (creating if needed) the SQLite store at `file`, or a private in-memory one for
 * ":memory:". Several processes may share the file: WAL lets readers run beside the writer,
 * and write transactions wait for each other up to the busy timeout.
 */
export async function openSqliteStore(file: string): Promise<Store> {
  if (file === ":memory:") return new KyselyStore(await openDatabase(file));
  const path = resolve(file);
  let entry = shared.get(path);
  if (entry === undefined) {
    entry = openDatabase(path).then((db) => ({ db, stores: 0 }));
    shared.set(path, entry);
    entry.catch(() => shared.delete(path));
  }
  const database = await entry;
  database.stores += 1;
  return new KyselyStore(database.db, async () => {
    database.stores -= 1;
    if (database.stores > 0) return;
    shared.delete(path);
    await database.db.destroy();
  });
}

async function openDatabase(path: string): Promise<Kysely<Database>> {
  let sqlite: BetterSqlite3.Database;
  try {
    if (path !== ":memory:") await mkdir(dirname(path), { recursive: true });
    sqlite = new BetterSqlite3(path);
  } catch (error) {
    throw new EnvironmentError(`cannot open the SQLite store at ${path}: ${describe(error)}`, {
      cause: error,
      hint: "check that the directory exists or can be created, and that it is writable",
    });
  }
  try {
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    await enableWal(sqlite);
    // NORMAL in WAL mode loses nothing when the process dies, only (possibly) the last
    // transactions on power loss, and saves an fsync per commit.
    sqlite.pragma("synchronous = NORMAL");
    sqlite.pragma("foreign_keys = ON");
  } catch (error) {
    sqlite.close();
    throw new EnvironmentError(`cannot use the SQLite store at ${path}: ${describe(error)}`, {
      cause: error,
      hint: "the file may not be a SQLite database, or another program holds it locked",
    });
  }

  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: cached(sqlite) }) });
  try {
    await migrateToLatest(db as Kysely<unknown>, path);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

/**
 * Kysely opens SQLite transactions with a plain BEGIN, which takes the write lock only at the
 * first write. If another process wrote in between, the upgrade fails with SQLITE_BUSY at once,
 * without waiting for busy_timeout. BEGIN IMMEDIATE takes the write lock up front (waiting for
 * it), so the CLI and a server sharing one file queue up instead of failing. Every transaction
 * this store opens writes, so nothing is lost by it.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

/**
 * SQLite runs DDL inside transactions; Kysely's adapter says it cannot. Saying it can makes the
 * migrator apply migrations in one BEGIN IMMEDIATE transaction, so a crash mid-migration leaves
 * the old schema and two processes starting together take turns (Kysely's own SQLite migration
 * lock only guards one process).
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/**
 * Switching to WAL needs the file to itself, and SQLite answers SQLITE_BUSY at once instead of
 * waiting for busy_timeout; two processes creating the same new store meet exactly that. The
 * mode is stored in the file, so once either has switched the other's retry is a no-op.
 */
async function enableWal(sqlite: BetterSqlite3.Database): Promise<void> {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      sqlite.pragma("journal_mode = WAL");
      return;
    } catch (error) {
      const busy = (error as { code?: unknown }).code === "SQLITE_BUSY";
      if (!busy || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** Kysely prepares every query anew; better-sqlite3 statements can be reused. */
function cached(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (statement === undefined) {
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
        statement = sqlite.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
    close(): void {
      statements.clear();
      sqlite.close();
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
