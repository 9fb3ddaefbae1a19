/**
 * One error hierarchy for everything a user can meet. Each error has a machine-readable `code`,
 * an optional `hint`, and a `cause` chain; the CLI maps them to exit codes in one place
 * (cli/exit-codes.ts). Bugs are `InternalError`, never a user-facing class.
 */

export interface SourcePosition {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** One problem found in a user's file, with where it is and what would fix it. */
export interface Diagnostic {
  position: SourcePosition;
  message: string;
  /** What the file should have held instead, when there is a clear answer. */
  expected?: string | undefined;
  hint?: string | undefined;
}

export interface SlipwayErrorOptions {
  hint?: string | undefined;
  cause?: unknown;
}

export class SlipwayError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: SlipwayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** A pipeline or configuration file that cannot be used. Carries every problem found, not only the first. */
export class ConfigError extends SlipwayError {
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[], options: SlipwayErrorOptions = {}) {
    const first = diagnostics[0];
    const where = first ? `${formatPosition(first.position)}: ${first.message}` : "invalid configuration";
    const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : "";
    super("CONFIG_INVALID", where + more, options);
    this.diagnostics = diagnostics;
  }
}

/** The user asked for something that does not exist or cannot be done (unknown run, unknown job...). */
export class UsageError extends SlipwayError {
  constructor(message: string, options: SlipwayErrorOptions = {}) {
    super("USAGE", message, options);
  }
}

/** A failure of something outside Slipway (the store, git, the file system) that the user may fix. */
export class EnvironmentError extends SlipwayError {
  constructor(message: string, options: SlipwayErrorOptions = {}) {
    super("ENVIRONMENT", message, options);
  }
}

/** A bug in Slipway. The message is for a bug report, not for the user to act on. */
export class InternalError extends SlipwayError {
  constructor(message: string, options: SlipwayErrorOptions = {}) {
    super("INTERNAL", message, options);
  }
}

export function formatPosition(position: SourcePosition): string {
  return `${position.file}:${position.line}:${position.column}`;
}

/**
 * Renders diagnostics the way compilers do: position, message, the offending source line with a
 * caret under the column, then what was expected and the hint.
 */
export function formatDiagnostics(
  diagnostics: readonly Diagnostic[],
  sources: ReadonlyMap<string, string>,
): string {
  const blocks = diagnostics.map((d) => {
    const lines = [`${formatPosition(d.position)}: error: ${d.message}`];
    const text = sources.get(d.position.file);
    const sourceLine = text?.split(/\r?\n/)[d.position.line - 1];
    if (sourceLine !== undefined) {
      const gutter = String(d.position.line);
      lines.push(`  ${gutter} | ${sourceLine}`);
      lines.push(`  ${" ".repeat(gutter.length)} | ${" ".repeat(Math.max(0, d.position.column - 1))}^`);
    }
    if (d.expected) lines.push(`  expected: ${d.expected}`);
    if (d.hint) lines.push(`  hint: ${d.hint}`);
    return lines.join("\n");
  });
  const count = diagnostics.length;
  return `${blocks.join("\n\n")}\n\n${count} error${count === 1 ? "" : "s"}`;
}
