import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess, SpawnOptions } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort, stderrTail, stopProcess, waitUntilReady } from "./server-process.js";

/**
 * A real PostgreSQL server for tests, started from Debian's packaged binaries in a throw-away
 * directory on a free loopback port. Not a fake: the store's PostgreSQL dialect must meet the
 * real type system, locking and error behaviour.
 */
export interface PostgresServer {
  /** Superuser URL of the `postgres` database. */
  url: string;
  stop(): Promise<void>;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** The URL of a database over the server's Unix socket instead of TCP. */
  socketUrl(databaseUrl: string): string;
}

const POSTGRES_ROOT = "/usr/lib/postgresql";
const READY_TIMEOUT_MS = 30_000;

export async function startPostgres(): Promise<PostgresServer> {
  const bin = findBinDir();
  const owner = serverUser();
  const base = await mkdtemp(join(tmpdir(), "slipway-pg-"));
  const dataDir = join(base, "data");
  const socketDir = join(base, "run");
  await mkdir(socketDir);
  if (owner !== undefined) await chown(base, owner.uid, owner.gid);
  if (owner !== undefined) await chown(socketDir, owner.uid, owner.gid);

  const asOwner: SpawnOptions = owner === undefined ? {} : { uid: owner.uid, gid: owner.gid };
  await run(
    join(bin, "initdb"),
    ["-D", dataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"],
    asOwner,
  );

  let lastError: unknown;
  // The port is free when we probe it but another process may take it before postgres binds;
  // retrying with a new port covers that race.
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort();
    const child = spawn(
      join(bin, "postgres"),
      [
        "-D",
        dataDir,
        "-p",
        String(port),
        "-k",
        socketDir,
        "-c",
        "listen_addresses=127.0.0.1",
        // Test data is thrown away, so durability is traded for speed.
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "shared_buffers=16MB",
        "-c",
        "max_connections=200",
      ],
      { ...asOwner, stdio: ["ignore", "ignore", "pipe"] },
    );
    const stderr = stderrTail(child);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    try {
      await waitUntilReady({
        name: "postgres",
        child,
        stderr,
        probe: () => accepts(url),
        timeoutMs: READY_TIMEOUT_MS,
        missing: "cannot start postgres: run ./scripts/test, which installs Debian's postgresql package",
      });
    } catch (error) {
      lastError = error;
      await stopPostgres(child);
      continue;
    }
    // If the test runner exits without teardown (a crash, Ctrl-C), don't leave the server
    // running. SIGQUIT is PostgreSQL's immediate shutdown: an exit handler cannot wait for a fast one.
    const orphanGuard = () => child.kill("SIGQUIT");
    process.once("exit", orphanGuard);
    return {
      url,
      async stop() {
        process.off("exit", orphanGuard);
        await stopPostgres(child);
        await rm(base, { recursive: true, force: true });
      },
      async createDatabase(name: string) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(`create database ${quoteIdent(name)}`);
        } finally {
          await client.end();
        }
        return databaseUrl(url, name);
      },
      socketUrl(databaseUrl: string) {
        const over = new URL(databaseUrl);
        over.hostname = "";
        over.searchParams.set("host", socketDir);
        return over.toString();
      },
    };
  }
  await rm(base, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

/** The URL of another database on the same server. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

function findBinDir(): string {
  const versions = existsSync(POSTGRES_ROOT)
    ? readdirSync(POSTGRES_ROOT)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(POSTGRES_ROOT, v, "bin", "postgres")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new Error(
      `PostgreSQL server binaries not found under ${POSTGRES_ROOT}/<version>/bin. ` +
        "Run the tests with ./scripts/test, which installs the `postgresql` package; the store tests need a real server.",
    );
  }
  return join(POSTGRES_ROOT, newest, "bin");
}

/** initdb and postgres refuse to run as root; as root, run them as the `postgres` system user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch (error) {
    throw new Error(
      "running as root but there is no `postgres` user to run PostgreSQL as; install the `postgresql` package (./scripts/test does)",
      { cause: error },
    );
  }
}

/*
 * Dropping to the postgres user through spawn's uid/gid (libuv also clears supplementary groups)
 * rather than `runuser`: the child is postgres itself, so signals reach the postmaster directly
 * instead of depending on runuser forwarding them.
 */
function run(command: string, args: string[], options: SpawnOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} exited with ${code}:\n${output}`));
    });
  });
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** True when PostgreSQL at `url` accepts a connection and answers a query. */
async function accepts(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** SIGINT is PostgreSQL's "fast" shutdown: it disconnects clients instead of waiting for them. */
function stopPostgres(child: ChildProcess): Promise<void> {
  return stopProcess(child, "SIGINT", 10_000);
}
