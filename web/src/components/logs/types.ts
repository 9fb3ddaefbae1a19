/**
 * One line of a step's log, as GET /api/runs/ID/logs and the log stream send it (extra fields,
 * such as runId and jobKey, are allowed and ignored).
 */
export interface LogLine {
  /** Numbered from 0 within one attempt of a step; restarts with every attempt. */
  seq: number;
  /** Milliseconds since the epoch. */
  at: number;
  /** `system` lines are Slipway's own notes (cache hits, retries, approvals). */
  stream: "stdout" | "stderr" | "system";
  /**
   * The text, masked, possibly with ANSI escapes and with the markers workflow commands leave:
   * `##[group]name`, `##[endgroup]`, `##[error]message`, `##[warning]`, `##[notice]`, `##[debug]`.
   */
  text: string;
  /** The step attempt; a log holding several attempts marks where each begins. */
  attempt?: number;
}

/**
 * A problem a step reported (GitHub's `::error file=..,line=..::message`), as the
 * `step.annotation` events of GET /api/runs/ID/events carry it.
 */
export interface Annotation {
  level: "error" | "warning" | "notice";
  message: string;
  title?: string;
  /** The file it is about, relative to the workspace, with an optional range. */
  file?: string;
  line?: number;
  endLine?: number;
  column?: number;
  endColumn?: number;
  /** The attempt of the step that reported it; narrows the search for its log line. */
  attempt?: number;
  /**
   * The log line it was printed at (1-based, as in the gutter), when the caller knows it.
   * Otherwise the viewer finds the line: each annotation leaves a `##[level]message` line, and
   * the n-th annotation with a given level and message is the n-th such line.
   */
  logLine?: number;
}

export interface LogViewerProps {
  /**
   * The lines of one step (every attempt, or one), in the order the server returns them.
   *
   * Live tail: pass a longer array as lines arrive (a new array, or the same one grown; the
   * objects may be new copies). The viewer checks that the lines it has already seen are still
   * the start of the array and only processes the new ones. Anything else (another step) is
   * taken as a new log; giving the viewer a React `key` per step does the same, cheaper.
   */
  lines: readonly LogLine[];
  /**
   * The step is still running: the view follows new lines while it is scrolled to the bottom,
   * and the group being written is shown open. Default false.
   */
  live?: boolean;
  /**
   * A line to mark and scroll to, 1-based as in the gutter (the caller keeps it in the URL
   * hash). Groups holding it open. Line numbers are positions in `lines`, because `seq`
   * restarts with every attempt of a step.
   */
  highlight?: number;
  /**
   * Called with the 1-based line number when a line number is clicked (or Enter is pressed on a
   * line, or an annotation is followed), for the caller to put it in the URL.
   */
  onLineLink?: (line: number) => void;
  /** The URL of a line, so that line numbers are real links (open in a new tab, copy link). */
  lineHref?: (line: number) => string;
  /** Shown above the log; each one whose line is known jumps to it. */
  annotations?: readonly Annotation[];
  /** The step summary ($GITHUB_STEP_SUMMARY), Markdown; raw HTML in it is shown as text. */
  summary?: string;
  /** The file name of the download. Default `log.txt`. */
  downloadName?: string;
  /** Height of the scrolling log: pixels, or any CSS length. Default `min(70vh, 48rem)`. */
  height?: number | string;
  /** Accessible name of the log, e.g. "build › Run tests". Default "Log". */
  label?: string;
  /** Whether timestamps show at first (the reader can toggle them). Default false. */
  defaultTimestamps?: boolean;
}
