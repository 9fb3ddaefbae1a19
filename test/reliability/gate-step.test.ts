import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, project, ROOT } from "../support/cli.js";
import { startPrometheus } from "../support/prometheus.js";
import type { PrometheusServer } from "../support/prometheus.js";

const FIXTURE = path.join(ROOT, "test", "fixtures", "slo", "status", "api.yaml");

let prometheus: PrometheusServer | undefined;

beforeAll(async () => {
  // A real Prometheus that has never seen the service: the gate has no data and fails closed.
  prometheus = await startPrometheus();
});

afterAll(async () => {
  await prometheus?.stop();
});

function pipeline(url: string): string {
  return [
    "jobs:",
    "  deploy:",
    "    steps:",
    "      - name: error budget gate",
    "        slo-gate:",
    `          slos: ${JSON.stringify(FIXTURE)}`,
    `          prometheus: ${url}`,
    "          min-budget-remaining: 0.1",
    "          only: [api-requests-availability]",
    "          override-reason: ${{ env.OVERRIDE }}",
    "      - run: echo deployed",
  ].join("\n");
}

describe("the slo-gate step in a pipeline", () => {
  it("stops the deploy when the gate blocks, and lets it through with an override reason it logs", () => {
    const dir = project(pipeline(prometheus?.url ?? ""));
    const blocked = cli(dir, ["run", "--plain"]);
    expect(blocked.status, blocked.stderr).toBe(1);
    expect(blocked.stdout).toContain("deploy blocked");
    expect(blocked.stdout).toContain("api-requests-availability: no data in Prometheus");
    expect(blocked.stdout).not.toContain("deployed");

    const overridden = cli(dir, [
      "run",
      "--plain",
      "--env",
      "OVERRIDE=hotfix for INC-42, approved by on-call",
    ]);
    expect(overridden.status, overridden.stdout).toBe(0);
    expect(overridden.stdout).toContain("deploy allowed by override: hotfix for INC-42, approved by on-call");
    expect(overridden.stdout).toContain("deployed");
    // The reason is in the run's stored log, not only on the terminal.
    expect(cli(dir, ["logs", "2", "deploy"]).stdout).toContain("hotfix for INC-42");
  });
});
