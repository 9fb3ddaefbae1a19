import {
  allCommands,
  invocation,
  pipelines,
  positionals,
  type Invocation,
  type ShellCommand,
  type ShellScript,
  type ShellWord,
} from "./shell.js";

/** A script downloaded and run in one go, with the offsets of the whole construct. */
export interface RemoteExecution {
  start: number;
  end: number;
  /** `curl https://get.example.com | sh`, in words. */
  description: string;
}

const INTERPRETERS = new Set([
  "sh",
  "bash",
  "zsh",
  "dash",
  "ksh",
  "ash",
  "mksh",
  "fish",
  "python",
  "python2",
  "python3",
  "perl",
  "ruby",
  "node",
  "php",
  "pwsh",
  "powershell",
]);
const POWERSHELL_EVAL = new Set(["iex", "invoke-expression"]);
/** Flags that give the interpreter its program inline, so stdin is data, not code. */
const INLINE_PROGRAM = new Set(["-c", "-e", "-E", "--eval", "-Command", "-command", "-r"]);

/**
 * Finds `curl … | sh`, `wget -O- … | sudo bash -s`, `sh -c "$(curl …)"`, `bash <(curl …)` and
 * `eval "$(curl …)"`: code fetched over the network runs without being checked, so whoever
 * controls the server (or the DNS, or a proxy) controls the build.
 */
export function findRemoteExecutions(script: ShellScript): RemoteExecution[] {
  const found: RemoteExecution[] = [];
  for (const pipeline of pipelines(script)) {
    const download = pipeline.findIndex(isDownload);
    if (download < 0) continue;
    const runner = pipeline.slice(download + 1).find(readsProgramFromStdin);
    const first = pipeline[download];
    if (runner && first)
      found.push({
        start: first.start,
        end: runner.end,
        description: `${describe(first)} | ${describe(runner)}`,
      });
  }
  for (const command of allCommands(script)) {
    const call = invocation(command);
    if (!call) continue;
    const fetched = fetchedWord(call);
    if (fetched)
      found.push({ start: command.start, end: command.end, description: `${call.program} ${fetched.value}` });
  }
  return dedupe(found);
}

function dedupe(found: RemoteExecution[]): RemoteExecution[] {
  const seen = new Set<string>();
  return found.filter((f) => {
    const key = `${f.start}:${f.end}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The argument carrying downloaded code: `sh -c "$(curl …)"`, `bash <(curl …)`, `eval "$(wget -qO- …)"`. */
function fetchedWord(call: Invocation): ShellWord | undefined {
  const program = call.program.toLowerCase();
  const downloads = (word: ShellWord): boolean =>
    word.substitutions.some((inner) => inner.commands.some((c) => isDownload(c)));
  if (program === "eval" || POWERSHELL_EVAL.has(program)) return call.args.find(downloads);
  if (program === "source" || program === ".")
    return call.args.find((w) => w.processSubstitution && downloads(w));
  if (!INTERPRETERS.has(program)) return undefined;
  const inline = call.args.findIndex((w) => INLINE_PROGRAM.has(w.value));
  if (inline >= 0) {
    const code = call.args[inline + 1];
    return code && downloads(code) ? code : undefined;
  }
  const script = positionals(call.args)[0];
  return script && script.processSubstitution && downloads(script) ? script : undefined;
}

export function isDownload(command: ShellCommand): boolean {
  const call = invocation(command);
  if (!call) return false;
  const program = call.program.toLowerCase();
  if (program === "curl") return !curlWritesFile(call.args);
  if (program === "wget") return writesToStdout(call.args);
  if (program === "fetch")
    return call.args.some((w, i) => w.value === "-o" && call.args[i + 1]?.value === "-");
  return (
    program === "iwr" ||
    program === "irm" ||
    program === "invoke-webrequest" ||
    program === "invoke-restmethod"
  );
}

/** `curl -o file` and `curl -O` save the download; `curl -o -` writes to stdout like no `-o` at all. */
function curlWritesFile(args: readonly ShellWord[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const value = args[i]?.value ?? "";
    if (value === "--remote-name" || value === "--remote-name-all" || /^-[a-zA-Z]*O[a-zA-Z]*$/.test(value))
      return true;
    if (value.startsWith("--output=")) return value !== "--output=-";
    if (value === "--output" || /^-[a-zA-Z]*o$/.test(value)) return args[i + 1]?.value !== "-";
    if (/^-[a-zA-Z]*o./.test(value) && !value.startsWith("--")) return !/o-$/.test(value);
  }
  return false;
}

function writesToStdout(args: readonly ShellWord[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const value = args[i]?.value ?? "";
    if (value === "--output-document=-" || value === "-O-" || /^-[a-zA-Z]*O-$/.test(value)) return true;
    if ((value === "--output-document" || /^-[a-zA-Z]*O$/.test(value)) && args[i + 1]?.value === "-")
      return true;
    if (/^-[a-zA-Z]*O\/dev\/stdout$/.test(value) || value === "--output-document=/dev/stdout") return true;
  }
  return false;
}

export function readsProgramFromStdin(command: ShellCommand): boolean {
  const call = invocation(command);
  if (!call) return false;
  const program = call.program.toLowerCase();
  if (POWERSHELL_EVAL.has(program)) return true;
  let args = call.args;
  if (program === "busybox") {
    if (!INTERPRETERS.has(args[0]?.value ?? "")) return false;
    args = args.slice(1);
  } else if (!INTERPRETERS.has(program)) return false;
  const end = args.findIndex((w) => w.value === "--");
  const options = end >= 0 ? args.slice(0, end) : args;
  if (options.some((w) => INLINE_PROGRAM.has(w.value))) return false;
  const operands = positionals(options);
  return (
    operands.length === 0 ||
    operands[0]?.value === "-" ||
    options.some((w) => w.value === "-s" || w.value === "-")
  );
}

function describe(command: ShellCommand): string {
  const call = invocation(command);
  return call ? [...call.wrappers, call.programWord].map((w) => w.value).join(" ") : "";
}
