import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";

/** Where scripts/test builds OpenTofu from the Go module proxy when the machine has no terraform. */
export const TOFU_CACHE = path.join(os.homedir(), ".cache", "slipway-test", "bin", "tofu");

/**
 * The terraform (or OpenTofu) binary the tests drive: $SLIPWAY_TEST_TERRAFORM, /usr/local/bin/terraform,
 * one on PATH, or the OpenTofu that scripts/test builds. Tests fail, not skip, when there is none.
 */
export function terraformBinary(): string {
  const chosen = process.env.SLIPWAY_TEST_TERRAFORM;
  if (chosen) return chosen;
  for (const candidate of ["/usr/local/bin/terraform", "terraform", "tofu", TOFU_CACHE]) {
    if (path.isAbsolute(candidate) ? existsSync(candidate) : onPath(candidate)) return candidate;
  }
  throw new Error(
    "no terraform or tofu binary: run ./scripts/test, which builds OpenTofu from the Go module proxy when terraform is missing",
  );
}

function onPath(command: string): boolean {
  return spawnSync(command, ["version"], { stdio: "ignore" }).status === 0;
}

/**
 * A HOME for terraform that cannot download anything: its CLI configuration (`.terraformrc`,
 * also for TF_CLI_CONFIG_FILE) allows no provider source but an empty directory, so tests use
 * terraform_data resources only.
 */
export function offlineTerraformHome(prefix: string): { home: string; cliConfig: string } {
  const home = mkdtempSync(path.join(os.tmpdir(), prefix));
  const cliConfig = path.join(home, ".terraformrc");
  mkdirSync(path.join(home, "no-providers"));
  writeFileSync(
    cliConfig,
    `disable_checkpoint = true\nprovider_installation {\n  filesystem_mirror {\n    path = "${path.join(home, "no-providers")}"\n  }\n}\n`,
  );
  return { home, cliConfig };
}
