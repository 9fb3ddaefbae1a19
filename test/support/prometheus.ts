import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";

/**
 * A real Prometheus server for tests, started from Debian's `prometheus` package in a throw-away
 * directory on a free loopback port. Rules and queries meet the real PromQL parser and rule
 * engine, which is what catches a dashboard expression that does not parse or names a series
 * no rule records.
 */
export interface PrometheusServer {
  /** Base URL, e.g. `http://127.0.0.1:9090`. */
  url: string;
  /** `GET /api/v1/query`; returns the decoded JSON body whatever the HTTP status. */
  query(expr: string): Promise<PrometheusResponse>;
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** A rule file to load; it is copied into the server's directory. */
  rulesFile?: string;
  /** Merged into the top level of prometheus.yml, e.g. `{ scrape_configs: [...] }`. */
  configExtra?: Record<string, unknown>;
  /**
   * OpenMetrics text (ending in `# EOF`, timestamps in seconds) written into the TSDB before
   * start with `promtool tsdb create-blocks-from openmetrics`. Rules then have input at their
   * first evaluation; a scrape target would only be scraped after service discovery's fixed
   * five-second start-up delay.
   */
  openMetrics?: string;
}

export interface PrometheusResponse {
  status: "success" | "error";
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value?: [number, string] }> };
  errorType?: string;
  error?: string;
}

const READY_TIMEOUT_MS = 20_000;

export async function startPrometheus(options: StartPrometheusOptions = {}): Promise<PrometheusServer> {
  const base = await mkdtemp(join(tmpdir(), "slipway-prom-"));
  const config: Record<string, unknown> = {
    // 1s so that recording and alerting rules produce samples within a test's few seconds.
    global: { scrape_interval: "1s", evaluation_interval: "1s" },
    ...options.configExtra,
  };
  if (options.rulesFile !== undefined) {
    await copyFile(options.rulesFile, join(base, "rules.yaml"));
    config["rule_files"] = [join(base, "rules.yaml")];
  }
  const dataDir = join(base, "data");
  if (options.openMetrics !== undefined) {
    const input = join(base, "backfill.om");
    await writeFile(input, options.openMetrics);
    try {
      await promisify(execFile)("promtool", ["tsdb", "create-blocks-from", "openmetrics", input, dataDir]);
    } catch (error) {
      await rm(base, { recursive: true, force: true });
      throw new Error("promtool could not backfill the OpenMetrics samples", { cause: error });
    }
  }
  const configFile = join(base, "prometheus.yml");
  await writeFile(configFile, stringify(config));

  let lastError: unknown;
  // The port is free when probed, but another process may take it before Prometheus binds.
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let child: ChildProcess;
    try {
      child = spawn(
        "prometheus",
        [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${dataDir}`,
          `--web.listen-address=127.0.0.1:${port}`,
          "--log.level=warn",
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
    } catch (error) {
      await rm(base, { recursive: true, force: true });
      throw error;
    }
    let stderr = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    try {
      await waitUntilReady(url, child, () => stderr);
    } catch (error) {
      lastError = error;
      await stopProcess(child);
      continue;
    }
    const orphanGuard = () => child.kill("SIGKILL");
    process.once("exit", orphanGuard);
    return {
      url,
      async query(expr: string) {
        const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
        return (await response.json()) as PrometheusResponse;
      },
      async stop() {
        process.off("exit", orphanGuard);
        await stopProcess(child);
        await rm(base, { recursive: true, force: true });
      },
    };
  }
  await rm(base, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

async function waitUntilReady(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let spawnError: Error | undefined;
  child.once("error", (error) => (spawnError = error));
  for (;;) {
    if (spawnError !== undefined) {
      throw new Error(
        "cannot start prometheus: install it with `apt-get install -y prometheus` (Debian's package)",
        { cause: spawnError },
      );
    }
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`prometheus exited during start-up:\n${stderr()}`);
    try {
      const response = await fetch(`${url}/-/ready`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline)
      throw new Error(`prometheus not ready within ${READY_TIMEOUT_MS} ms:\n${stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  return new Promise((resolve) => {
    // Prometheus shuts down cleanly on SIGTERM within a second; SIGKILL only if it hangs.
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
