import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort } from "./server-process.js";

const run = promisify(execFile);

const TESTBED = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "scripts", "k8s-testbed");
/** Where `scripts/k8s-testbed build` (run by scripts/test) leaves the binaries. */
export const K8S_BIN = path.join(
  process.env["SLIPWAY_K8S_CACHE"] ?? path.join(os.homedir(), ".cache", "slipway-test", "k8s"),
  "bin",
);

/**
 * A real Kubernetes control plane for one test file: etcd, kube-apiserver (RBAC on), controller
 * manager and scheduler, and kwok playing one node's kubelet, started by scripts/k8s-testbed on
 * free loopback ports. Server-side apply, field managers, Deployment conditions, EndpointSlices
 * and RBAC denials are the API server's own.
 */
export interface ControlPlane {
  dir: string;
  /** The admin's kubeconfig (system:masters). */
  kubeconfig: string;
  /** A kubeconfig with a client certificate for `name` in `groups`; RBAC decides what it may do. */
  user(name: string, groups?: string[]): Promise<string>;
  /** Installs the Gateway API's standard CRDs (HTTPRoute...); no gateway implementation runs. */
  installGatewayApi(): Promise<void>;
  /** Runs the testbed's kubectl (same version as the API server) as the admin. */
  kubectl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startControlPlane(): Promise<ControlPlane> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "slipway-k8s-"));
  const env = {
    ...process.env,
    ETCD_CLIENT_PORT: String(await freePort()),
    ETCD_PEER_PORT: String(await freePort()),
    APISERVER_PORT: String(await freePort()),
    KWOK_PORT: String(await freePort()),
  };
  const testbed = async (...args: string[]) =>
    (await run(TESTBED, args, { env, maxBuffer: 16 * 1024 * 1024 })).stdout.trim();
  const stop = async () => {
    await testbed("down", dir).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  let kubeconfig: string;
  try {
    kubeconfig = await testbed("up", dir);
  } catch (error) {
    const logs = await readFile(path.join(dir, "logs", "kube-apiserver.log"), "utf8").catch(() => "");
    await stop();
    throw new Error(
      `the Kubernetes test control plane did not start (scripts/test builds it with ` +
        `\`scripts/k8s-testbed build\`): ${(error as { stderr?: string }).stderr ?? String(error)}\n` +
        logs.slice(-3000),
      { cause: error },
    );
  }
  return {
    dir,
    kubeconfig,
    user: (name, groups = []) => testbed("user", dir, name, ...groups),
    installGatewayApi: async () => void (await testbed("gateway-api", dir)),
    kubectl: async (...args) =>
      (
        await run(path.join(K8S_BIN, "kubectl"), ["--kubeconfig", kubeconfig, ...args], {
          maxBuffer: 64 << 20,
        })
      ).stdout,
    stop,
  };
}

/**
 * The error ratio of each release as a metrics backend would answer it (`GET /?release=V` →
 * `{"errorRatio": n}`, 1 for a release it does not know), for canary analysis with the web
 * provider: under kwok no container runs, so the Pods have no metrics of their own. `ratios` is
 * read at each request; a test may change it.
 */
export async function startErrorRatios(
  ratios: Record<string, number>,
): Promise<{ url: string; close(): void }> {
  const server = createServer((req, res) => {
    const version = new URL(req.url ?? "/", "http://x").searchParams.get("release") ?? "";
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ errorRatio: ratios[version] ?? 1 }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => void server.close(),
  };
}
