/**
 * Parses the file a step writes to `$SLIPWAY_OUTPUT` (and `$SLIPWAY_ENV`). The format is GitHub's
 * `$GITHUB_OUTPUT` / `$GITHUB_ENV` one, so scripts and habits carry over unchanged:
 * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#multiline-strings
 *
 *     name=value
 *     notes<<EOF
 *     line one
 *     line two
 *     EOF
 *
 * Like GitHub's runner (SetEnvFileCommand), whichever of `=` and `<<` comes first on a line decides
 * its form, so `a=b<<c` sets `a` to `b<<c`. Unlike it, every problem is reported with its line
 * and column, not only the first, because a step's script is hard to debug from "invalid format".
 */
import { ConfigError, type Diagnostic } from "../errors/index.js";

/** Names must be usable as `steps.<id>.outputs.<name>` and as environment variable names. */
const KEY_CHAR = /[A-Za-z0-9_-]/;
const KEY_START = /[A-Za-z_]/;

const SYNTAX_HINT =
  "write one `name=value` per line, or for a multi-line value:\n" +
  "    name<<EOF\n    first line\n    second line\n    EOF";

export function parseOutputsFile(text: string, file: string): Record<string, string> {
  // Null prototype: a step may legitimately name an output `constructor` or `__proto__`.
  const values = Object.create(null) as Record<string, string>;
  const diagnostics: Diagnostic[] = [];
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  // A file ending with a newline splits into a final empty string, which is not a line.
  if (lines[lines.length - 1] === "") lines.pop();
  const at = (index: number, column: number, message: string, hint?: string): void => {
    diagnostics.push({ position: { file, line: index + 1, column }, message, ...(hint ? { hint } : {}) });
  };

  for (let i = 0; i < lines.length; i++) {
    const line = stripCr(lines[i] ?? "");
    if (line.trim() === "") continue;
    const equals = line.indexOf("=");
    const heredoc = line.indexOf("<<");

    if (equals === -1 && heredoc === -1) {
      at(i, 1, `expected \`name=value\` or \`name<<DELIMITER\`, got ${JSON.stringify(line)}`, SYNTAX_HINT);
      continue;
    }

    if (equals !== -1 && (heredoc === -1 || equals < heredoc)) {
      const key = line.slice(0, equals);
      if (checkKey(key, i, at)) values[key] = line.slice(equals + 1);
      continue;
    }

    const key = line.slice(0, heredoc);
    const delimiter = line.slice(heredoc + 2);
    const keyOk = checkKey(key, i, at);
    if (delimiter === "") {
      at(i, heredoc + 3, `missing delimiter after \`<<\` for ${JSON.stringify(key)}`, SYNTAX_HINT);
      continue;
    }
    let end = i + 1;
    while (end < lines.length && stripCr(lines[end] ?? "") !== delimiter) end++;
    if (end >= lines.length) {
      at(
        i,
        heredoc + 3,
        `heredoc delimiter ${JSON.stringify(delimiter)} is never closed`,
        `end the value with a line holding exactly \`${delimiter}\` (no spaces around it)`,
      );
      // Everything after an unclosed heredoc is its body: reporting it line by line would be noise.
      break;
    }
    if (keyOk)
      values[key] = lines
        .slice(i + 1, end)
        .map(stripCr)
        .join("\n");
    i = end;
  }

  if (diagnostics.length > 0) throw new ConfigError(diagnostics, { hint: SYNTAX_HINT });
  return values;
}

function checkKey(
  key: string,
  index: number,
  at: (index: number, column: number, message: string, hint?: string) => void,
): boolean {
  if (key === "") {
    at(index, 1, "empty name before `=` or `<<`", SYNTAX_HINT);
    return false;
  }
  for (let c = 0; c < key.length; c++) {
    const ch = key.charAt(c);
    if (!(c === 0 ? KEY_START : KEY_CHAR).test(ch)) {
      at(
        index,
        c + 1,
        `invalid character ${JSON.stringify(ch)} in name ${JSON.stringify(key)}`,
        "names start with a letter or `_` and hold only letters, digits, `_` and `-`" +
          (ch === " " ? " (no spaces around `=`)" : ""),
      );
      return false;
    }
  }
  return true;
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
