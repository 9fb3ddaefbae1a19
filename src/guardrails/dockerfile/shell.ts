/**
 * A small POSIX shell tokenizer for the scripts of RUN instructions and CI jobs. Rules need
 * commands, not raw text: `curl … | sh` must be seen through quotes, line continuations and
 * `$(…)`, while `echo "curl | sh"` must not. It is not a full shell grammar (no `case` patterns,
 * no alias or function expansion); it splits commands on `&&`, `||`, `;`, `|`, `&` and newlines
 * with quoting respected, and keeps every word's offsets so findings point at the word.
 * It never throws: unterminated quotes and substitutions simply run to the end of the text.
 */

export interface ShellVariable {
  name: string;
  start: number;
  end: number;
  /** Inside double quotes: expanded without word splitting or globbing. */
  quoted: boolean;
}

export interface ShellWord {
  /** The word after quote removal; expansions stay as written (`$HOME`, `$(date)`). */
  value: string;
  start: number;
  end: number;
  /** Some part of the word was quoted. */
  quoted: boolean;
  variables: ShellVariable[];
  /** Scripts of the `$(…)`, backtick, `<(…)` and `>(…)` substitutions inside the word. */
  substitutions: ShellScript[];
  /** The whole word is a process substitution `<(…)` or `>(…)`. */
  processSubstitution: boolean;
}

export interface ShellRedirect {
  /** `>`, `>>`, `<`, `<<`, `<<-`, `<<<`, `>&`, `&>`, … with any file descriptor prefix. */
  operator: string;
  target: ShellWord | undefined;
  start: number;
  end: number;
}

export interface ShellCommand {
  /** Leading `NAME=value` assignments. */
  assignments: ShellWord[];
  /** The command's words after the assignments; reserved words (`if`, `then`, `!`…) removed. */
  words: ShellWord[];
  redirects: ShellRedirect[];
  start: number;
  end: number;
  /** The operator after the command: `|`, `|&`, `&&`, `||`, `;`, `&`, a newline, `)` or "" at the end. */
  next: string;
  /** Inside a `$(…)`, backtick or process substitution. */
  nested: boolean;
}

export interface ShellScript {
  commands: ShellCommand[];
}

const RESERVED_PREFIXES = new Set(["if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"]);
const RESERVED_ALONE = new Set(["fi", "done", "esac", "}", "then", "else", "do"]);
const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const SPECIAL_PARAMETER = /[0-9@*#?$!-]/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;
const MAX_DEPTH = 12;

interface PendingHeredoc {
  delimiter: string;
  stripTabs: boolean;
}

/** Tokenizes `text[start, end)`; offsets in the result are offsets in `text`. */
export function parseShell(text: string, start = 0, end = text.length): ShellScript {
  return new Tokenizer(text, end, 0, false).run(start);
}

class WordBuilder {
  value = "";
  quoted = false;
  variables: ShellVariable[] = [];
  substitutions: ShellScript[] = [];
  processSubstitution = false;
  constructor(readonly start: number) {}
  build(end: number): ShellWord {
    return {
      value: this.value,
      start: this.start,
      end,
      quoted: this.quoted,
      variables: this.variables,
      substitutions: this.substitutions,
      processSubstitution: this.processSubstitution,
    };
  }
}

class Tokenizer {
  private readonly commands: ShellCommand[] = [];
  private words: ShellWord[] = [];
  private redirects: ShellRedirect[] = [];
  private commandStart = -1;
  /** End of the last word or redirection of the current command. */
  private commandEnd = -1;
  private pending: PendingHeredoc[] = [];

  constructor(
    private readonly text: string,
    private readonly end: number,
    private readonly depth: number,
    private readonly nested: boolean,
  ) {}

  run(from: number): ShellScript {
    let i = from;
    const { text, end } = this;
    while (i < end) {
      const c = text[i] ?? "";
      if (c === " " || c === "\t") {
        i++;
        continue;
      }
      if (c === "\\" && (text[i + 1] === "\n" || (text[i + 1] === "\r" && text[i + 2] === "\n"))) {
        i += text[i + 1] === "\n" ? 2 : 3;
        continue;
      }
      if (c === "\n" || c === "\r") {
        i = this.finishCommand("\n", i + 1);
        if (this.pending.length > 0) i = this.skipHeredocBodies(i);
        continue;
      }
      if (c === "#") {
        while (i < end && text[i] !== "\n") i++;
        continue;
      }
      const operator = this.operatorAt(i);
      if (operator) {
        i = this.finishCommand(operator, i + operator.length);
        continue;
      }
      const redirect = this.redirectAt(i);
      if (redirect) {
        i = this.readRedirect(i, redirect);
        continue;
      }
      const [word, next] = this.readWord(i);
      if (next === i) {
        i++;
        continue;
      }
      if (this.commandStart < 0) this.commandStart = word.start;
      this.commandEnd = word.end;
      this.words.push(word);
      i = next;
    }
    this.finishCommand("", end);
    return { commands: this.commands };
  }

  private operatorAt(i: number): string | undefined {
    const two = this.text.slice(i, i + 2);
    if (two === "&&" || two === "||" || two === "|&" || two === ";;") return two;
    const c = this.text[i];
    if (c === "&" && this.text[i + 1] === ">") return undefined;
    if (c === "|" || c === ";" || c === "&" || c === "(" || c === ")") return c;
    return undefined;
  }

  /** A redirection operator at a word boundary, with an optional file descriptor number. */
  private redirectAt(i: number): string | undefined {
    const rest = this.text.slice(i, Math.min(this.end, i + 8));
    const match = /^(\d*)(<<<|<<-|<<|>>|>&|<&|>\||<>|&>>|&>|>|<)/.exec(rest);
    if (!match) return undefined;
    const operator = match[2] ?? "";
    // `<(` and `>(` are process substitutions, which are words.
    if ((operator === "<" || operator === ">") && this.text[i + (match[1]?.length ?? 0) + 1] === "(")
      return undefined;
    return match[0];
  }

  private readRedirect(i: number, operator: string): number {
    let j = i + operator.length;
    while (j < this.end && (this.text[j] === " " || this.text[j] === "\t")) j++;
    let target: ShellWord | undefined;
    if (j < this.end && !/[\n\r;&|()<>]/.test(this.text[j] ?? "")) {
      const [word, next] = this.readWord(j);
      target = word;
      j = next;
    }
    if (this.commandStart < 0) this.commandStart = i;
    this.commandEnd = j;
    this.redirects.push({ operator, target, start: i, end: j });
    if (/<<-?$/.test(operator) && target)
      this.pending.push({ delimiter: target.value, stripTabs: operator.endsWith("-") });
    return j;
  }

  /** Skips the bodies of here-documents announced on the line that just ended. */
  private skipHeredocBodies(i: number): number {
    for (const heredoc of this.pending) {
      while (i < this.end) {
        let lineEnd = this.text.indexOf("\n", i);
        if (lineEnd < 0 || lineEnd > this.end) lineEnd = this.end;
        let line = this.text.slice(i, lineEnd).replace(/\r$/, "");
        if (heredoc.stripTabs) line = line.replace(/^\t+/, "");
        i = Math.min(this.end, lineEnd + 1);
        if (line === heredoc.delimiter) break;
      }
    }
    this.pending = [];
    return i;
  }

  private finishCommand(operator: string, next: number): number {
    if (this.words.length > 0 || this.redirects.length > 0) {
      let index = 0;
      while (index < this.words.length && ASSIGNMENT.test(this.words[index]?.value ?? "")) index++;
      const assignments = this.words.slice(0, index);
      let words = this.words.slice(index);
      while (words.length > 0 && !(words[0]?.quoted ?? true) && RESERVED_PREFIXES.has(words[0]?.value ?? ""))
        words = words.slice(1);
      if (words.length === 1 && !(words[0]?.quoted ?? true) && RESERVED_ALONE.has(words[0]?.value ?? ""))
        words = [];
      if (words.length > 0 || assignments.length > 0 || this.redirects.length > 0)
        this.commands.push({
          assignments,
          words,
          redirects: this.redirects,
          start: this.commandStart,
          end: Math.max(this.commandStart, this.commandEnd),
          next: operator,
          nested: this.nested,
        });
    } else if (operator === "|" || operator === "&&" || operator === "||") {
      // `a &&` followed by a newline: the command list goes on after the line break.
      const last = this.commands[this.commands.length - 1];
      if (last && last.next === "\n") last.next = operator;
    }
    this.words = [];
    this.redirects = [];
    this.commandStart = -1;
    this.commandEnd = -1;
    return next;
  }

  /** Reads one word starting at `i`; returns it and the offset after it. */
  private readWord(i: number): [ShellWord, number] {
    const { text, end } = this;
    const word = new WordBuilder(i);
    while (i < end) {
      const c = text[i] ?? "";
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === ";" || c === "&" || c === "|") break;
      if (c === ")") break;
      if ((c === "<" || c === ">") && text[i + 1] === "(") {
        const close = this.matchParen(i + 2);
        word.substitutions.push(this.nestedScript(i + 2, close));
        word.processSubstitution = word.value === "";
        word.value += text.slice(i, Math.min(close + 1, end));
        i = Math.min(close + 1, end);
        continue;
      }
      // A redirection or a parenthesis ends the word: `make>log`, `f()`.
      if (c === "<" || c === ">" || c === "(") break;
      if (c === "\\") {
        if (text[i + 1] === "\n") {
          i += 2;
          continue;
        }
        word.value += text[i + 1] ?? "";
        word.quoted = true;
        i += 2;
        continue;
      }
      if (c === "'") {
        const close = text.indexOf("'", i + 1);
        const stop = close < 0 || close >= end ? end : close;
        word.value += text.slice(i + 1, stop);
        word.quoted = true;
        i = Math.min(end, stop + 1);
        continue;
      }
      if (c === '"') {
        i = this.readDoubleQuoted(i + 1, word);
        word.quoted = true;
        continue;
      }
      if (c === "$") {
        i = this.readDollar(i, word, false);
        continue;
      }
      if (c === "`") {
        i = this.readBacktick(i, word);
        continue;
      }
      word.value += c;
      i++;
    }
    return [word.build(i), i];
  }

  private readDoubleQuoted(i: number, word: WordBuilder): number {
    const { text, end } = this;
    while (i < end) {
      const c = text[i] ?? "";
      if (c === '"') return i + 1;
      if (c === "\\") {
        const next = text[i + 1] ?? "";
        if (next === "\n") i += 2;
        else if ('$`"\\'.includes(next)) {
          word.value += next;
          i += 2;
        } else {
          word.value += c;
          i++;
        }
        continue;
      }
      if (c === "$") {
        i = this.readDollar(i, word, true);
        continue;
      }
      if (c === "`") {
        i = this.readBacktick(i, word);
        continue;
      }
      word.value += c;
      i++;
    }
    return end;
  }

  private readDollar(i: number, word: WordBuilder, quoted: boolean): number {
    const { text, end } = this;
    const next = text[i + 1] ?? "";
    if (next === "(" && text[i + 2] === "(") {
      const close = this.matchParen(i + 2);
      const stop = Math.min(end, close + 2);
      word.value += text.slice(i, stop);
      return stop;
    }
    if (next === "(") {
      const close = this.matchParen(i + 2);
      word.substitutions.push(this.nestedScript(i + 2, close));
      const stop = Math.min(end, close + 1);
      word.value += text.slice(i, stop);
      return stop;
    }
    if (next === "{") {
      const close = this.matchBrace(i + 2);
      const stop = Math.min(end, close + 1);
      const inner = text.slice(i + 2, close);
      const name = /^[#!]?([A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])/.exec(inner)?.[1];
      if (name) word.variables.push({ name, start: i, end: stop, quoted });
      word.value += text.slice(i, stop);
      return stop;
    }
    if (next === "'" && !quoted) {
      // $'…' ANSI-C quoting.
      let j = i + 2;
      while (j < end && text[j] !== "'") j += text[j] === "\\" ? 2 : 1;
      word.value += text.slice(i + 2, Math.min(j, end));
      word.quoted = true;
      return Math.min(end, j + 1);
    }
    if (NAME_START.test(next)) {
      let j = i + 2;
      while (j < end && NAME_CHAR.test(text[j] ?? "")) j++;
      word.variables.push({ name: text.slice(i + 1, j), start: i, end: j, quoted });
      word.value += text.slice(i, j);
      return j;
    }
    if (SPECIAL_PARAMETER.test(next) && next !== "") {
      word.variables.push({ name: next, start: i, end: i + 2, quoted });
      word.value += text.slice(i, i + 2);
      return i + 2;
    }
    word.value += "$";
    return i + 1;
  }

  private readBacktick(i: number, word: WordBuilder): number {
    const { text, end } = this;
    let j = i + 1;
    while (j < end && text[j] !== "`") j += text[j] === "\\" ? 2 : 1;
    const close = Math.min(j, end);
    word.substitutions.push(this.nestedScript(i + 1, close));
    word.value += text.slice(i, Math.min(end, close + 1));
    return Math.min(end, close + 1);
  }

  private nestedScript(start: number, end: number): ShellScript {
    if (this.depth >= MAX_DEPTH) return { commands: [] };
    return new Tokenizer(this.text, end, this.depth + 1, true).run(start);
  }

  /** Offset of the `)` closing a parenthesis opened just before `i` (or the end). */
  private matchParen(i: number): number {
    const { text, end } = this;
    let depth = 1;
    while (i < end) {
      const c = text[i];
      if (c === "\\") i += 2;
      else if (c === "'") {
        const close = text.indexOf("'", i + 1);
        i = close < 0 ? end : close + 1;
      } else if (c === '"') {
        i++;
        while (i < end && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
        i++;
      } else if (c === "(") {
        depth++;
        i++;
      } else if (c === ")") {
        depth--;
        if (depth === 0) return i;
        i++;
      } else i++;
    }
    return end;
  }

  private matchBrace(i: number): number {
    const { text, end } = this;
    let depth = 1;
    while (i < end) {
      const c = text[i];
      if (c === "\\") i += 2;
      else if (c === "{") {
        depth++;
        i++;
      } else if (c === "}") {
        depth--;
        if (depth === 0) return i;
        i++;
      } else i++;
    }
    return end;
  }
}

/** Every command of a script, those inside substitutions included, in source order. */
export function allCommands(script: ShellScript): ShellCommand[] {
  const out: ShellCommand[] = [];
  const visit = (s: ShellScript, depth: number): void => {
    for (const command of s.commands) {
      out.push(command);
      if (depth > MAX_DEPTH) continue;
      for (const word of [
        ...command.assignments,
        ...command.words,
        ...command.redirects.flatMap((r) => (r.target ? [r.target] : [])),
      ])
        for (const inner of word.substitutions) visit(inner, depth + 1);
    }
  };
  visit(script, 0);
  return out.sort((a, b) => a.start - b.start);
}

/** Commands joined by `|` or `|&`, at the top level of a script and in its substitutions. */
export function pipelines(script: ShellScript): ShellCommand[][] {
  const out: ShellCommand[][] = [];
  const visit = (s: ShellScript, depth: number): void => {
    let current: ShellCommand[] = [];
    for (const command of s.commands) {
      current.push(command);
      if (command.next !== "|" && command.next !== "|&") {
        out.push(current);
        current = [];
      }
      if (depth > MAX_DEPTH) continue;
      for (const word of [...command.assignments, ...command.words])
        for (const inner of word.substitutions) visit(inner, depth + 1);
    }
    if (current.length > 0) out.push(current);
  };
  visit(script, 0);
  return out;
}

const WRAPPERS = new Set([
  "sudo",
  "env",
  "exec",
  "nohup",
  "nice",
  "command",
  "builtin",
  "stdbuf",
  "time",
  "doas",
  "su-exec",
  "gosu",
  "xargs",
]);
/** Options of wrappers that take a value, so the value is not mistaken for the program. */
const WRAPPER_OPTIONS_WITH_VALUE: Record<string, ReadonlySet<string>> = {
  sudo: new Set(["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U"]),
  env: new Set(["-u", "-C", "-S"]),
  nice: new Set(["-n"]),
  stdbuf: new Set(["-i", "-o", "-e"]),
  xargs: new Set(["-I", "-L", "-n", "-P", "-d", "-E", "-s", "-a"]),
};

export interface Invocation {
  /** The program's base name (`/usr/bin/curl` → `curl`). */
  program: string;
  /** The word naming the program. */
  programWord: ShellWord;
  args: ShellWord[];
  /** Wrappers that ran it, outermost first (`sudo`, `env`…). */
  wrappers: ShellWord[];
}

/** What a command runs once wrappers like `sudo`, `env A=b` and `nohup` are looked through. */
export function invocation(command: ShellCommand): Invocation | undefined {
  const words = command.words;
  const wrappers: ShellWord[] = [];
  let i = 0;
  while (i < words.length) {
    const word = words[i];
    if (!word) return undefined;
    const name = baseName(word.value);
    if (!WRAPPERS.has(name) || i === words.length - 1) {
      return { program: name, programWord: word, args: words.slice(i + 1), wrappers };
    }
    wrappers.push(word);
    i++;
    // su-exec and gosu take the user first.
    if (name === "su-exec" || name === "gosu") i++;
    const withValue = WRAPPER_OPTIONS_WITH_VALUE[name];
    while (i < words.length) {
      const value = words[i]?.value ?? "";
      if (value === "--") {
        i++;
        break;
      }
      if (value.startsWith("-")) {
        i += withValue?.has(value) ? 2 : 1;
        continue;
      }
      if (name === "env" && ASSIGNMENT.test(value)) {
        i++;
        continue;
      }
      break;
    }
  }
  return undefined;
}

export function baseName(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash >= 0 ? path.slice(slash + 1) : path;
}

/** True when `args` hold the flag: `--flag`, `--flag=value`, or `-x` inside a group like `-qx`. */
export function hasFlag(
  args: readonly ShellWord[],
  long: readonly string[],
  short: readonly string[] = [],
): boolean {
  for (const arg of args) {
    const value = arg.value;
    if (value === "--") return false;
    if (long.some((flag) => value === flag || value.startsWith(`${flag}=`))) return true;
    if (short.length > 0 && /^-[A-Za-z]+$/.test(value) && short.some((s) => value.slice(1).includes(s)))
      return true;
  }
  return false;
}

/** Arguments that are not options (`-x`, `--x`, `--x=y`), e.g. package names and URLs. */
export function positionals(args: readonly ShellWord[]): ShellWord[] {
  return args.filter((arg) => !arg.value.startsWith("-"));
}
