import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { SshHost } from "../../src/delivery/hosts/index.js";
import { stderrTail, stopProcess } from "./server-process.js";

const run = promisify(execFile);

/**
 * A second machine for SSH tests: a network namespace joined to this one by a veth pair on a
 * private /30, with Debian's sshd (package openssh-server) listening on the namespace's address.
 * It shares the file system and process table with this machine, so node is found by its
 * absolute path and a remote process can be looked for with `exec`; the network is its own, so
 * a service reached over the veth address really runs "over there". Needs root (ip netns).
 */
export interface SshTestHost {
  /** How to reach it: key, user and a known_hosts file of its own. */
  ssh: SshHost;
  /** The namespace's address on the veth pair. */
  address: string;
  /** Runs a bash command inside the namespace; resolves with its stdout, rejects on a non-zero exit. */
  exec(cmd: string): Promise<string>;
  /** Kills everything running in the namespace, deletes it and the keys. */
  stop(): Promise<void>;
}

let hostsStarted = 0;

export async function startSshHost(): Promise<SshTestHost> {
  const n = hostsStarted++;
  // Interface names are at most 15 characters.
  const tag = `${process.pid.toString(36)}${n.toString(36)}`;
  const ns = `slipway-ssh-${process.pid}-${n}`;
  const vethHere = `swh${tag}`;
  const vethThere = `swn${tag}`;
  const dir = await mkdtemp(join(tmpdir(), "slipway-ssh-host-"));
  let sshd: ChildProcess | undefined;
  let netnsAdded = false;

  const stop = async () => {
    if (sshd !== undefined) await stopProcess(sshd, "SIGTERM", 3000);
    if (netnsAdded) {
      // sshd's per-connection processes and what they started outlive the listener.
      const pids = (await run("ip", ["netns", "pids", ns]).catch(() => ({ stdout: "" }))).stdout;
      for (const pid of pids.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      // Deleting the namespace deletes the veth pair with it.
      await run("ip", ["netns", "del", ns]).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const { here, there } = await freeSubnet(process.pid * 4 + n);
    await run("ip", ["netns", "add", ns]);
    netnsAdded = true;
    const inNs = (...args: string[]) => run("ip", ["netns", "exec", ns, ...args]);
    await run("ip", ["link", "add", vethHere, "type", "veth", "peer", "name", vethThere]);
    await run("ip", ["link", "set", vethThere, "netns", ns]);
    await run("ip", ["addr", "add", `${here}/30`, "dev", vethHere]);
    await run("ip", ["link", "set", vethHere, "up"]);
    await inNs("ip", "addr", "add", `${there}/30`, "dev", vethThere);
    await inNs("ip", "link", "set", vethThere, "up");
    await inNs("ip", "link", "set", "lo", "up");

    const hostKey = join(dir, "host_ed25519");
    const clientKey = join(dir, "client_ed25519");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "slipway-test-host", "-f", hostKey]);
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "slipway-test-client", "-f", clientKey]);
    await writeFile(join(dir, "authorized_keys"), await readFile(`${clientKey}.pub`), { mode: 0o600 });
    // Known in advance: the first connection needs no trust-on-first-use.
    const knownHosts = join(dir, "known_hosts");
    await writeFile(knownHosts, `${there} ${(await readFile(`${hostKey}.pub`, "utf8")).trim()}\n`);
    const config = join(dir, "sshd_config");
    await writeFile(
      config,
      [
        `ListenAddress ${there}:22`,
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, "sshd.pid")}`,
        `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        // No PAM stack in a throw-away sshd; keys are all it needs.
        "UsePAM no",
        // The keys live under /tmp, which is world-writable.
        "StrictModes no",
        "PrintMotd no",
        "PrintLastLog no",
        "MaxStartups 50",
        "",
      ].join("\n"),
    );
    // The privilege-separation directory Debian's init script would create.
    await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
    sshd = spawn("ip", ["netns", "exec", ns, "/usr/sbin/sshd", "-D", "-e", "-f", config], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const stderr = stderrTail(sshd);
    const exited = new Promise<string>((resolve) => sshd?.once("exit", () => resolve(stderr())));

    const ssh: SshHost = {
      host: there,
      user: "root",
      identityFile: clientKey,
      options: [
        `UserKnownHostsFile=${knownHosts}`,
        "GlobalKnownHostsFile=/dev/null",
        "IdentitiesOnly=yes",
        "LogLevel=ERROR",
      ],
    };
    await waitForPort(there, 22, exited);
    return {
      ssh,
      address: there,
      exec: async (cmd) => (await inNs("bash", "-c", cmd)).stdout,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A /30 in 10.213.0.0/16 that no interface here uses yet, starting from `seed` so that parallel
 * test processes start in different places.
 */
async function freeSubnet(seed: number): Promise<{ here: string; there: string }> {
  const { stdout } = await run("ip", ["-4", "-o", "addr", "show"]);
  for (let i = 0; i < 16384; i++) {
    const block = (seed + i) % 16384;
    const base = `10.213.${block >> 6}.`;
    const last = (block & 63) * 4;
    if (!stdout.includes(`inet ${base}${last + 1}/`) && !stdout.includes(`inet ${base}${last + 2}/`)) {
      return { here: `${base}${last + 1}`, there: `${base}${last + 2}` };
    }
  }
  throw new Error("no free /30 in 10.213.0.0/16 for the SSH test host");
}

async function waitForPort(host: string, port: number, exited: Promise<string>): Promise<void> {
  let sshdExit: string | undefined;
  void exited.then((stderr) => (sshdExit = stderr));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (sshdExit !== undefined) throw new Error(`sshd exited during start-up:\n${sshdExit}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${host}:${port} within 20 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
