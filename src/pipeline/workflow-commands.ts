import type { Annotation } from "./events.js";

/**
 * GitHub's workflow commands: `::name key=value,...::data` lines a step prints to talk to the
 * runner (https://docs.github.com/actions/reference/workflows-and-actions/workflow-commands).
 * Parsed as the runner does (ActionCommand.TryParseV2 in actions/runner): the line, leading
 * spaces trimmed, starts with `::`, the command section ends at the next `::`, properties are
 * comma-separated `key=value`, and `%25`, `%0D`, `%0A` (plus `%3A`, `%2C` in properties) are
 * unescaped. An unknown command is ordinary output, as on GitHub.
 *
 * Commands leave GitHub's own log markers in the log (`##[group]`, `##[error]`...), which the
 * terminal and `slipway logs` render; the command line itself is not kept, so a value passed to
 * `::add-mask::` never reaches the log.
 */
export interface CommandSink {
  annotation(annotation: Annotation): void;
  mask(value: string): void;
  output(name: string, value: string): void;
  state(name: string, value: string): void;
  /** A command that fails the step (the disabled `set-env` and `add-path`). */
  fail(reason: string): void;
}

const KNOWN = new Set([
  "add-mask",
  "add-matcher",
  "remove-matcher",
  "debug",
  "notice",
  "warning",
  "error",
  "group",
  "endgroup",
  "echo",
  "stop-commands",
  "set-output",
  "save-state",
  "set-env",
  "add-path",
]);

export class WorkflowCommands {
  private stopToken: string | undefined;
  private echo = false;

  constructor(
    private readonly sink: CommandSink,
    private readonly debug: boolean,
  ) {}

  /**
   * Handles one line of a step's output. Returns the text to log (which may hold several lines),
   * or undefined when nothing is logged. The caller masks what is returned.
   */
  line(text: string): string | undefined {
    const trimmed = text.trimStart();
    if (!trimmed.startsWith("::")) return text;
    if (this.stopToken !== undefined) {
      if (trimmed.trimEnd() === `::${this.stopToken}::`) {
        this.stopToken = undefined;
        return undefined;
      }
      return text;
    }
    const command = parseCommand(trimmed);
    if (!command || !KNOWN.has(command.name)) return text;
    const shown = this.run(command);
    if (!this.echo || command.name === "add-mask") return shown;
    return shown === undefined ? text : `${text}\n${shown}`;
  }

  private run(command: ParsedCommand): string | undefined {
    const { name, properties, data } = command;
    switch (name) {
      case "add-mask":
        if (data.trim() === "")
          return "##[warning]Can't add secret mask for empty string in ##[add-mask] command.";
        this.sink.mask(data);
        return undefined;
      case "debug":
        return this.debug ? `##[debug]${data}` : undefined;
      case "error":
      case "warning":
      case "notice":
        this.sink.annotation(annotationOf(name, properties, data));
        return `##[${name}]${data}`;
      case "group":
        return `##[group]${data}`;
      case "endgroup":
        return "##[endgroup]";
      case "echo":
        if (data === "on" || data === "off") this.echo = data === "on";
        return undefined;
      case "stop-commands":
        if (data !== "") this.stopToken = data;
        return undefined;
      case "set-output": {
        const key = properties.name;
        if (key) this.sink.output(key, data);
        return this.deprecated("set-output", "$GITHUB_OUTPUT");
      }
      case "save-state": {
        const key = properties.name;
        if (key) this.sink.state(key, data);
        return this.deprecated("save-state", "$GITHUB_STATE");
      }
      case "set-env":
      case "add-path": {
        const message = `The \`${name}\` command is disabled. Use the environment files instead: ${name === "set-env" ? "$GITHUB_ENV" : "$GITHUB_PATH"}.`;
        this.sink.annotation({ level: "error", message });
        this.sink.fail(`the ${name} command is disabled`);
        return `##[error]${message}`;
      }
      default:
        // add-matcher, remove-matcher: problem matchers turn tool output into annotations on
        // GitHub; the lines stay in the log here.
        return undefined;
    }
  }

  private deprecated(command: string, file: string): string {
    const message = `The \`${command}\` command is deprecated. Write to ${file} instead.`;
    this.sink.annotation({ level: "warning", message });
    return `##[warning]${message}`;
  }
}

interface ParsedCommand {
  name: string;
  properties: Record<string, string>;
  data: string;
}

function parseCommand(line: string): ParsedCommand | undefined {
  const end = line.indexOf("::", 2);
  if (end === -1) return undefined;
  const section = line.slice(2, end);
  const space = section.indexOf(" ");
  const name = space === -1 ? section : section.slice(0, space);
  if (name === "") return undefined;
  const properties: Record<string, string> = Object.create(null) as Record<string, string>;
  if (space !== -1) {
    for (const pair of section.slice(space + 1).split(",")) {
      const equals = pair.indexOf("=");
      if (equals <= 0) continue;
      properties[pair.slice(0, equals).trim()] = unescapeProperty(pair.slice(equals + 1));
    }
  }
  return { name, properties, data: unescapeData(line.slice(end + 2)) };
}

function unescapeData(value: string): string {
  return value.replaceAll("%0D", "\r").replaceAll("%0A", "\n").replaceAll("%25", "%");
}

function unescapeProperty(value: string): string {
  return value
    .replaceAll("%0D", "\r")
    .replaceAll("%0A", "\n")
    .replaceAll("%3A", ":")
    .replaceAll("%2C", ",")
    .replaceAll("%25", "%");
}

function annotationOf(
  level: Annotation["level"],
  properties: Record<string, string>,
  message: string,
): Annotation {
  const annotation: Annotation = { level, message };
  if (properties.title) annotation.title = properties.title;
  if (properties.file) annotation.file = properties.file;
  const numbers = { line: "line", endLine: "endLine", col: "column", endColumn: "endColumn" } as const;
  for (const [key, field] of Object.entries(numbers)) {
    const n = Number(properties[key]);
    if (properties[key] !== undefined && Number.isInteger(n) && n > 0) annotation[field] = n;
  }
  return annotation;
}
