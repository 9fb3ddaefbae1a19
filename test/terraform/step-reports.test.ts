import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../support/cli.js";
import { offlineTerraformHome, terraformBinary } from "../support/terraform.js";

/*
 * What steps write to $SLIPWAY_REPORT becomes step.report events (what a server records drift
 * status from), seen here through `slipway run --json` on one machine.
 */

interface ReportEvent {
  type: string;
  jobKey?: string;
  stepIndex?: number;
  kind?: string;
  body?: unknown;
  text?: string;
}

function runJson(dir: string, env: NodeJS.ProcessEnv = {}): { status: number | null; events: ReportEvent[] } {
  const result = cli(dir, ["run", "--json"], env);
  const events = result.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as ReportEvent);
  return { status: result.status, events };
}

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-step-reports-"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

describe("step reports", () => {
  it("turn each JSON line into an event, masked, and note a line that is not one", () => {
    const secret = "hunter2-report-secret";
    const dir = project({
      "slipway.yaml": `name: reports
secrets: [TOKEN]
jobs:
  report:
    steps:
      - run: echo nothing
      - env: { TOKEN: "\${{ secrets.TOKEN }}" }
        run: |
          printf '{"kind":"example","body":{"note":"token %s","%s":[1,true]}}\\n' "$TOKEN" "$TOKEN" >> "$SLIPWAY_REPORT"
          echo 'not a report' >> "$SLIPWAY_REPORT"
          printf '{"kind":"second","body":null}\\n' >> "$SLIPWAY_REPORT"
`,
    });
    const { status, events } = runJson(dir, { TOKEN: secret });
    expect(status).toBe(0);
    const reports = events.filter((e) => e.type === "step.report");
    expect(reports.map((r) => [r.jobKey, r.stepIndex, r.kind, r.body])).toEqual([
      ["report", 1, "example", { note: "token ***", "***": [1, true] }],
      ["report", 1, "second", null],
    ]);
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(
      events.some((e) => e.type === "log" && e.text?.includes("a line of the step's report is not")),
    ).toBe(true);
  });

  it("from terraform-drift and terraform-plan name the directory from the repository's root", () => {
    const { home, cliConfig } = offlineTerraformHome("slipway-step-reports-home-");
    const stateDir = mkdtempSync(path.join(os.tmpdir(), "slipway-step-reports-state-"));
    const dir = project({
      "infra/main.tf": `terraform {
  backend "local" {
    path = "${stateDir}/terraform.tfstate"
  }
}
resource "terraform_data" "app" {
  input = "one"
}
`,
      "slipway.yaml": `name: infra
env:
  TF_CLI_CONFIG_FILE: ${cliConfig}
  SLIPWAY_TERRAFORM: ${terraformBinary()}
jobs:
  check:
    steps:
      - working-directory: infra
        terraform-drift: { dir: ., fail-on-drift: false }
      - terraform-plan: { dir: ./infra/ }
`,
    });
    const { status, events } = runJson(dir, { HOME: home, CHECKPOINT_DISABLE: "1" });
    expect(status, JSON.stringify(events.filter((e) => e.type === "log").map((e) => e.text))).toBe(0);
    const reports = events.filter((e) => e.type === "step.report");
    expect(reports.map((r) => [r.stepIndex, r.kind, r.body])).toEqual([
      [
        0,
        "terraform-drift",
        {
          dir: "infra",
          workspaces: [
            {
              workspace: "default",
              // Nothing applied yet: the configuration would create the resource.
              drifted: true,
              changedOutside: [],
              configurationChanges: [{ address: "terraform_data.app", action: "create", attributes: [] }],
              outputs: [],
            },
          ],
        },
      ],
      [
        1,
        "terraform-plan",
        {
          dir: "infra",
          workspace: "default",
          hasChanges: true,
          add: 1,
          change: 0,
          destroy: 0,
          checksum: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
        },
      ],
    ]);
  });
});
