import { spawn } from "node:child_process";
import { pipeline } from "node:stream/promises";
import { create } from "tar";
import { EnvironmentError } from "../../errors/index.js";
import { shellCommand } from "./shell-quote.js";
import { describeSshHost, sshArgv } from "./ssh-command.js";
import type { SshHost } from "./types.js";

/**
 * Copies a release's files to a remote host: a gzip tar streamed into `tar -x` over one ssh
 * connection, into a fresh directory that is renamed into place only once complete, so an
 * interrupted copy never leaves a half release where instances would start from it.
 */
export async function shipRelease(host: SshHost, localDir: string, remoteDir: string): Promise<void> {
  const partial = `${remoteDir}.partial-${process.pid}`;
  const script =
    `if [ -d ${shellCommand([remoteDir])} ]; then exit 0; fi; ` +
    [
      `rm -rf ${shellCommand([partial])}`,
      `mkdir -p ${shellCommand([partial])}`,
      `tar -xzf - -C ${shellCommand([partial])}`,
      `mv ${shellCommand([partial])} ${shellCommand([remoteDir])}`,
    ].join(" && ");
  const child = spawn("ssh", sshArgv(host, script), { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-2000)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  await pipeline(create({ gzip: true, cwd: localDir, portable: true }, ["."]), child.stdin).catch(
    () => undefined,
  );
  const code = await exited;
  if (code !== 0) {
    throw new EnvironmentError(
      `cannot copy the release to ${describeSshHost(host)}:${remoteDir} (ssh exit ${code}): ${stderr.trim()}`,
      { hint: "check that the host is reachable with the configured key and has tar and a writable /tmp" },
    );
  }
}
