import { ConfigError, SlipwayError, UsageError } from "../errors/index.js";
import type { RunStatus } from "../pipeline/index.js";

/** The documented exit codes of every command (README: "Exit codes"). */
export const EXIT = {
  ok: 0,
  /** The pipeline ran and failed. */
  failed: 1,
  /** Invalid input: a bad pipeline file, unknown job or option. Nothing ran. */
  invalid: 2,
  /** Slipway itself could not work: the store, git, the file system. */
  environment: 3,
  /** Cancelled by Ctrl-C / SIGTERM (128 + SIGINT). */
  cancelled: 130,
} as const;

export function exitCodeForRun(status: RunStatus): number {
  switch (status) {
    case "success":
      return EXIT.ok;
    case "cancelled":
      return EXIT.cancelled;
    default:
      return EXIT.failed;
  }
}

export function exitCodeForError(error: unknown): number {
  if (error instanceof ConfigError || error instanceof UsageError) return EXIT.invalid;
  if (error instanceof SlipwayError && error.code !== "INTERNAL") return EXIT.environment;
  return EXIT.environment;
}
