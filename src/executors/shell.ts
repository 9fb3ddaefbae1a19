/**
 * How a step's script becomes a process: which program, which arguments, and whether the
 * script must be written to a file first.
 */

export interface Invocation {
  file: string;
  args: string[];
  writeScript: boolean;
}

/** Past this size a script goes through a file: one argv string is limited to 128 KiB on Linux. */
const MAX_INLINE_SCRIPT = 64 * 1024;

/**
 * Words that only exist inside a shell, or that change the shell's own state. A script starting
 * with one of them always goes through the shell. Same idea as GNU make's list.
 */
const SHELL_ONLY = new Set([
  ".",
  ":",
  "alias",
  "bg",
  "bind",
  "break",
  "builtin",
  "case",
  "cd",
  "command",
  "continue",
  "declare",
  "do",
  "done",
  "echo",
  "eval",
  "exec",
  "exit",
  "export",
  "fg",
  "for",
  "function",
  "getopts",
  "hash",
  "if",
  "jobs",
  "let",
  "local",
  "logout",
  "printf",
  "pwd",
  "read",
  "readonly",
  "return",
  "select",
  "set",
  "shift",
  "shopt",
  "source",
  "test",
  "time",
  "times",
  "trap",
  "type",
  "typeset",
  "ulimit",
  "umask",
  "unalias",
  "unset",
  "until",
  "wait",
  "while",
  "[",
  "[[",
  "{",
  "!",
]);

/** Any character that makes the shell do more than split words on spaces. */
const SHELL_SYNTAX = /[^A-Za-z0-9_\-+=./:@, ]/;

/**
 * For the default bash shell, a script that is one plain command (`true`, `make -j4`, `go test
 * ./...`) runs without a shell, as GNU make does: bash would only exec it, and skipping it halves
 * the cost of short steps. Anything with quotes, variables, globs, redirections, several lines
 * or a shell builtin goes through `bash -eo pipefail`, so the result is the same either way.
 */
export function directCommand(script: string): string[] | undefined {
  const trimmed = script.trim();
  if (trimmed === "" || SHELL_SYNTAX.test(trimmed)) return undefined;
  const words = trimmed.split(/ +/);
  const first = words[0];
  if (first === undefined || SHELL_ONLY.has(first) || first.includes("=")) return undefined;
  return words;
}

export function resolveInvocation(shell: string, script: string, scriptFile: string): Invocation {
  switch (shell) {
    case "bash": {
      const direct = directCommand(script);
      if (direct) return { file: direct[0] ?? "true", args: direct.slice(1), writeScript: false };
      return script.length > MAX_INLINE_SCRIPT
        ? { file: "bash", args: ["--noprofile", "--norc", "-eo", "pipefail", scriptFile], writeScript: true }
        : {
            file: "bash",
            args: ["--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            writeScript: false,
          };
    }
    case "sh":
      return script.length > MAX_INLINE_SCRIPT
        ? { file: "sh", args: ["-e", scriptFile], writeScript: true }
        : { file: "sh", args: ["-e", "-c", script], writeScript: false };
    case "python":
      return { file: "python3", args: [scriptFile], writeScript: true };
    case "node":
      return { file: "node", args: [scriptFile], writeScript: true };
    case "pwsh":
      return { file: "pwsh", args: ["-command", `. '${scriptFile}'`], writeScript: true };
    default: {
      // A custom shell: `perl {0}`, `ruby -e ...`; split on spaces, {0} is the script file.
      const words = shell.trim().split(/\s+/);
      const hasPlaceholder = words.some((w) => w.includes("{0}"));
      const args = words.slice(1).map((w) => w.replaceAll("{0}", scriptFile));
      if (!hasPlaceholder) args.push(scriptFile);
      return { file: words[0] ?? "sh", args, writeScript: true };
    }
  }
}
