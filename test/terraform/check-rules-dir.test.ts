import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileNativePipeline } from "../../src/pipeline/native/compile.js";
import { cli } from "../support/cli.js";

/*
 * A check step with `rules-dir`: the project's own rules reach `slipway check` in a snapshot
 * run, whose workspace leaves out .slipway/ (where the rules are read from by default).
 */

const RULE = `
rules:
  - id: ACME-001
    title: terraform_data inputs are never public
    severity: high
    framework: terraform
    rationale: A public input is published to every reader of the state.
    remediation: Choose another input.
    resource: [terraform_data]
    require:
      not: { attribute: input, contains: public }
`;

function repo(check: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-check-rules-"));
  const files: Record<string, string> = {
    "slipway.yaml": `name: guard\njobs:\n  guard:\n    steps:\n      - check: ${check}\n`,
    "infra/main.tf": 'resource "terraform_data" "app" {\n  input = "public-app"\n}\n',
    "policies/inputs.yaml": RULE,
    // The default place: left out of the snapshot, so it alone finds nothing.
    ".slipway/rules/inputs.yaml": RULE,
  };
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

describe("the check step's rules-dir", () => {
  it("compiles to --rules-dir, one directory or several", () => {
    const compiled = compileNativePipeline(
      `jobs:
  one:
    steps:
      - check: { paths: infra, rules-dir: policies }
  two:
    steps:
      - check: { rules-dir: [policies, "team rules"], fail-on: high }
`,
      "slipway.yaml",
    );
    const [one, two] = compiled.jobs.map((job) => job.steps[0]?.run ?? "");
    expect(one).toContain('"$SLIPWAY_NODE" "$SLIPWAY_CLI" check infra --rules-dir policies');
    expect(two).toContain("check --fail-on high --rules-dir policies 'team rules'");
  });

  it("makes a custom rule from the project's rules directory find something in a snapshot run", () => {
    const withRules = cli(repo("{ paths: infra, fail-on: high, rules-dir: policies }"), ["run", "--plain"]);
    expect(withRules.status, withRules.stderr).toBe(1);
    expect(withRules.stdout).toMatch(
      /infra\/main\.tf:\d+:\d+: HIGH ACME-001 terraform_data inputs are never public/,
    );
    expect(withRules.stdout).toContain("terraform_data.app");

    const without = cli(repo("{ paths: infra, fail-on: high }"), ["run", "--plain"]);
    expect(without.status, without.stdout + without.stderr).toBe(0);
    expect(without.stdout).not.toContain("ACME-001");
  });

  it("fails the step when the rules directory is missing, rather than checking without its rules", () => {
    const result = cli(repo("{ paths: infra, rules-dir: no-such-rules }"), ["run", "--plain"]);
    expect(result.status, result.stdout + result.stderr).toBe(1);
    expect(result.stdout, result.stderr).toContain("no-such-rules: no such rules file or directory");
  });
});
