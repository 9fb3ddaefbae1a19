import type { ScanDiagnostic, SourceSpan } from "../model.js";
import { LineIndex, PositionedTextBuilder, textSpan, type PositionedText } from "../source-text.js";

/**
 * A Dockerfile parser that follows BuildKit's reading of the format
 * (https://docs.docker.com/reference/dockerfile/): parser directives (`# syntax=`, `# escape=`,
 * `# check=`) only at the very top; an instruction continues while its line ends with the escape
 * character (trailing blanks allowed), and comment or empty lines inside a continuation are
 * dropped; here-documents (`RUN <<EOF`, `COPY <<EOF /file`) take the lines up to their
 * delimiter; the exec form is a JSON array of strings, anything else is the shell form.
 * Every instruction, flag and argument keeps its position so rules report where to edit.
 */

export const INSTRUCTIONS = new Set([
  "FROM",
  "RUN",
  "CMD",
  "LABEL",
  "MAINTAINER",
  "EXPOSE",
  "ENV",
  "ADD",
  "COPY",
  "ENTRYPOINT",
  "VOLUME",
  "USER",
  "WORKDIR",
  "ARG",
  "ONBUILD",
  "STOPSIGNAL",
  "HEALTHCHECK",
  "SHELL",
]);
/** Instructions whose arguments may open here-documents. */
const HEREDOC_INSTRUCTIONS = new Set(["RUN", "COPY", "ADD"]);
/** Instructions that take `--flag` options before their arguments. */
const FLAG_INSTRUCTIONS = new Set(["FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"]);
const DIRECTIVE = /^#[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*(.*?)[ \t]*$/;
const KNOWN_DIRECTIVES = new Set(["syntax", "escape", "check"]);
/** `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`, optionally after a file descriptor; not `<<<`. */
const HEREDOC_MARKER = /(^|[\s])(\d*)<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\4(?=$|[\s;|&>)])/g;

export interface Directive {
  name: string;
  value: string;
  line: number;
}

export interface Flag {
  /** Without the dashes: `from`, `chown`, `mount`. */
  name: string;
  value: string | undefined;
  span: SourceSpan;
}

export interface Heredoc {
  delimiter: string;
  /** `<<-`: leading tabs are removed from the body lines and the delimiter line. */
  stripTabs: boolean;
  /** Quoted delimiter: no variable expansion in the body. */
  quoted: boolean;
  /** The body, lines joined with `\n` and ending with one. */
  body: PositionedText;
  /** Offsets of the `<<EOF` marker in the instruction's `text`. */
  markerStart: number;
  markerEnd: number;
}

/** One argument of an instruction, with quotes removed where the instruction removes them. */
export interface Word {
  value: string;
  /** Offsets in the instruction's `text`. */
  start: number;
  end: number;
}

export interface Instruction {
  /** Upper case: `FROM`, `RUN`. */
  keyword: string;
  /** From the keyword to the end of the last continuation or here-document line. */
  span: SourceSpan;
  keywordSpan: SourceSpan;
  /** Everything after the keyword, continuation lines joined (escape and line break removed). */
  text: PositionedText;
  flags: Flag[];
  /** Offset in `text` where the arguments start, after the flags and blanks. */
  argsStart: number;
  /** `text` from `argsStart`, trailing blanks removed. */
  args: string;
  /** The exec form's strings, when the arguments are a JSON array of strings. */
  exec: Word[] | undefined;
  heredocs: Heredoc[];
  /** The instruction nested in `ONBUILD`. */
  trigger?: Instruction | undefined;
}

export interface Comment {
  line: number;
  /** The comment's text including `#`. */
  text: string;
  span: SourceSpan;
  /** Inside an instruction's continuation lines or here-document. */
  insideInstruction: boolean;
}

export interface ParsedDockerfile {
  file: string;
  lines: LineIndex;
  directives: Directive[];
  escape: string;
  instructions: Instruction[];
  comments: Comment[];
  diagnostics: ScanDiagnostic[];
}

interface Line {
  start: number;
  /** Offset of the line break (or the end of the text). */
  end: number;
}

export function parseDockerfile(file: string, text: string): ParsedDockerfile {
  return new DockerfileParser(file, text).parse();
}

class DockerfileParser {
  private readonly lines: LineIndex;
  private readonly rows: Line[] = [];
  private readonly instructions: Instruction[] = [];
  private readonly comments: Comment[] = [];
  private readonly directives: Directive[] = [];
  private readonly diagnostics: ScanDiagnostic[] = [];
  private escape = "\\";

  constructor(
    private readonly file: string,
    private readonly text: string,
  ) {
    this.lines = new LineIndex(file, text);
    let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
    for (;;) {
      const newline = text.indexOf("\n", start);
      const end = newline < 0 ? text.length : newline;
      this.rows.push({ start, end: end > start && text[end - 1] === "\r" ? end - 1 : end });
      if (newline < 0) break;
      start = newline + 1;
    }
  }

  parse(): ParsedDockerfile {
    let row = this.readDirectives();
    while (row < this.rows.length) {
      const line = this.row(row);
      const content = line.trimStart();
      if (content === "") {
        row++;
        continue;
      }
      if (content.startsWith("#")) {
        this.addComment(row, false);
        row++;
        continue;
      }
      row = this.readInstruction(row);
    }
    return {
      file: this.file,
      lines: this.lines,
      directives: this.directives,
      escape: this.escape,
      instructions: this.instructions,
      comments: this.comments,
      diagnostics: this.diagnostics,
    };
  }

  private row(index: number): string {
    const line = this.rows[index];
    return line ? this.text.slice(line.start, line.end) : "";
  }

  private addComment(row: number, insideInstruction: boolean): void {
    const line = this.rows[row];
    if (!line) return;
    const raw = this.text.slice(line.start, line.end);
    const indent = raw.length - raw.trimStart().length;
    this.comments.push({
      line: row + 1,
      text: raw.trim(),
      span: this.lines.span(line.start + indent, line.end),
      insideInstruction,
    });
  }

  /** Parser directives: `# name=value` lines before anything else, each name at most once. */
  private readDirectives(): number {
    let row = 0;
    const seen = new Set<string>();
    for (; row < this.rows.length; row++) {
      const match = DIRECTIVE.exec(this.row(row).trim());
      const name = match?.[1]?.toLowerCase();
      if (!match || !name || !KNOWN_DIRECTIVES.has(name) || seen.has(name)) break;
      seen.add(name);
      const value = match[2] ?? "";
      this.directives.push({ name, value, line: row + 1 });
      if (name === "escape") {
        if (value === "\\" || value === "`") this.escape = value;
        else {
          const line = this.rows[row];
          this.diagnostics.push({
            span: this.lines.span(line?.start ?? 0, line?.end ?? 0),
            message: `invalid escape directive ${JSON.stringify(value)}`,
            hint: "the escape character must be \\ or `",
          });
        }
      }
    }
    return row;
  }

  /** Reads the instruction starting on `row`; returns the row after it. */
  private readInstruction(first: number): number {
    const line = this.rows[first];
    if (!line) return first + 1;
    const raw = this.row(first);
    const indent = raw.length - raw.trimStart().length;
    const keywordMatch = /^\S+/.exec(raw.slice(indent));
    const keywordText = keywordMatch?.[0] ?? "";
    const keywordStart = line.start + indent;
    const keywordEnd = keywordStart + keywordText.length;
    const keyword = keywordText.toUpperCase();

    const builder = new PositionedTextBuilder();
    let row = first;
    let from = keywordEnd;
    let lastEnd = line.end;
    for (;;) {
      const current = this.rows[row];
      if (!current) break;
      const segment = this.text.slice(from, current.end);
      const continued = this.continuation(segment);
      lastEnd = current.end;
      if (continued < 0) {
        builder.append(segment, from);
        row++;
        break;
      }
      builder.append(segment.slice(0, continued), from);
      row++;
      // Comment and empty lines inside a continuation are not part of the instruction.
      while (row < this.rows.length) {
        const next = this.row(row).trimStart();
        if (next.startsWith("#")) this.addComment(row, true);
        else if (next !== "") break;
        row++;
      }
      const next = this.rows[row];
      if (!next) break;
      from = next.start;
    }
    const text = builder.build(lastEnd);

    if (!INSTRUCTIONS.has(keyword)) {
      this.diagnostics.push({
        span: this.lines.span(keywordStart, keywordEnd),
        message: `unknown instruction ${keywordText}`,
        hint: `Dockerfile instructions are ${[...INSTRUCTIONS].join(", ")}`,
      });
      return row;
    }

    const heredocs: Heredoc[] = [];
    if (
      HEREDOC_INSTRUCTIONS.has(keyword) ||
      (keyword === "ONBUILD" && /^\s*(RUN|COPY|ADD)\b/i.test(text.text))
    ) {
      row = this.readHeredocs(text, row, heredocs);
      const last = this.rows[row - 1];
      if (last) lastEnd = Math.max(lastEnd, last.end);
    }
    const instruction = this.buildInstruction(keyword, keywordStart, keywordEnd, text, heredocs, lastEnd);
    this.instructions.push(instruction);
    return row;
  }

  /** Where the escape character that continues the line sits in `segment`, or -1. */
  private continuation(segment: string): number {
    let end = segment.length;
    while (end > 0 && (segment[end - 1] === " " || segment[end - 1] === "\t")) end--;
    if (end === 0 || segment[end - 1] !== this.escape) return -1;
    return end - 1;
  }

  private readHeredocs(text: PositionedText, row: number, out: Heredoc[]): number {
    HEREDOC_MARKER.lastIndex = 0;
    for (let match = HEREDOC_MARKER.exec(text.text); match; match = HEREDOC_MARKER.exec(text.text)) {
      const markerStart = match.index + (match[1]?.length ?? 0);
      const markerEnd = match.index + match[0].length;
      const stripTabs = match[3] === "-";
      const delimiter = match[5] ?? "";
      const body = new PositionedTextBuilder();
      let closed = false;
      let bodyEnd = this.rows[row]?.start ?? this.text.length;
      while (row < this.rows.length) {
        const line = this.rows[row];
        if (!line) break;
        row++;
        let content = this.text.slice(line.start, line.end);
        let at = line.start;
        if (stripTabs) {
          const tabs = content.length - content.replace(/^\t+/, "").length;
          content = content.slice(tabs);
          at += tabs;
        }
        if (content === delimiter) {
          closed = true;
          break;
        }
        body.append(content, at);
        body.synthesize("\n", line.end);
        bodyEnd = line.end;
      }
      if (!closed) {
        this.diagnostics.push({
          span: textSpan(this.lines, text, markerStart, markerEnd),
          message: `here-document <<${delimiter} is never closed`,
          hint: `end it with a line holding only ${delimiter}`,
        });
      }
      out.push({
        delimiter,
        stripTabs,
        quoted: match[4] !== "",
        body: body.build(bodyEnd),
        markerStart,
        markerEnd,
      });
    }
    return row;
  }

  private buildInstruction(
    keyword: string,
    keywordStart: number,
    keywordEnd: number,
    text: PositionedText,
    heredocs: Heredoc[],
    end: number,
  ): Instruction {
    const flags: Flag[] = [];
    let i = skipBlanks(text.text, 0);
    if (FLAG_INSTRUCTIONS.has(keyword)) {
      while (text.text.startsWith("--", i)) {
        const start = i;
        const word = readWord(text.text, i);
        i = word.end;
        const body = word.value.slice(2);
        const equals = body.indexOf("=");
        flags.push({
          name: equals >= 0 ? body.slice(0, equals) : body,
          value: equals >= 0 ? body.slice(equals + 1) : undefined,
          span: textSpan(this.lines, text, start, i),
        });
        i = skipBlanks(text.text, i);
      }
    }
    const args = text.text.slice(i).trimEnd();
    const instruction: Instruction = {
      keyword,
      span: this.lines.span(keywordStart, end),
      keywordSpan: this.lines.span(keywordStart, keywordEnd),
      text,
      flags,
      argsStart: i,
      args,
      exec: args.startsWith("[") ? parseExecForm(text.text, i) : undefined,
      heredocs,
    };
    if (args === "" && heredocs.length === 0)
      this.diagnostics.push({
        span: instruction.keywordSpan,
        message: `${keyword} needs arguments`,
      });
    if (keyword === "ONBUILD" && args !== "") {
      const nested = /^(\S+)/.exec(args)?.[1] ?? "";
      const nestedStart = i;
      const rest = text.offsets.slice(i);
      const nestedText: PositionedText = {
        text: text.text.slice(i + nested.length),
        offsets: rest.slice(nested.length),
      };
      instruction.trigger = this.buildInstruction(
        nested.toUpperCase(),
        text.offsets[nestedStart] ?? keywordStart,
        (text.offsets[nestedStart + nested.length - 1] ?? keywordStart) + 1,
        nestedText,
        heredocs,
        end,
      );
    }
    return instruction;
  }
}

function skipBlanks(text: string, i: number): number {
  while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r"))
    i++;
  return i;
}

/** A blank-separated word with quotes removed (`"a b"` and `'a b'` are one word). */
export function readWord(text: string, i: number): Word {
  const start = i;
  let value = "";
  while (i < text.length) {
    const c = text[i] ?? "";
    if (c === " " || c === "\t" || c === "\n" || c === "\r") break;
    if (c === '"' || c === "'") {
      const close = text.indexOf(c, i + 1);
      const stop = close < 0 ? text.length : close;
      value += text.slice(i + 1, stop);
      i = Math.min(text.length, stop + 1);
      continue;
    }
    if (c === "\\" && i + 1 < text.length) {
      value += text[i + 1];
      i += 2;
      continue;
    }
    value += c;
    i++;
  }
  return { value, start, end: i };
}

/** Splits `text` from `start` into blank-separated words (quotes respected). */
export function splitWords(text: string, start = 0): Word[] {
  const words: Word[] = [];
  let i = skipBlanks(text, start);
  while (i < text.length) {
    const word = readWord(text, i);
    if (word.end === i) break;
    words.push(word);
    i = skipBlanks(text, word.end);
  }
  return words;
}

/**
 * The exec form `["executable", "param"]`: a JSON array of strings, as BuildKit reads it.
 * Anything else (single quotes, a trailing comma) is not JSON, and Docker then runs it with
 * the shell, so it is the shell form.
 */
export function parseExecForm(text: string, start: number): Word[] | undefined {
  const words: Word[] = [];
  let i = skipBlanks(text, start);
  if (text[i] !== "[") return undefined;
  i = skipBlanks(text, i + 1);
  if (text[i] === "]") return skipBlanks(text, i + 1) === text.length ? [] : undefined;
  for (;;) {
    if (text[i] !== '"') return undefined;
    const begin = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    if (i >= text.length) return undefined;
    i++;
    let value: unknown;
    try {
      value = JSON.parse(text.slice(begin, i));
    } catch {
      return undefined;
    }
    if (typeof value !== "string") return undefined;
    words.push({ value, start: begin, end: i });
    i = skipBlanks(text, i);
    if (text[i] === ",") {
      i = skipBlanks(text, i + 1);
      continue;
    }
    if (text[i] === "]") return skipBlanks(text, i + 1) === text.length ? words : undefined;
    return undefined;
  }
}
