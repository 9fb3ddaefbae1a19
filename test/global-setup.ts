import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";
import { startPostgres } from "./support/postgres.js";
import type { PostgresServer } from "./support/postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the suite's PostgreSQL server; tests create their own databases on it. */
    pgUrl: string;
  }
}

/** One PostgreSQL for the whole run: starting a server per test file would dominate the run time. */
let server: PostgresServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  // The CLI tests run the bundled binary exactly as users do; build it from the current sources.
  execFileSync("node", ["scripts/build.mjs"], { stdio: "inherit" });
  server = await startPostgres();
  project.provide("pgUrl", server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  server = undefined;
}
