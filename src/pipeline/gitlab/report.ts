import { ConfigError } from "../../errors/index.js";
import type { Diagnostic, SourcePosition } from "../../errors/index.js";
import { dedupeDiagnostics } from "../../config/schema-diagnostics.js";

/** Something about the run that the user should know before it starts. */
export interface GitlabNotice {
  message: string;
  position: SourcePosition | undefined;
  hint?: string | undefined;
}

/**
 * What compiling a GitLab file has to tell: errors (every one, reported together), warnings
 * (where the run will differ from GitLab's) and notes (keywords with no effect here, one line
 * per keyword however many jobs use it).
 */
export class Report {
  readonly diagnostics: Diagnostic[] = [];
  readonly warnings: GitlabNotice[] = [];
  /** Files in the order they were read, for sorting errors: the main file, then its includes. */
  readonly files: string[];
  private readonly noteGroups = new Map<
    string,
    { reason: string; jobs: string[]; position: SourcePosition }
  >();

  constructor(mainFile: string) {
    this.files = [mainFile];
  }

  error(diagnostic: Diagnostic): void {
    this.diagnostics.push(diagnostic);
  }

  get failed(): boolean {
    return this.diagnostics.length > 0;
  }

  warn(message: string, position: SourcePosition | undefined, hint?: string): void {
    this.warnings.push({ message, position, hint });
  }

  note(keyword: string, job: string, reason: string, position: SourcePosition): void {
    const found = this.noteGroups.get(keyword);
    if (!found) this.noteGroups.set(keyword, { reason, jobs: [job], position });
    else if (!found.jobs.includes(job)) found.jobs.push(job);
  }

  notes(): GitlabNotice[] {
    return [...this.noteGroups.entries()].map(([keyword, n]) => ({
      message: `${keyword} (${listJobs(n.jobs)}): ${n.reason}`,
      position: n.position,
    }));
  }

  /** Every problem at once, without repeats (a template's error is met by each job using it), in file order. */
  failure(): ConfigError {
    const unique = dedupeDiagnostics(this.diagnostics);
    const rank = (file: string) => {
      const i = this.files.indexOf(file);
      return i === -1 ? this.files.length : i;
    };
    unique.sort(
      (a, b) =>
        rank(a.position.file) - rank(b.position.file) ||
        a.position.line - b.position.line ||
        a.position.column - b.position.column,
    );
    return new ConfigError(unique);
  }
}

/** Job names for a message: all of a few, the first ones of many. */
export function listJobs(jobs: readonly string[]): string {
  return jobs.length <= 6 ? jobs.join(", ") : `${jobs.slice(0, 5).join(", ")} and ${jobs.length - 5} more`;
}
