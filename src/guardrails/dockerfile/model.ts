import type { Provenance, SourceSpan } from "../model.js";
import { parseImageReference, type ImageReference } from "../image-ref.js";
import { splitWords, type Flag, type Instruction, type ParsedDockerfile, type Word } from "./parser.js";
import {
  allCommands,
  invocation,
  parseShell,
  type Invocation,
  type ShellCommand,
  type ShellScript,
} from "./shell.js";
import { PositionedTextBuilder, textSpan, type PositionedText } from "../source-text.js";
import { expand, type BuildVariable, type Scope } from "./variables.js";

/**
 * The Dockerfile as a build: stages with their base (an image, `scratch`, or an earlier stage),
 * the ARG and ENV values known at each instruction, and every RUN script tokenized once.
 * The last stage is what ships; the stages it is built `FROM` ship with it.
 */
export interface DockerfileModel {
  file: string;
  parsed: ParsedDockerfile;
  stages: Stage[];
  /** ARGs before the first FROM: they parameterize FROM lines. */
  globalArgs: Scope;
  final: Stage | undefined;
  /** The final stage and the stages it is built from: their content is in the image. */
  shipped: ReadonlySet<Stage>;
}

export interface Stage {
  index: number;
  name: string | undefined;
  /** How users refer to it: its name, or `stage N` (1-based) when unnamed. */
  label: string;
  from: Instruction;
  /** The FROM image, expanded; undefined when the stage is built from an earlier stage. */
  image: StageImage | undefined;
  /** The earlier stage this one is built from (`FROM builder`). */
  base: Stage | undefined;
  /** Instructions after FROM, up to the next FROM. */
  instructions: Instruction[];
  runs: Run[];
  /** Build variables in scope at each instruction (ARGs declared in the stage, ENV). */
  scopes: Map<Instruction, Scope>;
  /** The SHELL in effect at each RUN (inherited from the base stage). */
  shells: Map<Instruction, readonly string[]>;
  /** From FROM to the last line before the next FROM. */
  span: SourceSpan;
  /** ENV at the end of the stage, which stages built FROM it start with. */
  env: Scope;
  /** SHELL at the end of the stage. */
  shell: readonly string[];
}

export interface StageImage {
  /** As written: `node:${NODE_VERSION}-alpine`. */
  written: string;
  /** After ARG expansion: `node:20-alpine`. */
  expanded: string;
  /** A variable without a value was used; `reference` is a guess and rules stay silent. */
  unknown: boolean;
  reference: ImageReference;
  span: SourceSpan;
  provenance: Provenance[];
}

/** One RUN instruction, with its scripts (the command line and any shell here-documents). */
export interface Run {
  instruction: Instruction;
  stage: Stage;
  scripts: RunScript[];
  /** `--mount` flags: cache mounts keep package caches out of the layer. */
  mounts: Flag[];
  commands: LocatedCommand[];
}

export interface RunScript {
  text: PositionedText;
  script: ShellScript;
}

export interface LocatedCommand {
  command: ShellCommand;
  call: Invocation | undefined;
  script: RunScript;
  run: Run;
}

const SHELLS = new Set(["sh", "bash", "zsh", "dash", "ash", "ksh", "mksh"]);
const DEFAULT_SHELL = ["/bin/sh", "-c"];

export function buildModel(parsed: ParsedDockerfile): DockerfileModel {
  const globalArgs = new Map<string, BuildVariable>();
  const stages: Stage[] = [];
  const byName = new Map<string, Stage>();
  let current: Stage | undefined;

  for (const instruction of parsed.instructions) {
    if (instruction.keyword === "FROM") {
      current = startStage(parsed, instruction, stages.length, globalArgs, byName);
      stages.push(current);
      if (current.name) byName.set(current.name.toLowerCase(), current);
      continue;
    }
    if (!current) {
      if (instruction.keyword === "ARG") declareArgs(parsed, instruction, globalArgs, globalArgs);
      else
        parsed.diagnostics.push({
          span: instruction.keywordSpan,
          message: `${instruction.keyword} before the first FROM`,
          hint: "only ARG may come before FROM",
        });
      continue;
    }
    current.instructions.push(instruction);
  }

  for (const stage of stages) fillStage(parsed, stage, globalArgs);
  const lastLine = parsed.lines.lineCount;
  stages.forEach((stage, i) => {
    const next = stages[i + 1];
    const endLine = next ? next.from.span.line - 1 : lastLine;
    stage.span = parsed.lines.lines(stage.from.span.line, Math.max(stage.from.span.line, endLine));
  });

  const final = stages[stages.length - 1];
  const shipped = new Set<Stage>();
  for (let stage = final; stage && !shipped.has(stage); stage = stage.base) shipped.add(stage);
  return { file: parsed.file, parsed, stages, globalArgs, final, shipped };
}

function startStage(
  parsed: ParsedDockerfile,
  from: Instruction,
  index: number,
  globalArgs: Scope,
  byName: ReadonlyMap<string, Stage>,
): Stage {
  const words = splitWords(from.text.text, from.argsStart);
  const imageWord = words[0];
  const as = words[1]?.value.toUpperCase() === "AS" ? words[2] : undefined;
  const name = as?.value;
  const stage: Stage = {
    index,
    name,
    label: name ?? `stage ${index + 1}`,
    from,
    image: undefined,
    base: undefined,
    instructions: [],
    runs: [],
    scopes: new Map(),
    shells: new Map(),
    span: from.span,
    env: new Map(),
    shell: DEFAULT_SHELL,
  };
  if (!imageWord) return stage;
  const expanded = expand(imageWord.value, globalArgs, parsed.escape);
  const base = byName.get(expanded.value.toLowerCase());
  if (base && !expanded.unknown) {
    stage.base = base;
    return stage;
  }
  stage.image = {
    written: imageWord.value,
    expanded: expanded.value,
    unknown: expanded.unknown,
    reference: parseImageReference(expanded.value),
    span: wordSpan(parsed, from, imageWord),
    provenance: expanded.provenance,
  };
  return stage;
}

/** Walks the stage's instructions once: scopes, shells, RUN scripts. */
function fillStage(parsed: ParsedDockerfile, stage: Stage, globalArgs: Scope): void {
  // ENV and SHELL carry over to stages built FROM this one; ARGs do not.
  const scope = new Map<string, BuildVariable>(stage.base?.env ?? []);
  const env = new Map<string, BuildVariable>(stage.base?.env ?? []);
  let shell: readonly string[] = stage.base?.shell ?? DEFAULT_SHELL;
  for (const instruction of stage.instructions) {
    stage.scopes.set(instruction, new Map(scope));
    switch (instruction.keyword) {
      case "ARG":
        declareArgs(parsed, instruction, scope, globalArgs);
        break;
      case "ENV":
        for (const pair of keyValues(instruction)) {
          const value = expand(pair.value, scope, parsed.escape);
          const variable = {
            value: value.unknown ? undefined : value.value,
            provenance: { description: `ENV ${pair.key}`, span: wordSpan(parsed, instruction, pair.word) },
          };
          scope.set(pair.key, variable);
          env.set(pair.key, variable);
        }
        break;
      case "SHELL":
        if (instruction.exec && instruction.exec.length > 0) shell = instruction.exec.map((w) => w.value);
        break;
      case "RUN":
        stage.shells.set(instruction, shell);
        stage.runs.push(analyzeRun(parsed, stage, instruction, shell));
        break;
    }
  }
  stage.env = env;
  stage.shell = shell;
}

/**
 * `ARG NAME[=default]…`. Inside a stage, an ARG without a default takes the value of the
 * global ARG of the same name, as Docker does.
 */
function declareArgs(
  parsed: ParsedDockerfile,
  instruction: Instruction,
  scope: Map<string, BuildVariable>,
  globalArgs: Scope,
): void {
  for (const word of splitWords(instruction.text.text, instruction.argsStart)) {
    const equals = word.value.indexOf("=");
    const key = equals >= 0 ? word.value.slice(0, equals) : word.value;
    const provenance = { description: `ARG ${key}`, span: wordSpan(parsed, instruction, word) };
    if (equals >= 0) {
      const value = expand(word.value.slice(equals + 1), scope, parsed.escape);
      scope.set(key, { value: value.unknown ? undefined : value.value, provenance });
    } else {
      const global = globalArgs.get(key);
      scope.set(key, global && scope !== globalArgs ? global : { value: undefined, provenance });
    }
  }
}

export interface KeyValue {
  key: string;
  value: string;
  /** The `key=value` word, or the whole arguments in the legacy `ENV key value` form. */
  word: Word;
}

/** `ENV a=1 b="two words"`, `LABEL …`, and the legacy `ENV key value with spaces`. */
export function keyValues(instruction: Instruction): KeyValue[] {
  const words = splitWords(instruction.text.text, instruction.argsStart);
  const first = words[0];
  if (!first) return [];
  if (!first.value.includes("=") && instruction.keyword === "ENV") {
    const rest = words[1];
    const value = rest
      ? instruction.text.text
          .slice(rest.start)
          .trim()
          .replace(/^(["'])(.*)\1$/s, "$2")
      : "";
    return [
      {
        key: first.value,
        value,
        word: { value: instruction.args, start: first.start, end: instruction.text.text.trimEnd().length },
      },
    ];
  }
  return words.map((word) => {
    const equals = word.value.indexOf("=");
    return equals < 0
      ? { key: word.value, value: "", word }
      : { key: word.value.slice(0, equals), value: word.value.slice(equals + 1), word };
  });
}

function analyzeRun(
  parsed: ParsedDockerfile,
  stage: Stage,
  instruction: Instruction,
  shell: readonly string[],
): Run {
  const run: Run = {
    instruction,
    stage,
    scripts: [],
    mounts: instruction.flags.filter((f) => f.name === "mount"),
    commands: [],
  };
  // Windows images run RUN with cmd (or the PowerShell their SHELL names): not POSIX shell.
  const notPosix =
    /powershell|pwsh|cmd(\.exe)?$/i.test(shell[0] ?? "") || (shell === DEFAULT_SHELL && isWindows(stage));
  if (notPosix) return run;
  if (instruction.exec) {
    const words = instruction.exec;
    const program = words[0]?.value.split("/").pop() ?? "";
    const inline = words.findIndex((w) => w.value === "-c");
    const code = words[inline + 1];
    if (SHELLS.has(program) && inline > 0 && code) {
      // Exact when the JSON string has no escapes, which is nearly always; close enough otherwise.
      const offsets = Array.from(
        { length: code.value.length + 1 },
        (_, i) => instruction.text.offsets[Math.min(code.start + 1 + i, code.end - 1)] ?? 0,
      );
      const text: PositionedText = { text: code.value, offsets };
      run.scripts.push({ text, script: parseShell(text.text) });
    } else {
      const builder = new PositionedTextBuilder();
      for (const word of words) {
        builder.synthesize(
          `'${word.value.replace(/'/g, "'\\''")}' `,
          instruction.text.offsets[word.start] ?? 0,
        );
      }
      const text = builder.build(instruction.text.offsets[instruction.text.offsets.length - 1] ?? 0);
      run.scripts.push({ text, script: parseShell(text.text) });
    }
  } else {
    const line: PositionedText = {
      text: instruction.text.text.slice(instruction.argsStart),
      offsets: instruction.text.offsets.slice(instruction.argsStart),
    };
    const main: RunScript = { text: line, script: parseShell(line.text) };
    run.scripts.push(main);
    // `RUN <<EOF` runs the body with the shell; `RUN bash <<EOF` and `RUN sh -e <<EOF` too.
    const onlyHeredocs = main.script.commands.every((c) => c.words.length === 0);
    const shellFed = main.script.commands.some((c) => {
      const call = invocation(c);
      return call && SHELLS.has(call.program) && !call.args.some((a) => !a.value.startsWith("-"));
    });
    for (const heredoc of instruction.heredocs) {
      if (!onlyHeredocs && !shellFed) continue;
      const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(heredoc.body.text);
      const interpreter = shebang
        ? (shebang[1]?.endsWith("/env") ? shebang[2] : shebang[1])?.split("/").pop()
        : "sh";
      if (!SHELLS.has(interpreter ?? "")) continue;
      run.scripts.push({ text: heredoc.body, script: parseShell(heredoc.body.text) });
    }
  }
  for (const script of run.scripts)
    for (const command of allCommands(script.script))
      run.commands.push({ command, call: invocation(command), script, run });
  return run;
}

function isWindows(stage: Stage): boolean {
  const image = lineage(stage).pop()?.image;
  return (
    image !== undefined &&
    /(^|\/)(windows|servercore|nanoserver)|windowsservercore|nanoserver/i.test(image.expanded)
  );
}

/** The span of a word of an instruction's text. */
export function wordSpan(
  parsed: ParsedDockerfile,
  instruction: Instruction,
  word: Pick<Word, "start" | "end">,
): SourceSpan {
  return textSpan(parsed.lines, instruction.text, word.start, word.end);
}

/** The span of `[start, end)` in a RUN script. */
export function scriptSpan(
  parsed: ParsedDockerfile,
  script: RunScript,
  start: number,
  end: number,
): SourceSpan {
  return textSpan(parsed.lines, script.text, start, end);
}

/** The stage and the stages it is built from, nearest first. */
export function lineage(stage: Stage): Stage[] {
  const out: Stage[] = [];
  for (let s: Stage | undefined = stage; s && !out.includes(s); s = s.base) out.push(s);
  return out;
}

/** Arguments of COPY and ADD: sources and destination, from the exec or the shell form. */
export function copyArguments(instruction: Instruction): { sources: Word[]; destination: Word | undefined } {
  const words = instruction.exec ?? splitWords(instruction.text.text, instruction.argsStart);
  const heredocFree = words.filter((w) => !/^\d*<<-?/.test(w.value));
  const destination = heredocFree[heredocFree.length - 1];
  return { sources: heredocFree.slice(0, -1), destination };
}

export function flag(instruction: Instruction, name: string): Flag | undefined {
  return instruction.flags.find((f) => f.name === name);
}
