import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors/index.js";
import { compileNativePipeline } from "../../src/pipeline/native/compile.js";
import { cli, project } from "../support/cli.js";

function compileError(text: string): ConfigError {
  try {
    compileNativePipeline(text, "slipway.yaml");
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("the pipeline compiled");
}

describe("terraform steps in slipway.yaml", () => {
  it("compile to slipway tf commands, with expressions passed through the step's env", () => {
    const pipeline = compileNativePipeline(
      `jobs:
  plan:
    steps:
      - terraform-plan:
          dir: infra/prod
          workspace: prod
          var-files: [prod.tfvars]
          vars: { image: "\${{ env.IMAGE }}", replicas: 3 }
          init-args: [-backend-config=prod.hcl]
  apply:
    needs: plan
    steps:
      - terraform-apply: { dir: infra/prod, checksum: "\${{ needs.plan.outputs.checksum }}" }
  drift:
    steps:
      - terraform-drift: { dir: infra/prod, workspaces: [a, b], fail-on-drift: false }
`,
      "slipway.yaml",
    );
    const [plan, apply, drift] = pipeline.jobs.map((job) => job.steps[0]);
    expect(plan?.name).toBe("terraform plan infra/prod");
    expect(plan?.run).toContain(
      '"$SLIPWAY_NODE" "$SLIPWAY_CLI" tf plan --dir=infra/prod --workspace=prod --var-file=prod.tfvars --var=replicas=3 --init-arg=-backend-config=prod.hcl "$SLIPWAY_TF_ARG_1"',
    );
    expect(plan?.env).toEqual({ SLIPWAY_TF_ARG_1: "--var=image=${{ env.IMAGE }}" });
    expect(apply?.run).not.toContain("${{");
    expect(apply?.env).toEqual({ SLIPWAY_TF_ARG_1: "--checksum=${{ needs.plan.outputs.checksum }}" });
    expect(drift?.run).toContain("tf drift --no-fail-on-drift --dir=infra/prod --workspace=a --workspace=b");
  });

  it("reports unknown and missing keys at their position, with the allowed ones", () => {
    const error = compileError(`jobs:
  plan:
    steps:
      - terraform-plan:
          dir: infra
          var_files: [a.tfvars]
      - terraform-drift: { workspaces: [a] }
`);
    expect(
      error.diagnostics.map((d) => `${d.position.line}:${d.position.column} ${d.message} | ${d.hint ?? ""}`),
    ).toEqual([
      '6:11 unknown key "var_files" in jobs.plan.steps.0.terraform-plan | did you mean "var-files"? Allowed: dir, init-args, binary, var-files, vars, workspace, out',
      '7:9 missing required key "dir" in jobs.plan.steps.1.terraform-drift | ',
    ]);
  });

  it("allows one kind of step per step", () => {
    const error = compileError(`jobs:
  plan:
    steps:
      - terraform-apply: { dir: infra }
        terraform-drift: { dir: infra }
`);
    expect(error.diagnostics.map((d) => `${d.position.line}:${d.position.column} ${d.message}`)).toEqual([
      "4:9 a step has one of run, slo-gate, check or deploy, or one of terraform-plan, terraform-apply, terraform-drift, not terraform-apply and terraform-drift",
    ]);
  });

  it("never runs a value from another job as shell code", () => {
    const dir = project(`jobs:
  review:
    outputs:
      checksum: \${{ steps.out.outputs.checksum }}
    steps:
      - id: out
        run: echo "checksum=x'; touch pwned; echo '" >> "$SLIPWAY_OUTPUT"
  apply:
    needs: review
    steps:
      - terraform-apply: { dir: infra, binary: /bin/true, checksum: "\${{ needs.review.outputs.checksum }}" }
`);
    mkdirSync(path.join(dir, "infra"));
    const result = cli(dir, ["run", "--plain", "--in-place"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("no saved plan at .slipway/tf/infra/plan.tfplan");
    expect(existsSync(path.join(dir, "pwned"))).toBe(false);
  });
});
