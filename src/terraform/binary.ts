import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import { EnvironmentError } from "../errors/index.js";

/** Tried in order when neither the step's `binary` nor SLIPWAY_TERRAFORM chooses one. */
const DEFAULT_COMMANDS = ["terraform", "tofu"] as const;

/**
 * The terraform executable a step runs: the step's `binary`, else $SLIPWAY_TERRAFORM, else
 * `terraform` and then `tofu` on PATH. A chosen binary that does not exist is an error, not a
 * reason to fall back: running another version than the one asked for could change the plan.
 */
export function resolveTerraformBinary(chosen: string | undefined, env: NodeJS.ProcessEnv): string {
  const explicit = chosen ?? (env.SLIPWAY_TERRAFORM || undefined);
  if (explicit !== undefined) {
    const found = findExecutable(explicit, env);
    if (found) return found;
    throw new EnvironmentError(`terraform binary "${explicit}" not found or not executable`, {
      hint:
        chosen !== undefined
          ? "fix the step's `binary:`, or remove it to use terraform from PATH"
          : "fix SLIPWAY_TERRAFORM, or unset it to use terraform from PATH",
    });
  }
  for (const command of DEFAULT_COMMANDS) {
    const found = findExecutable(command, env);
    if (found) return found;
  }
  throw new EnvironmentError("no terraform binary: neither terraform nor tofu is on PATH", {
    hint: "install Terraform or OpenTofu, or name the binary with the step's `binary:` or SLIPWAY_TERRAFORM",
  });
}

function findExecutable(command: string, env: NodeJS.ProcessEnv): string | undefined {
  if (command.includes("/")) return isExecutable(command) ? path.resolve(command) : undefined;
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
