// `slipway check` as users run it: the built CLI over a small repository whose risks sit behind
// a tfvars file and a module, with every output format, the exit codes, the baseline, and the
// `check` step of a pipeline.
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { XMLParser } from "fast-xml-parser";
import { cli } from "../../support/cli.js";

const REPOSITORY: Record<string, string> = {
  "infra/main.tf": `module "web" {
  source   = "./modules/web"
  ssh_cidr = var.admin_cidr
}

variable "admin_cidr" {
  type    = string
  default = "10.0.0.0/8"
}
`,
  "infra/terraform.tfvars": `admin_cidr = "0.0.0.0/0"\n`,
  "infra/modules/web/main.tf": `variable "ssh_cidr" {
  type = string
}

resource "aws_security_group" "web" {
  name = "web"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.ssh_cidr]
  }
}
`,
  "k8s/web.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  containers:
    - name: web
      image: nginx:1.27
      securityContext:
        privileged: true
`,
  Dockerfile: `FROM node:20.11-bookworm-slim
WORKDIR /app
COPY . .
CMD ["node", "server.js"]
`,
};

function repository(files: Record<string, string> = REPOSITORY): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-check-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

interface JsonReport {
  findings: { ruleId: string; framework: string; location: { file: string; line: number } }[];
}

describe("slipway check", () => {
  it("reports the open SSH port set in terraform.tfvars through a module, with where the value came from", () => {
    const dir = repository();
    const text = cli(dir, ["check"]);
    expect(text.status, text.stderr).toBe(1);
    expect(text.stdout).toContain("TF-008");
    expect(text.stdout).toContain("infra/modules/web/main.tf:11");
    // Provenance: the tfvars line and the module argument that carried the value.
    expect(text.stdout).toContain("infra/terraform.tfvars:1");
    expect(text.stdout).toMatch(/module "web" argument ssh_cidr/);
    expect(text.stdout).toContain("K8S-001");
    expect(text.stdout).toContain("DOCKER-003");

    const json = cli(dir, ["check", "--format", "json"]);
    const report = JSON.parse(json.stdout) as JsonReport;
    const frameworks = new Set(report.findings.map((f) => f.framework));
    expect([...frameworks].sort()).toEqual(["dockerfile", "kubernetes", "terraform"]);
  });

  it("reports nothing for a value it cannot know", () => {
    const files = { ...REPOSITORY };
    delete files["infra/terraform.tfvars"];
    files["infra/main.tf"] = (files["infra/main.tf"] ?? "").replace('  default = "10.0.0.0/8"\n', "");
    const result = cli(repository(files), ["check", "infra", "--format", "json"]);
    expect(result.status, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as JsonReport).findings).toEqual([]);
  });

  it("skips what .gitignore excludes in a git working tree, unless the file is named", () => {
    const dir = repository({
      ".gitignore": "build/\n",
      "build/web.yaml": REPOSITORY["k8s/web.yaml"] ?? "",
      "deploy/web.yaml": REPOSITORY["k8s/web.yaml"] ?? "",
    });
    execFileSync("git", ["init", "-q"], { cwd: dir });
    const files = (args: string[]) =>
      (JSON.parse(cli(dir, ["check", ...args, "--format", "json"]).stdout) as JsonReport).findings.map(
        (f) => f.location.file,
      );
    // deploy/ is untracked but not ignored: it is read like a tracked file.
    expect(new Set(files([]))).toEqual(new Set(["deploy/web.yaml"]));
    expect(new Set(files(["build/web.yaml"]))).toEqual(new Set(["build/web.yaml"]));
  });

  it("sets the exit code from --fail-on", () => {
    const dir = repository();
    // The highest severity here is high (privileged pod, open SSH): critical does not fail.
    expect(cli(dir, ["check", "--fail-on", "critical"]).status).toBe(0);
    expect(cli(dir, ["check", "--fail-on", "high"]).status).toBe(1);
    expect(cli(dir, ["check", "--fail-on", "none"]).status).toBe(0);
  });

  it("writes SARIF and JUnit files and still prints the text report", () => {
    const dir = repository();
    const sarif = cli(dir, ["check", "--format", "sarif", "--output", "out/check.sarif"]);
    expect(sarif.status).toBe(1);
    expect(sarif.stdout).toContain("TF-008");
    const log = JSON.parse(readFileSync(path.join(dir, "out/check.sarif"), "utf8")) as {
      version: string;
      runs: { results: { ruleId: string }[] }[];
    };
    expect(log.version).toBe("2.1.0");
    expect(log.runs[0]?.results.map((r) => r.ruleId)).toContain("TF-008");

    expect(cli(dir, ["check", "--format", "junit", "--output", "out/check.xml"]).status).toBe(1);
    const xml = new XMLParser({ ignoreAttributes: false }).parse(
      readFileSync(path.join(dir, "out/check.xml"), "utf8"),
    );
    expect(JSON.stringify(xml)).toContain("TF-008");
  });

  it("accepts the findings of a baseline and fails again only on new ones", () => {
    const dir = repository();
    const written = cli(dir, ["check", "--write-baseline"]);
    expect(written.status, written.stderr).toBe(0);
    expect(existsSync(path.join(dir, ".slipway/check-baseline.json"))).toBe(true);
    expect(cli(dir, ["check"]).status).toBe(0);

    writeFileSync(
      path.join(dir, "k8s/web.yaml"),
      readFileSync(path.join(dir, "k8s/web.yaml"), "utf8") + "  hostNetwork: true\n",
    );
    const after = cli(dir, ["check", "--format", "json"]);
    expect(after.status).toBe(1);
    expect((JSON.parse(after.stdout) as JsonReport).findings.map((f) => f.ruleId)).toEqual(["K8S-008"]);
  });

  it("exits 2 with the position when a file cannot be parsed, and still reports the others", () => {
    const dir = repository({
      ...REPOSITORY,
      "infra/broken.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = \n',
    });
    const result = cli(dir, ["check", "--format", "json"]);
    expect(result.status).toBe(2);
    const report = JSON.parse(result.stdout) as JsonReport & {
      diagnostics: { location: { file: string; line: number } }[];
    };
    expect(report.diagnostics[0]?.location.file).toBe("infra/broken.tf");
    expect(report.findings.some((f) => f.ruleId === "K8S-001")).toBe(true);
  });

  it("fails a pipeline's check step on findings, and passes it when they are below fail-on", () => {
    const dir = repository({
      ...REPOSITORY,
      "slipway.yaml": `jobs:
  guardrails:
    steps:
      - check:
          paths: [infra, k8s, Dockerfile]
          fail-on: high
          output: reports/check.sarif
`,
    });
    const failed = cli(dir, ["run", "--plain", "--in-place"]);
    expect(failed.status, failed.stdout + failed.stderr).toBe(1);
    expect(failed.stdout).toContain("TF-008");
    expect(existsSync(path.join(dir, "reports/check.sarif"))).toBe(true);

    writeFileSync(
      path.join(dir, "slipway.yaml"),
      readFileSync(path.join(dir, "slipway.yaml"), "utf8").replace("fail-on: high", "fail-on: critical"),
    );
    const passed = cli(dir, ["run", "--plain", "--in-place"]);
    expect(passed.status, passed.stdout + passed.stderr).toBe(0);
  });
});
