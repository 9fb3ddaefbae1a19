import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../support/cli.js";
import type { CliResult } from "../support/cli.js";
import { offlineTerraformHome, terraformBinary } from "../support/terraform.js";

/*
 * terraform-plan, terraform-apply, terraform-drift and the check gate, driven through
 * `slipway run` with the real terraform binary. The configurations hold terraform_data
 * resources only, so nothing is downloaded: the CLI configuration allows no provider source but
 * an empty directory. The state lives at an absolute path outside the project, so it outlives
 * each run's workspace, as a remote backend would.
 */

const TERRAFORM = terraformBinary();
const { home, cliConfig } = offlineTerraformHome("slipway-tf-steps-home-");

/** Steps see only a few variables of the environment (README: "Environment of a step"); HOME is one. */
const RUN_ENV = { HOME: home, CHECKPOINT_DISABLE: "1" };

function configuration(stateDir: string): string {
  return `
terraform {
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
resource "terraform_data" "db" {
  triggers_replace = var.round
}
`;
}

interface Project {
  dir: string;
  stateDir: string;
}

/** A project with infra/main.tf and slipway.yaml; `jobs` is the pipeline's jobs: block. */
function tfProject(jobs: string, files: Record<string, string> = {}): Project {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-tf-steps-"));
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "slipway-tf-state-"));
  mkdirSync(path.join(dir, "infra"));
  writeFileSync(path.join(dir, "infra", "main.tf"), configuration(stateDir));
  const pipeline = `name: infra
env:
  TF_CLI_CONFIG_FILE: ${cliConfig}
  SLIPWAY_TERRAFORM: ${TERRAFORM}
jobs:
${jobs}`;
  writeFileSync(path.join(dir, "slipway.yaml"), pipeline);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return { dir, stateDir };
}

interface RunEvent {
  type: string;
  jobKey?: string;
  stepIndex?: number;
  status?: string;
  exitCode?: number;
  outputs?: Record<string, string>;
  text?: string;
  markdown?: string;
  run?: { id: string };
}

interface Run {
  result: CliResult;
  events: RunEvent[];
  id: string;
  log: (job: string) => string;
  job: (job: string) => RunEvent | undefined;
  step: (job: string, index: number) => RunEvent | undefined;
  summaries: (job: string) => string;
}

function run(project: Project, args: string[] = []): Run {
  const result = cli(project.dir, ["run", "--json", ...args], RUN_ENV);
  const events = result.stdout
    .trim()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as RunEvent);
  const id = events.find((e) => e.type === "run.queued")?.run?.id ?? "";
  return {
    result,
    events,
    id,
    log: (job) =>
      events
        .filter((e) => e.type === "log" && e.jobKey === job)
        .map((e) => e.text)
        .join("\n"),
    job: (job) => events.find((e) => e.type === "job.finished" && e.jobKey === job),
    step: (job, index) =>
      events.find((e) => e.type === "step.finished" && e.jobKey === job && e.stepIndex === index),
    summaries: (job) =>
      events
        .filter((e) => e.type === "step.summary" && e.jobKey === job)
        .map((e) => e.markdown)
        .join("\n"),
  };
}

interface StateResource {
  name: string;
  instances: { attributes: { input: { value: string } | null } }[];
}

/** The resources of the state at `file`, by name, with terraform_data.app's input. */
function stateOf(file: string): Record<string, string | null> {
  if (!existsSync(file)) return {};
  const state = JSON.parse(readFileSync(file, "utf8")) as { resources: StateResource[] };
  return Object.fromEntries(
    state.resources.map((r) => [r.name, r.instances[0]?.attributes.input?.value ?? null]),
  );
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** terraform run directly, as an engineer would from a laptop: the out-of-band change drift must find. */
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

const PLAN_AND_APPLY = `
  plan:
    outputs:
      checksum: \${{ steps.plan.outputs.checksum }}
      add: \${{ steps.plan.outputs.add }}
      change: \${{ steps.plan.outputs.change }}
      destroy: \${{ steps.plan.outputs.destroy }}
      replace: \${{ steps.plan.outputs.replace }}
      has-changes: \${{ steps.plan.outputs.has-changes }}
    artifacts: [.slipway/tf/infra/**]
    steps:
      - id: plan
        terraform-plan:
          dir: infra
          vars: { round: "\${{ env.ROUND }}" }
      - check: { paths: .slipway/tf/infra/plan.json, fail-on: high }
  apply:
    needs: plan
    steps:
      - terraform-apply:
          dir: infra
          checksum: \${{ needs.plan.outputs.checksum }}
`;

describe("terraform plan and apply steps", () => {
  it("plans with a summary and outputs, checks the plan JSON, and applies exactly that plan in the next job", () => {
    const project = tfProject(PLAN_AND_APPLY);
    const state = path.join(project.stateDir, "terraform.tfstate");

    const first = run(project, ["-e", "ROUND=1"]);
    expect(first.result.status, first.result.stderr).toBe(0);
    const plan = first.log("plan");
    expect(plan).toContain(
      "Terraform plan of infra (workspace default): 2 to add, 0 to change, 0 to destroy",
    );
    expect(plan).toMatch(/create \(2\):\n\s+\+ terraform_data\.app\n\s+\+ terraform_data\.db/);
    // The check step read the plan JSON as a Terraform plan.
    expect(plan).toMatch(/no findings;.*1 file scanned \(terraform 1/);
    expect(first.summaries("plan")).toContain("**2 to add, 0 to change, 0 to destroy**");
    expect(first.summaries("plan")).toContain("- `+ terraform_data.app`");

    // The checksum output is the SHA-256 of the plan file published for the apply job.
    const published = path.join(
      project.dir,
      ".slipway/runs",
      first.id,
      "artifacts/plan/.slipway/tf/infra/plan.tfplan",
    );
    const outputs = first.job("plan")?.outputs ?? {};
    expect(outputs).toEqual({
      checksum: sha256(published),
      add: "2",
      change: "0",
      destroy: "0",
      replace: "0",
      "has-changes": "true",
    });
    expect(plan).toContain(`plan sha256: ${outputs.checksum}`);
    expect(first.log("apply")).toContain("Apply complete! Resources: 2 added, 0 changed, 0 destroyed.");
    expect(first.log("apply")).toContain(`applied the plan with SHA-256 ${outputs.checksum} to infra`);
    expect(stateOf(state)).toEqual({ app: "round-1", db: null });

    // A new round updates app in place and replaces db; Terraform counts a replacement as an add and a destroy.
    const second = run(project, ["-e", "ROUND=2"]);
    expect(second.result.status, second.result.stderr).toBe(0);
    expect(second.log("plan")).toContain(
      "Terraform plan of infra (workspace default): 1 to add, 1 to change, 1 to destroy (1 replaced)",
    );
    expect(second.log("plan")).toMatch(/update in place \(1\):\n\s+~ terraform_data\.app/);
    expect(second.log("plan")).toMatch(/replace \(1\):\n\s+-\/\+ terraform_data\.db/);
    expect(second.summaries("plan")).toContain("**replace (1)**");
    expect(second.job("plan")?.outputs).toMatchObject({ add: "1", change: "1", destroy: "1", replace: "1" });
    expect(stateOf(state)).toEqual({ app: "round-2", db: null });
  });

  it("refuses to apply a plan whose SHA-256 is not the reviewed one", () => {
    const wrong = "0".repeat(64);
    const project = tfProject(`
  plan:
    steps:
      - terraform-plan: { dir: infra }
  apply:
    needs: plan
    steps:
      - terraform-apply: { dir: infra, checksum: "sha256:${wrong}" }
`);
    const result = run(project);
    expect(result.result.status).toBe(1);
    expect(result.step("apply", 0)?.exitCode).toBe(1);
    expect(result.log("apply")).toMatch(
      new RegExp(
        `refusing to apply \\.slipway/tf/infra/plan\\.tfplan: its SHA-256 is [0-9a-f]{64}, not the reviewed ${wrong}`,
      ),
    );
    expect(result.log("apply")).not.toContain("terraform apply");
    expect(stateOf(path.join(project.stateDir, "terraform.tfstate"))).toEqual({});
  });

  it("refuses a stale plan: another plan was applied after it was made", () => {
    const project = tfProject(`
  plan-a:
    steps:
      - terraform-plan: { dir: infra, out: plans/a, vars: { round: a } }
  plan-b:
    needs: plan-a
    steps:
      - terraform-plan: { dir: infra, out: plans/b, vars: { round: b } }
  apply-b:
    needs: plan-b
    steps:
      - terraform-apply: { dir: infra, plan: plans/b/plan.tfplan }
  apply-a:
    needs: apply-b
    steps:
      - terraform-apply: { dir: infra, plan: plans/a/plan.tfplan }
`);
    const result = run(project);
    expect(result.result.status).toBe(1);
    expect(result.job("apply-b")?.status).toBe("success");
    expect(result.job("apply-a")?.status).toBe("failure");
    expect(result.log("apply-a")).toContain(
      "the state changed since this plan (serial moved): plan again (plans/a/plan.tfplan, workspace default)",
    );
    expect(stateOf(path.join(project.stateDir, "terraform.tfstate"))).toEqual({ app: "round-b", db: null });
  });

  it("applies a plan to the workspace it was made for, whatever the directory has selected", () => {
    const project = tfProject(`
  plan:
    steps:
      - terraform-plan: { dir: infra, workspace: staging, vars: { round: st } }
  apply:
    needs: plan
    steps:
      - run: cd infra && "$SLIPWAY_TERRAFORM" workspace select -or-create=true other
      - terraform-apply: { dir: infra }
`);
    const result = run(project);
    expect(result.result.status, result.result.stderr).toBe(0);
    expect(result.log("plan")).toContain("Terraform plan of infra (workspace staging): 2 to add");
    expect(stateOf(path.join(project.stateDir, "workspaces/staging/terraform.tfstate"))).toEqual({
      app: "round-st",
      db: null,
    });
    expect(stateOf(path.join(project.stateDir, "workspaces/other/terraform.tfstate"))).toEqual({});
  });

  it("blocks the apply job when the check step finds something at or above fail-on in the plan", () => {
    // No built-in rule inspects terraform_data, so a custom rule does; the run is in place
    // because a snapshot workspace leaves out .slipway/, where `slipway check` reads custom rules.
    const project = tfProject(PLAN_AND_APPLY, {
      ".slipway/rules/inputs.yaml": `
rules:
  - id: ACME-001
    title: terraform_data inputs are never public
    severity: high
    framework: terraform
    rationale: A public input is published to every reader of the state.
    remediation: Choose another round.
    resource: [terraform_data]
    require:
      not: { attribute: input, contains: public }
`,
    });
    const result = run(project, ["--in-place", "-e", "ROUND=public"]);
    expect(result.result.status).toBe(1);
    expect(result.step("plan", 0)?.status).toBe("success");
    expect(result.step("plan", 1)?.exitCode).toBe(1);
    expect(result.log("plan")).toMatch(/\.slipway\/tf\/infra\/plan\.json:\d+:\d+: HIGH ACME-001/);
    expect(result.log("plan")).toContain("terraform_data.app");
    expect(result.job("apply")?.status).toBe("skipped");
    expect(stateOf(path.join(project.stateDir, "terraform.tfstate"))).toEqual({});
  });
});

describe("terraform drift step", () => {
  it("reports a clean configuration, then the workspace changed by hand, with resources and attributes", () => {
    const drift = (options: string) => `
  drift:
    outputs:
      drifted: \${{ steps.drift.outputs.drifted }}
      where: \${{ steps.drift.outputs.drifted-workspaces }}
    artifacts: [.slipway/tf/drift.json]
    steps:
      - id: drift
        terraform-drift: { dir: infra, workspaces: [default, staging]${options} }
`;
    const project = tfProject(drift(""));
    // Both workspaces applied from a copy of the configuration, as from an engineer's machine.
    const laptop = mkdtempSync(path.join(os.tmpdir(), "slipway-tf-laptop-"));
    cpSync(path.join(project.dir, "infra"), laptop, { recursive: true });
    terraformByHand(laptop, "init", "-input=false");
    terraformByHand(laptop, "apply", "-auto-approve", "-input=false");
    terraformByHand(laptop, "workspace", "new", "staging");
    terraformByHand(laptop, "apply", "-auto-approve", "-input=false");

    const clean = run(project);
    expect(clean.result.status, clean.result.stderr).toBe(0);
    expect(clean.job("drift")?.outputs).toEqual({ drifted: "false", where: "" });
    expect(clean.log("drift")).toContain("Terraform drift check: no drift in infra (2 workspaces checked)");
    const cleanReport = JSON.parse(
      readFileSync(
        path.join(project.dir, ".slipway/runs", clean.id, "artifacts/drift/.slipway/tf/drift.json"),
        "utf8",
      ),
    ) as { drifted: boolean; workspaces: { workspace: string; drifted: boolean }[] };
    expect(cleanReport.drifted).toBe(false);
    expect(cleanReport.workspaces.map((w) => [w.workspace, w.drifted])).toEqual([
      ["default", false],
      ["staging", false],
    ]);

    // Out of band: staging applied by hand with another round than the configuration's.
    terraformByHand(laptop, "apply", "-auto-approve", "-input=false", "-var", "round=9");

    const drifted = run(project);
    expect(drifted.result.status).toBe(1);
    expect(
      drifted.step("drift", 0)?.exitCode,
      JSON.stringify(drifted.events.filter((e) => e.type === "step.finished")),
    ).toBe(3);
    const log = drifted.log("drift");
    expect(log).toContain("Terraform drift check: DRIFT in infra: workspace staging");
    expect(log).toContain("workspace default: clean");
    expect(log).toMatch(
      /the configuration would change:\n\s+~ terraform_data\.app: input, output\n\s+-\/\+ terraform_data\.db: id, triggers_replace/,
    );
    expect(drifted.summaries("drift")).toContain("| `staging` | **drifted** |");
    // A failed job publishes no artifacts; its workspace is kept, report included.
    const report = JSON.parse(
      readFileSync(
        path.join(project.dir, ".slipway/runs", drifted.id, "workspace/.slipway/tf/drift.json"),
        "utf8",
      ),
    ) as unknown;
    expect(report).toMatchObject({
      dir: "infra",
      drifted: true,
      workspaces: [
        { workspace: "default", drifted: false, changedOutside: [], configurationChanges: [] },
        {
          workspace: "staging",
          drifted: true,
          // terraform_data has no remote object, so a refresh never finds it changed.
          changedOutside: [],
          configurationChanges: [
            { address: "terraform_data.app", action: "update", attributes: ["input", "output"] },
            { address: "terraform_data.db", action: "replace", attributes: ["id", "triggers_replace"] },
          ],
        },
      ],
    });

    // fail-on-drift: false keeps the job green so its report is published; a later job alerts.
    writeFileSync(
      path.join(project.dir, "slipway.yaml"),
      readFileSync(path.join(project.dir, "slipway.yaml"), "utf8").replace(
        /jobs:[\s\S]*$/,
        `jobs:${drift(", fail-on-drift: false")}
  alert:
    needs: drift
    if: needs.drift.outputs.drifted == 'true'
    steps:
      - run: |
          echo "drifted: \${{ needs.drift.outputs.where }}"
          exit 1
`,
      ),
    );
    const alerted = run(project);
    expect(alerted.result.status).toBe(1);
    expect(alerted.job("drift")?.status).toBe("success");
    expect(alerted.job("drift")?.outputs).toEqual({ drifted: "true", where: "staging" });
    expect(alerted.log("alert")).toContain("drifted: staging");
    expect(
      readdirSync(path.join(project.dir, ".slipway/runs", alerted.id, "artifacts/drift/.slipway/tf")),
    ).toEqual(["drift.json"]);
  });
});

describe("slipway tf without terraform", () => {
  it("says which binary is missing; drift keeps exit 3 for drift alone", () => {
    const project = tfProject("  none:\n    steps:\n      - run: true\n");
    const missing = path.join(project.dir, "no-such-terraform");
    const plan = cli(project.dir, ["tf", "plan", "--dir", "infra", "--binary", missing]);
    expect(plan.status, plan.stderr + plan.stdout).toBe(3);
    expect(plan.stderr).toContain(`error: terraform binary "${missing}" not found or not executable`);

    // A PATH with node and nothing else.
    const bin = mkdtempSync(path.join(os.tmpdir(), "slipway-tf-path-"));
    symlinkSync(process.execPath, path.join(bin, "node"));
    const none = cli(project.dir, ["tf", "apply", "--dir", "infra"], {
      PATH: bin,
      SLIPWAY_TERRAFORM: "",
    });
    expect(none.status).toBe(3);
    expect(none.stderr).toContain("error: no terraform binary: neither terraform nor tofu is on PATH");

    const drift = cli(project.dir, ["tf", "drift", "--dir", "infra"], { SLIPWAY_TERRAFORM: missing });
    expect(drift.status).toBe(1);
    expect(drift.stderr).toContain("hint: fix SLIPWAY_TERRAFORM");
  });
});
