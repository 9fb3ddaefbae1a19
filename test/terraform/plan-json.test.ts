import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  actionOf,
  changedAttributes,
  parsePlanJson,
  planSummaryText,
  summarizePlan,
  terraformDrift,
} from "../../src/terraform/index.js";

describe("changedAttributes", () => {
  it("lists the paths that differ, nested, with values known only after apply", () => {
    const before = {
      id: "sg-1",
      name: "web",
      tags: { owner: "ops", "cost-centre": "CC-1" },
      ingress: [{ from_port: 22, cidr_blocks: ["10.0.0.0/8"] }],
      description: null,
    };
    const after = {
      id: "sg-1",
      name: "web",
      tags: { owner: "payments", "cost-centre": "CC-1" },
      ingress: [{ from_port: 22, cidr_blocks: ["0.0.0.0/0"] }],
    };
    expect(changedAttributes(before, after, { arn: true })).toEqual([
      "arn",
      "ingress[0].cidr_blocks[0]",
      "tags.owner",
    ]);
  });

  it("names a list whose length changed, quotes keys that are not identifiers, and ignores null against absent", () => {
    expect(
      changedAttributes(
        { ports: [80], labels: { "app.kubernetes.io/name": "a" }, note: null },
        { ports: [80, 443], labels: { "app.kubernetes.io/name": "b" } },
        {},
      ),
    ).toEqual(['labels["app.kubernetes.io/name"]', "ports"]);
  });

  it("lists nothing for a resource created or destroyed as a whole", () => {
    expect(changedAttributes(null, { a: 1 }, { id: true })).toEqual([]);
    expect(changedAttributes({ a: 1 }, null, false)).toEqual([]);
  });
});

describe("plan summaries", () => {
  it("counts as Terraform does and groups every action", () => {
    const change = (address: string, actions: string[]) => ({ address, change: { actions } });
    const plan = parsePlanJson(
      JSON.stringify({
        format_version: "1.2",
        resource_changes: [
          change("aws_s3_bucket.logs", ["create"]),
          change("aws_instance.web", ["delete", "create"]),
          change("aws_instance.worker", ["create", "delete"]),
          change("aws_security_group.web", ["update"]),
          change("aws_iam_user.old", ["delete"]),
          change("aws_iam_user.kept", ["forget"]),
          change("data.aws_ami.ubuntu", ["read"]),
          change("aws_vpc.main", ["no-op"]),
        ],
        output_changes: { url: { actions: ["update"] }, id: { actions: ["no-op"] } },
      }),
      "plan.json",
    );
    const summary = summarizePlan(plan);
    expect(summary).toMatchObject({ add: 3, change: 1, destroy: 3, replace: 2, forget: 1, hasChanges: true });
    expect(summary.outputs).toEqual(["url"]);
    const text = planSummaryText(summary, { dir: "infra", workspace: "prod", checksum: "abc" });
    expect(text.split("\n")[0]).toBe(
      "Terraform plan of infra (workspace prod): 3 to add, 1 to change, 3 to destroy (2 replaced, 1 to forget)",
    );
    expect(text).toContain("  replace (2):\n    -/+ aws_instance.web\n    -/+ aws_instance.worker\n");
    expect(text).toContain("  destroy (1):\n    - aws_iam_user.old\n");
    expect(text).toContain("  read during apply (1):\n    <= data.aws_ami.ubuntu\n");
    expect(text).not.toContain("aws_vpc.main");
  });

  it("says no changes for an empty plan", () => {
    const summary = summarizePlan(parsePlanJson('{"format_version":"1.2","resource_changes":[]}', "p"));
    expect(summary.hasChanges).toBe(false);
    expect(planSummaryText(summary, { dir: ".", workspace: "default", checksum: "x" })).toMatch(
      /^Terraform plan of \. \(workspace default\): no changes\n/,
    );
    expect(actionOf(["create", "forget"])).toBe("replace");
  });

  it("refuses what is not terraform show -json output", () => {
    expect(() => parsePlanJson("{}", "plan.json")).toThrow(
      "plan.json is not a plan rendered by terraform show -json",
    );
    expect(() => parsePlanJson("not json", "plan.json")).toThrow("plan.json is not JSON");
  });
});

/*
 * A refresh finds changes only where a provider reads real objects, and the real terraform of
 * the other tests has only terraform_data, which it never finds changed. So this one test runs a
 * fake terraform (a shell script) that answers the refresh-only plan with `resource_drift`
 * written after Terraform's JSON output format.
 */
describe("drift report from a refresh-only plan (fake terraform)", () => {
  it("lists the resources changed outside Terraform with their attribute paths", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-tf-fake-"));
    mkdirSync(path.join(dir, "infra"));
    const refreshed = {
      format_version: "1.2",
      resource_drift: [
        {
          address: "aws_security_group.web",
          change: {
            actions: ["update"],
            before: { id: "sg-1", ingress: [{ cidr_blocks: ["10.0.0.0/8"] }], tags: { owner: "ops" } },
            after: { id: "sg-1", ingress: [{ cidr_blocks: ["0.0.0.0/0"] }], tags: { owner: "ops" } },
          },
        },
        {
          address: "aws_s3_bucket.logs",
          change: { actions: ["delete"], before: { id: "logs" }, after: null },
        },
      ],
      resource_changes: [],
    };
    writeFileSync(path.join(dir, "refreshed.json"), JSON.stringify(refreshed));
    writeFileSync(
      path.join(dir, "planned.json"),
      JSON.stringify({ format_version: "1.2", resource_changes: [] }),
    );
    const fake = path.join(dir, "fake-terraform");
    writeFileSync(
      fake,
      `#!/bin/sh
# Answers as terraform would for the drift check: -detailed-exitcode 2 for the refresh-only plan.
case "$1" in
  plan)
    for arg in "$@"; do case "$arg" in -out=*) out="\${arg#-out=}";; esac; done
    case " $* " in
      *" -refresh-only "*) echo refresh > "$out"; exit 2;;
      *) echo plan > "$out"; exit 0;;
    esac;;
  show)
    for arg in "$@"; do file="$arg"; done
    if [ "$(cat "$file")" = refresh ]; then cat "${dir}/refreshed.json"; else cat "${dir}/planned.json"; fi;;
  workspace) [ "$2" = show ] && echo default;;
esac
exit 0
`,
    );
    chmodSync(fake, 0o755);

    const written: string[] = [];
    const { report, reportFile } = await terraformDrift({
      dir: "infra",
      binary: fake,
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      output: { write: (_stream, text) => void written.push(text) },
    });

    expect(report.drifted).toBe(true);
    expect(report.workspaces).toEqual([
      {
        workspace: "default",
        drifted: true,
        changedOutside: [
          { address: "aws_s3_bucket.logs", action: "delete", attributes: [] },
          { address: "aws_security_group.web", action: "update", attributes: ["ingress[0].cidr_blocks[0]"] },
        ],
        configurationChanges: [],
        outputs: [],
      },
    ]);
    expect(reportFile).toBe(".slipway/tf/drift.json");
    expect(JSON.parse(readFileSync(path.join(dir, reportFile), "utf8"))).toEqual(report);
    // Values never reach the report or the log: the plan JSON is read, not printed.
    expect(readFileSync(path.join(dir, reportFile), "utf8")).not.toContain("0.0.0.0/0");
    expect(written.join("")).not.toContain("0.0.0.0/0");
  });
});
