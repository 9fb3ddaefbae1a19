import { afterAll, beforeAll } from "vitest";
import { hostsSubject, startHostsTarget, testRelease } from "../support/delivery.js";
import { startSshHost } from "../support/ssh-host.js";
import type { SshTestHost } from "../support/ssh-host.js";
import { describeTargetContract } from "./target-contract.js";

/**
 * The hosts target with its instances on a second host: a network namespace with its own sshd.
 * The release's files are copied over ssh; the proxy on this machine reaches the instances over
 * the namespace's veth address.
 */

let host: SshTestHost;

beforeAll(async () => {
  host = await startSshHost();
}, 60_000);

afterAll(async () => {
  await host?.stop();
});

describeTargetContract("hosts over SSH", {
  async start() {
    const started = await startHostsTarget({ preview: true, hosts: [{ ssh: host.ssh }] });
    return hostsSubject(started);
  },
  // Listening on every address: the proxy comes in over the veth pair, not loopback.
  release: (version, options) =>
    testRelease(version, { env: { HOST: "0.0.0.0" }, ...(options?.neverReady ? { neverReady: true } : {}) }),
});
