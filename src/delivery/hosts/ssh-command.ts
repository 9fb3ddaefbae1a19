import { shellCommand } from "./shell-quote.js";
import type { SshHost } from "./types.js";

/** The line the remote side prints before it runs the command: the command's process group. */
export const PGID_MARKER = /^slipway-instance-pgid (\d+)$/;

/**
 * Runs on the remote host under bash and supervises the command there for the ssh connection:
 *
 * - The command runs under `setsid`, as the leader of a new session and process group, and first
 *   prints that group's id; the wrapper itself prints nothing, so the marker is the first line the
 *   command's output can follow.
 * - stdin is the control channel: a line `TERM` or `KILL` signals the whole group. Stopping over
 *   the connection that runs the instance needs no second ssh login, and tells the wrapper the
 *   stop was asked for.
 * - End of stdin means the connection is gone (ssh has no pty here, so sshd sends no SIGHUP) and
 *   nobody supervises the group any more: SIGTERM, then SIGKILL after the grace period.
 * - When the command's leader exits on its own, what is left of its group is killed (it would
 *   hold the port a restart needs); after a TERM, the rest of the group gets until the
 *   supervisor's KILL. The wrapper exits with the leader's status, which ssh passes on.
 *
 * Zombies do not count as running: an orphan reparented to a PID 1 that does not reap (many
 * containers) stays a zombie in the group forever, holding nothing.
 * Arguments: grace seconds, working directory ("" for the login directory), command, NAME=value...
 */
const REMOTE_WRAPPER = `grace=$1 dir=$2 cmd=$3
shift 3
if [ -n "$dir" ]; then cd -- "$dir" || exit 126; fi
[ "$#" -eq 0 ] || export -- "$@"
exec 3<&0 </dev/null
setsid bash -c 'printf "slipway-instance-pgid %s\\n" "$$"; exec bash -c "$1"' slipway-instance "$cmd" 3<&- &
pgid=$!
stopping=
running() {
  if [ -d /proc/self ]; then
    local stat fields
    for stat in /proc/[0-9]*/stat; do
      { read -r fields <"$stat"; } 2>/dev/null || continue
      fields=\${fields##*) }
      set -f
      set -- $fields
      set +f
      [ "$1" != Z ] && [ "$3" = "$pgid" ] && return 0
    done
    return 1
  fi
  kill -0 -- "-$pgid" 2>/dev/null
}
control() {
  local line status
  read -r -t 0.2 line <&3
  status=$?
  if [ "$status" -eq 0 ]; then
    case $line in TERM | KILL) stopping=1 && kill -s "$line" -- "-$pgid" 2>/dev/null ;; esac
    return 0
  fi
  # Above 128: timed out, the connection is still there. Otherwise: end of file.
  [ "$status" -gt 128 ]
}
orphaned() {
  kill -s TERM -- "-$pgid" 2>/dev/null
  local deadline=$((SECONDS + grace))
  while running && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  kill -s KILL -- "-$pgid" 2>/dev/null
  exit 255
}
while kill -0 "$pgid" 2>/dev/null; do control || orphaned; done
wait "$pgid"
status=$?
if [ -z "$stopping" ]; then
  kill -s KILL -- "-$pgid" 2>/dev/null
else
  while running; do control || orphaned; done
fi
exit "$status"
`;

/**
 * The command line ssh hands to the remote login shell. Every value travels as one single-quoted
 * word (see shellQuote): a command, directory or environment value cannot break out of its word.
 */
export function remoteCommand(options: {
  command: string;
  cwd: string | undefined;
  env: Record<string, string>;
  graceMs: number;
}): string {
  const assignments = Object.entries(options.env).map(([name, value]) => `${name}=${value}`);
  return shellCommand([
    "bash",
    "-c",
    REMOTE_WRAPPER,
    "slipway-instance",
    String(Math.max(1, Math.ceil(options.graceMs / 1000))),
    options.cwd ?? "",
    options.command,
    ...assignments,
  ]);
}

/**
 * ssh's argv. BatchMode comes first because ssh keeps the first value it gets for an option: a
 * password or passphrase prompt would hang a supervisor, so no option may turn it back on. The
 * user's options come next and override the other defaults: accept-new trusts a host's key on
 * first contact and refuses a changed one; ServerAlive notices a dead network in about 15 s,
 * which ends the ssh client and so counts as an exit. -T: no pty, which would merge stderr into
 * stdout and rewrite line endings.
 */
export function sshArgv(host: SshHost, command: string): string[] {
  const argv = ["-T", "-o", "BatchMode=yes"];
  for (const option of host.options ?? []) argv.push("-o", option);
  argv.push(
    "-o",
    "StrictHostKeyChecking=accept-new",
    "-o",
    "ServerAliveInterval=5",
    "-o",
    "ServerAliveCountMax=3",
  );
  if (host.port !== undefined) argv.push("-p", String(host.port));
  if (host.user !== undefined) argv.push("-l", host.user);
  if (host.identityFile !== undefined) argv.push("-i", host.identityFile);
  // "--" after the host: ssh parses options that follow the host name too.
  argv.push(host.host, "--", command);
  return argv;
}

/** `user@host:port` for log lines and messages. */
export function describeSshHost(host: SshHost): string {
  const user = host.user === undefined ? "" : `${host.user}@`;
  const port = host.port === undefined ? "" : `:${host.port}`;
  return `${user}${host.host}${port}`;
}
