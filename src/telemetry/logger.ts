import { pino } from "pino";
import type { DestinationStream, Logger as PinoLogger } from "pino";
import { UsageError } from "../errors/index.js";

/** A structured JSON logger (pino). Child loggers (`logger.child({ runId })`) keep the redaction. */
export type Logger = PinoLogger;

export interface LoggerOptions {
  /** Minimum level written: trace, debug, info, warn, error, fatal or silent. Default `info`. */
  level?: string;
  /** A stream, or a file descriptor written synchronously. Default: standard output (fd 1). */
  destination?: NodeJS.WritableStream | number;
  /** Written as `name` on every line. Default: none. */
  name?: string;
}

/** What replaces a redacted value. */
export const REDACTED = "[REDACTED]";

/**
 * Headers that carry credentials: API tokens and session cookies, and the webhook signatures and
 * tokens of GitHub, GitLab and Slipway itself (a leaked shared secret lets anyone trigger runs).
 */
const SECRET_HEADERS = [
  "authorization",
  "cookie",
  "set-cookie",
  "x-hub-signature-256",
  "x-gitlab-token",
  "x-slipway-signature",
];

/** Where headers appear: pino's `req`/`res` serializers, and request objects logged by hand. */
const HEADER_HOLDERS = ["req.headers", "request.headers", "res.headers", "response.headers", "headers"];

/** Field names that hold a credential whatever object they are in. */
const SECRET_FIELDS = ["token", "secret", "password"];

/**
 * Paths in pino's redact syntax (https://getpino.io/#/docs/redaction). Secret fields are redacted
 * at the first two levels only: a wildcard at every depth would make each line cost a full walk of
 * the logged object, and log calls pass flat context objects.
 */
export const REDACT_PATHS: readonly string[] = [
  ...HEADER_HOLDERS.flatMap((holder) => SECRET_HEADERS.map((header) => `${holder}["${header}"]`)),
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]),
];

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  if (level !== "silent" && !(level in pino.levels.values)) {
    throw new UsageError(`unknown log level "${level}"`, {
      hint: `use one of: ${[...Object.keys(pino.levels.values), "silent"].join(", ")}`,
    });
  }
  return pino(
    {
      level,
      ...(options.name === undefined ? {} : { name: options.name }),
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    },
    toDestination(options.destination),
  );
}

function toDestination(destination: NodeJS.WritableStream | number | undefined): DestinationStream {
  if (typeof destination === "object") return destination;
  // Synchronous writes: the lines explaining a crash are the ones an asynchronous writer loses
  // when the process dies, and the control plane logs far too little for the blocking to matter.
  return pino.destination({ dest: destination ?? 1, sync: true });
}
