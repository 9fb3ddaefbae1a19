import { defineConfig } from "vitest/config";

/**
 * The GitLab front-end's tests without the suite's global setup (CLI build, PostgreSQL), which
 * they do not use: `npx vitest run --config test/pipeline/gitlab/vitest.config.ts`.
 */
// eslint-disable-next-line no-restricted-syntax -- vitest reads the config's default export
export default defineConfig({
  test: {
    include: ["test/pipeline/gitlab/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
