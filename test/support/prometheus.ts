import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { freePort, stderrTail, stopProcess, waitUntilReady } from "./server-process.js";

export { freePort } from "./server-process.js";

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
    try {
      await waitUntilReady({
        name: "prometheus",
        child,
        stderr: stderrTail(child),
        probe: async () => (await fetch(`${url}/-/ready`)).ok,
        timeoutMs: READY_TIMEOUT_MS,
        missing:
          "cannot start prometheus: install it with `apt-get install -y prometheus` (Debian's package)",
      });
    } catch (error) {
      lastError = error;
      await stopPrometheus(child);
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
        await stopPrometheus(child);
        await rm(base, { recursive: true, force: true });
      },
    };
  }
  await rm(base, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

/** Prometheus shuts down cleanly on SIGTERM within a second; SIGKILL only if it hangs. */
function stopPrometheus(child: ChildProcess): Promise<void> {
  return stopProcess(child, "SIGTERM", 5_000);
}
