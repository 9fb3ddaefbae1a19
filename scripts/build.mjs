// Bundles the CLI into one ESM file. Loading one file instead of hundreds of modules is what
// makes `slipway` start in tens of milliseconds rather than hundreds.
import { build } from "esbuild";
import { readFileSync, rmSync } from "node:fs";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

// Chunk names carry content hashes: start clean so old chunks do not pile up. dist/web (the web
// UI, built by Vite) is left alone: the test setup rebuilds the CLI without rebuilding the UI.
for (const output of ["chunks", "slipway.js", "slipway.js.map"]) {
  rmSync(new URL(`../dist/${output}`, import.meta.url), { recursive: true, force: true });
}

await build({
  entryPoints: ["src/cli/main.ts"],
  outdir: "dist",
  entryNames: "slipway",
  chunkNames: "chunks/[name]-[hash]",
  // Commands and heavy parts (the YAML compiler, zod, the XML parser) are loaded when used.
  splitting: true,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  minify: true,
  // Native addons, optional drivers and the WebAssembly parser runtime (which loads its .wasm
  // from its own package directory) stay as packages.
  external: ["better-sqlite3", "pg", "pg-native", "web-tree-sitter", "esbuild"],
  // The build id keys caches of compiled pipelines: a new build never reads an old build's IR.
  define: {
    __SLIPWAY_VERSION__: JSON.stringify(version),
    __SLIPWAY_BUILD__: JSON.stringify(`${version}+${Date.now()}`),
  },
  // Bundled CommonJS dependencies call require(); give them one.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
  logLevel: "warning",
});
