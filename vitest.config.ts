import { readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    {
      // Its source maps name sources the package does not ship; Vite would warn for every file.
      name: "workflow-parser-without-source-maps",
      load(id) {
        if (!id.includes("/@actions/workflow-parser/dist/") || !id.endsWith(".js")) return null;
        return readFileSync(id, "utf8").replace(/\/\/# sourceMappingURL=\S+\s*$/, "");
      },
    },
  ],
  test: {
    include: ["test/**/*.test.ts", "web/test/**/*.test.tsx"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ["test/global-setup.ts"],
    pool: "forks",
    // @actions/workflow-parser imports its JSON schema without an import attribute, which Node
    // refuses; processed by Vite, as esbuild does for the CLI bundle, it loads.
    server: { deps: { inline: ["@actions/workflow-parser"] } },
  },
});
