import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../support/cli.js";
import { freshDatabase } from "../support/pg-database.js";
import { api, eventually, gitRepo, startServe } from "../support/slipway-server.js";
import type { ServerProcess } from "../support/slipway-server.js";
import { offlineTerraformHome, terraformBinary } from "../support/terraform.js";

/*
 * Drift status recorded by a real `slipway serve` from the terraform-drift and terraform-plan
 * steps its runner ran with the real terraform binary. The configuration holds terraform_data
 * resources only, and its state lives at an absolute path outside the repository, so it outlives
 * each job's checkout and an engineer can change it "by hand" between runs.
 */

const TERRAFORM = terraformBinary();
const { home, cliConfig } = offlineTerraformHome("slipway-drift-home-");

interface DriftEntry {
  dir: string;
  workspace: string;
  drifted: boolean;
  since: number;
  checkedAt: number;
  checkedBy: string;
  run: { id: string; number: number | null };
  job: string;
  report: {
    changedOutside: unknown[];
    configurationChanges: { address: string; action: string; attributes: string[] }[];
    outputs: string[];
  } | null;
}

interface ProjectDrift {
  project: string;
  drifted: boolean;
  workspaces: DriftEntry[];
}

interface AuditView {
  actor: string;
  action: string;
  target: string;
  project: string | null;
  details: Record<string, unknown>;
}

function terraformByHand(cwd: string, ...args: string[]): void {
  const result = spawnSync(TERRAFORM, [...args, "-no-color"], {
    cwd,
    encoding: "utf8",
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      TF_CLI_CONFIG_FILE: cliConfig,
      TF_IN_AUTOMATION: "1",
      CHECKPOINT_DISABLE: "1",
    },
  });
  if (result.status !== 0) throw new Error(`terraform ${args.join(" ")} failed:\n${result.stderr}`);
}

/** Starts a run of `jobs` and waits until it ends; its id, number and status. */
async function runToEnd(
  server: ServerProcess,
  token: string,
  project: string,
  jobs: string[],
): Promise<{ id: string; number: number; status: string }> {
  const started = await api<{ runs: { id: string; number: number }[] }>(
    server.url,
    token,
    "POST",
    `/api/projects/${project}/runs`,
    { jobs },
  );
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const run = started.body.runs[0]!;
  const status = await eventually(
    async () => {
      const got = await api<{ run: { status: string } }>(server.url, token, "GET", `/api/runs/${run.id}`);
      return ["queued", "running"].includes(got.body.run.status) ? undefined : got.body.run.status;
    },
    120_000,
    `run ${run.id} to end`,
  );
  return { ...run, status };
}

describe("drift status recorded from server runs", () => {
  let server: ServerProcess;
  let developer = "";
  let viewer = "";
  let otherDeveloper = "";
  let laptop = "";

  const driftOf = async (project: string, token = developer) => {
    const got = await api<ProjectDrift>(server.url, token, "GET", `/api/projects/${project}/drift`);
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    return got.body;
  };
  const entry = async (workspace: string) =>
    (await driftOf("infra")).workspaces.find((w) => w.dir === "infra" && w.workspace === workspace);
  const driftAudit = async () => {
    const log = await api<AuditView[]>(server.url, server.adminToken, "GET", "/api/audit?limit=1000");
    expect(log.status).toBe(200);
    return log.body.filter((e) => e.action === "terraform.drift-status").reverse();
  };

  beforeAll(async () => {
    server = await startServe({ runners: 1 });
    const stateDir = mkdtempSync(path.join(os.tmpdir(), "slipway-drift-state-"));
    const configuration = `terraform {
  backend "local" {
    path          = "${stateDir}/terraform.tfstate"
    workspace_dir = "${stateDir}/workspaces"
  }
}
variable "round" {
  type    = string
  default = "1"
}
resource "terraform_data" "app" {
  input = "round-\${var.round}"
}
`;
    const repo = gitRepo({
      "infra/main.tf": configuration,
      "slipway.yaml": `name: infra
env:
  TF_CLI_CONFIG_FILE: ${cliConfig}
  SLIPWAY_TERRAFORM: ${TERRAFORM}
  CHECKPOINT_DISABLE: "1"
jobs:
  drift:
    steps:
      - terraform-drift: { dir: infra, workspaces: [default, staging] }
  plan-staging:
    steps:
      - terraform-plan: { dir: infra, workspace: staging }
`,
    });
    // A pipeline of another project whose step writes a drift report naming infra's directory.
    const forger = gitRepo({
      "slipway.yaml": `name: forger
jobs:
  forge:
    steps:
      - run: |
          echo '{"kind":"terraform-drift","body":{"dir":"infra","workspaces":[{"workspace":"default","drifted":true,"changedOutside":[],"configurationChanges":[],"outputs":["x"]}]}}' >> "$SLIPWAY_REPORT"
`,
    });
    for (const [name, path] of [
      ["infra", repo],
      ["other", forger],
    ] as const) {
      const added = await api(server.url, server.adminToken, "POST", "/api/projects", { name, repo: path });
      expect(added.status).toBe(201);
    }
    const token = async (name: string, role: string, project?: string) => {
      const created = await api<{ token: string }>(server.url, server.adminToken, "POST", "/api/tokens", {
        name,
        role,
        ...(project ? { project } : {}),
      });
      expect(created.status).toBe(201);
      return created.body.token;
    };
    developer = await token("dev", "developer");
    viewer = await token("viewer", "viewer");
    otherDeveloper = await token("other-dev", "developer", "other");

    // Both workspaces applied from a copy of the configuration, as from an engineer's machine.
    laptop = mkdtempSync(path.join(os.tmpdir(), "slipway-drift-laptop-"));
    cpSync(path.join(repo, "infra"), laptop, { recursive: true });
    terraformByHand(laptop, "init", "-input=false");
    terraformByHand(laptop, "apply", "-auto-approve", "-input=false");
    terraformByHand(laptop, "workspace", "new", "staging");
    terraformByHand(laptop, "apply", "-auto-approve", "-input=false");
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("marks a workspace drifted from a drift check, keeps it through a plan with changes, and clears it with a clean plan", async () => {
    expect(await driftOf("infra")).toEqual({ project: "infra", drifted: false, workspaces: [] });

    const clean = await runToEnd(server, developer, "infra", ["drift"]);
    expect(clean.status).toBe("success");
    const first = await driftOf("infra");
    expect(first.drifted).toBe(false);
    expect(first.workspaces.map((w) => [w.dir, w.workspace, w.drifted, w.checkedBy, w.run, w.job])).toEqual([
      ["infra", "default", false, "terraform-drift", { id: clean.id, number: clean.number }, "drift"],
      ["infra", "staging", false, "terraform-drift", { id: clean.id, number: clean.number }, "drift"],
    ]);
    const cleanSince = first.workspaces[0]!.since;

    // Out of band: staging applied by hand with another round than the configuration's.
    terraformByHand(laptop, "apply", "-auto-approve", "-input=false", "-var", "round=9");
    const drifted = await runToEnd(server, developer, "infra", ["drift"]);
    // The drift step fails its job (exit 3); the report reached the server all the same.
    expect(drifted.status).toBe("failure");
    const second = await driftOf("infra");
    expect(second.drifted).toBe(true);
    const staging = second.workspaces.find((w) => w.workspace === "staging");
    expect(staging).toMatchObject({
      drifted: true,
      checkedBy: "terraform-drift",
      run: { id: drifted.id, number: drifted.number },
      report: {
        changedOutside: [],
        configurationChanges: [
          { address: "terraform_data.app", action: "update", attributes: ["input", "output"] },
        ],
        outputs: [],
      },
    });
    expect(staging!.since).toBe(staging!.checkedAt);
    expect(staging!.since).toBeGreaterThan(cleanSince);
    // The clean workspace keeps the time it became clean.
    expect(second.workspaces.find((w) => w.workspace === "default")).toMatchObject({
      drifted: false,
      since: cleanSince,
      run: { id: drifted.id },
    });

    // A plan with changes may be the change under review: it does not clear the mark.
    const changing = await runToEnd(server, developer, "infra", ["plan-staging"]);
    expect(changing.status).toBe("success");
    expect(await entry("staging")).toMatchObject({ drifted: true, run: { id: drifted.id } });

    const status = cli(laptop, [
      "tf",
      "drift-status",
      "--project",
      "infra",
      "--server",
      server.url,
      "--token",
      developer,
    ]);
    expect(status.status, status.stderr).toBe(0);
    const lines = status.stdout.split("\n");
    expect(lines[0]).toMatch(/^DIR\s+WORKSPACE\s+STATUS\s+SINCE\s+CHECKED\s+RUN$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `^infra\\s+default\\s+clean\\s+${new Date(cleanSince).toISOString()}\\s+.+\\(drift check\\)\\s+#${drifted.number} ${server.url}/api/runs/${drifted.id}$`,
      ),
    );
    expect(lines[2]).toMatch(/^infra\s+staging\s+DRIFTED\s+/);
    expect(status.stdout).toContain(
      "the configuration would change:\n      ~ terraform_data.app: input, output",
    );

    // The world back as the configuration says: the next plan has no changes and clears it.
    terraformByHand(laptop, "apply", "-auto-approve", "-input=false");
    const cleanPlan = await runToEnd(server, developer, "infra", ["plan-staging"]);
    expect(cleanPlan.status).toBe("success");
    const cleared = await entry("staging");
    expect(cleared).toMatchObject({
      drifted: false,
      checkedBy: "terraform-plan",
      run: { id: cleanPlan.id, number: cleanPlan.number },
      job: "plan-staging",
      report: null,
    });
    expect(cleared!.since).toBeGreaterThan(staging!.since);
    expect((await driftOf("infra")).drifted).toBe(false);

    const json = cli(laptop, [
      "tf",
      "drift-status",
      "--project",
      "infra",
      "--server",
      server.url,
      "--token",
      developer,
      "--json",
    ]);
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(await driftOf("infra"));

    // Every change of status is in the audit log, as the agent that reported it, with the run.
    const story = (await driftAudit())
      .filter((e) => e.project === "infra")
      .map((e) => [e.target, e.details.from, e.details.to, e.details.by, e.details.run]);
    expect(story).toEqual([
      ["infra/infra@default", null, "clean", "terraform-drift", clean.id],
      ["infra/infra@staging", null, "clean", "terraform-drift", clean.id],
      ["infra/infra@staging", "clean", "drifted", "terraform-drift", drifted.id],
      ["infra/infra@staging", "drifted", "clean", "terraform-plan", cleanPlan.id],
    ]);
    for (const e of await driftAudit()) expect(e.actor).toMatch(/^agent:/);
  }, 300_000);

  it("records a report under the project of the job's lease, whatever the report says, for developers of that project", async () => {
    const before = await driftOf("infra");
    const forged = await runToEnd(server, otherDeveloper, "other", ["forge"]);
    expect(forged.status).toBe("success");
    expect(await driftOf("other", otherDeveloper)).toMatchObject({
      project: "other",
      drifted: true,
      workspaces: [{ dir: "infra", workspace: "default", drifted: true, run: { id: forged.id } }],
    });
    expect(await driftOf("infra")).toEqual(before);

    expect((await api(server.url, viewer, "GET", "/api/projects/infra/drift")).status).toBe(403);
    expect((await api(server.url, otherDeveloper, "GET", "/api/projects/infra/drift")).status).toBe(403);
    expect((await api(server.url, developer, "GET", "/api/projects/nowhere/drift")).status).toBe(404);
    const refused = cli(laptop, [
      "tf",
      "drift-status",
      "--project",
      "infra",
      "--server",
      server.url,
      "--token",
      viewer,
    ]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain("the server refused (403)");
  }, 120_000);
});

describe("drift status on PostgreSQL", () => {
  it("is recorded from a job's report and read back", async () => {
    const server = await startServe({ runners: 1, database: await freshDatabase("tfdrift_server") });
    try {
      const repo = gitRepo({
        "slipway.yaml": `name: report
jobs:
  report:
    steps:
      - run: |
          echo '{"kind":"terraform-drift","body":{"dir":"net","workspaces":[{"workspace":"prod","drifted":true,"changedOutside":[{"address":"a.b","action":"update","attributes":["tags"]}],"configurationChanges":[],"outputs":[]}]}}' >> "$SLIPWAY_REPORT"
`,
      });
      expect(
        (await api(server.url, server.adminToken, "POST", "/api/projects", { name: "net", repo })).status,
      ).toBe(201);
      const run = await runToEnd(server, server.adminToken, "net", []);
      expect(run.status).toBe("success");
      const got = await api<ProjectDrift>(server.url, server.adminToken, "GET", "/api/projects/net/drift");
      expect(got.body).toMatchObject({
        project: "net",
        drifted: true,
        workspaces: [
          {
            dir: "net",
            workspace: "prod",
            drifted: true,
            checkedBy: "terraform-drift",
            run: { id: run.id, number: run.number },
            job: "report",
            report: { changedOutside: [{ address: "a.b", action: "update", attributes: ["tags"] }] },
          },
        ],
      });
    } finally {
      await server.stop();
    }
  }, 120_000);
});
