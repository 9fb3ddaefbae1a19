import type { SourceFile } from "../model.js";

/**
 * Lock files hold integrity hashes and resolved URLs, nothing a person typed, and their hashes
 * trip entropy checks by the thousand; minified bundles and source maps are build output whose
 * secrets, if any, come from source files that are scanned.
 */
const LOCK_FILES = new Set([
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "bun.lock",
  "deno.lock",
  "go.sum",
  "go.work.sum",
  "Cargo.lock",
  "poetry.lock",
  "Pipfile.lock",
  "pdm.lock",
  "uv.lock",
  "Gemfile.lock",
  "composer.lock",
  "packages.lock.json",
  "flake.lock",
  "mix.lock",
  "pubspec.lock",
  "Podfile.lock",
  "gradle.lockfile",
  ".terraform.lock.hcl",
]);

const BUILD_OUTPUT = /\.min\.(?:js|mjs|cjs|css)$|\.(?:js|mjs|cjs|css)\.map$|\.map$/;

/** Every text file the scanner reads, except lock files and minified bundles. */
export function claimsForSecrets(file: SourceFile): boolean {
  const name = file.path.slice(file.path.lastIndexOf("/") + 1);
  return !LOCK_FILES.has(name) && !BUILD_OUTPUT.test(name);
}
