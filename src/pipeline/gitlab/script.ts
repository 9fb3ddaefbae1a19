/**
 * The bash that runs a GitLab job's commands. GitLab Runner prints each command as `$ command`
 * before running it, with `set -eo pipefail`, which the IR's bash shell already applies; a
 * multi-line command is printed by its first line.
 * https://docs.gitlab.com/runner/shells/#bash-shell
 */

export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

export function commandLines(commands: readonly string[]): string {
  return commands
    .map((command) => {
      const [first = "", ...more] = command.split("\n");
      const shown = more.some((line) => line.trim() !== "")
        ? `${first} # collapsed multi-line command`
        : first;
      return `printf '%s\\n' ${shellQuote(`$ ${shown}`)}\n${command}`;
    })
    .join("\n");
}

export interface MainScriptOptions {
  /** Exit codes with which the job is allowed to fail (allow_failure:exit_codes). */
  allowedExitCodes: readonly number[] | undefined;
  /** Retry these exit codes up to `max` times (retry:exit_codes). */
  retryExitCodes: { codes: readonly number[]; max: number } | undefined;
}

/**
 * before_script and script in one shell, as GitLab runs them. When some exit codes are allowed
 * or retried, the commands run in a subshell whose status is then judged here: the engine
 * retries any failure and cannot tell exit codes apart.
 */
export function mainScript(
  prologue: string,
  commands: readonly string[],
  options: MainScriptOptions,
): string {
  const body = commandLines(commands);
  if (!options.allowedExitCodes && !options.retryExitCodes) return join(prologue, body);
  const retry = options.retryExitCodes;
  const lines = [
    "set +e",
    "__slipway_attempt=1",
    "while :; do",
    "  (",
    "set -eo pipefail",
    // Not indented: a heredoc in a command must keep its terminator at the start of the line.
    body,
    "  )",
    "  __slipway_status=$?",
  ];
  if (retry) {
    lines.push(
      `  if [ "$__slipway_attempt" -le ${retry.max} ] && ${exitCodeTest(retry.codes)}; then`,
      `    echo "exit code $__slipway_status: retrying (retry:exit_codes), attempt $((__slipway_attempt + 1)) of ${retry.max + 1}"`,
      "    __slipway_attempt=$((__slipway_attempt + 1))",
      "    continue",
      "  fi",
    );
  }
  lines.push("  break", "done");
  if (options.allowedExitCodes) {
    lines.push(
      `if ${exitCodeTest(options.allowedExitCodes)}; then`,
      '  echo "exit code $__slipway_status is allowed to fail (allow_failure:exit_codes): the job passes with a warning"',
      "  exit 0",
      "fi",
    );
  }
  lines.push('exit "$__slipway_status"');
  return join(prologue, lines.join("\n"));
}

function exitCodeTest(codes: readonly number[]): string {
  return `case " ${codes.join(" ")} " in *" $__slipway_status "*) true ;; *) false ;; esac`;
}

/** Variables a job inherits from the dotenv reports of the jobs it takes artifacts from. */
export function dotenvImport(envNames: readonly string[]): string {
  return envNames
    .map(
      (name) =>
        `while IFS= read -r __slipway_line; do [ -n "$__slipway_line" ] && export "$__slipway_line"; done <<< "\${${name}:-}"; unset ${name}`,
    )
    .join("\n");
}

/**
 * Collects an `artifacts:reports:dotenv` file into the step's outputs, one KEY=VALUE per line,
 * with GitLab's format rules: blank lines and # comments are skipped, names are letters,
 * digits and _, and surrounding quotes are removed.
 */
export function dotenvCollect(files: readonly string[], outputName: string, delimiter: string): string {
  return [
    `{ printf '%s<<%s\\n' ${outputName} ${delimiter}`,
    `  for __slipway_file in ${files.map(shellQuote).join(" ")}; do`,
    '    [ -f "$__slipway_file" ] || { echo "artifacts:reports:dotenv: $__slipway_file not found" >&2; continue; }',
    '    while IFS= read -r __slipway_line || [ -n "$__slipway_line" ]; do',
    '      [[ "$__slipway_line" =~ ^[[:space:]]*(#|$) ]] && continue',
    '      if [[ "$__slipway_line" =~ ^([A-Za-z0-9_]+)=(.*)$ ]]; then',
    '        __slipway_key="${BASH_REMATCH[1]}"; __slipway_value="${BASH_REMATCH[2]}"',
    '        if [[ "$__slipway_value" =~ ^\\"(.*)\\"$ ]] || [[ "$__slipway_value" =~ ^\\\'(.*)\\\'$ ]]; then __slipway_value="${BASH_REMATCH[1]}"; fi',
    '        printf \'%s=%s\\n\' "$__slipway_key" "$__slipway_value"',
    "      else",
    '        echo "artifacts:reports:dotenv: skipped a line that is not KEY=VALUE: $__slipway_line" >&2',
    "      fi",
    '    done < "$__slipway_file"',
    "  done",
    `  printf '%s\\n' ${delimiter}`,
    '} >> "$SLIPWAY_OUTPUT"',
  ].join("\n");
}

/** The directory holding a job's file-type secrets, private to the job's run. */
const SECRET_DIR =
  '"${TMPDIR:-/tmp}/slipway-secrets-$SLIPWAY_RUN_ID-$(printf \'%s\' "$SLIPWAY_JOB_KEY" | cksum | cut -d " " -f 1)"';

/**
 * `secrets:` with `file: true` (GitLab's default): the variable holds the path of a file with
 * the secret, as GitLab's file-type variables do.
 */
export function secretFiles(secrets: readonly { name: string; envName: string }[]): string {
  if (secrets.length === 0) return "";
  return [
    `__slipway_secrets=${SECRET_DIR}`,
    '(umask 077 && mkdir -p "$__slipway_secrets")',
    ...secrets.map(
      (s) =>
        `(umask 077 && printf '%s' "\${${s.envName}:-}" > "$__slipway_secrets/${s.name}"); export ${s.name}="$__slipway_secrets/${s.name}"; unset ${s.envName}`,
    ),
  ].join("\n");
}

export function removeSecretFiles(): string {
  return `rm -rf ${SECRET_DIR}`;
}

function join(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("\n");
}
