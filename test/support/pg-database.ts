import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { databaseUrl } from "./postgres.js";

/**
 * Creates an empty database on the suite's PostgreSQL server (see test/global-setup.ts) and
 * returns its URL. Each test gets its own, so tests and test files never see each other's rows.
 */
export async function freshDatabase(prefix: string): Promise<string> {
  const serverUrl = inject("pgUrl");
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_")
    .slice(0, 30);
  const name = `${clean}_${process.pid}_${randomBytes(4).toString("hex")}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
  return databaseUrl(serverUrl, name);
}
