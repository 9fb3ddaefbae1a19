// Cross-resource rules inside a module called with count: each instance's resources link to
// their own siblings, never to those of another instance, and two root configurations calling
// the same module are two sets of findings.
import { afterAll, describe, expect, it } from "vitest";
import { scan } from "../../../src/guardrails/index.js";
import { terraformScanner } from "../../../src/guardrails/terraform/index.js";
import { removeTrees, writeTree } from "./helpers.js";

const MODULE = {
  "modules/web/main.tf": `variable "ssh_cidr" { type = string }

resource "aws_security_group" "web" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.ssh_cidr]
  }
}

resource "aws_instance" "web" {
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "t3.micro"
  vpc_security_group_ids = [aws_security_group.web.id]
}
`,
};

function stack(cidr: string): string {
  return `module "web" {
  source   = "../../modules/web"
  count    = 2
  ssh_cidr = "${cidr}"
}
`;
}

afterAll(removeTrees);

describe("resources of module instances", () => {
  it("attaches each instance to its own security group", async () => {
    const root = writeTree({ ...MODULE, "stacks/a/main.tf": stack("0.0.0.0/0") });
    const result = await scan({ root, scanners: [terraformScanner], rules: ["TF-011"], env: {} });
    expect(result.findings.map((f) => f.message).sort()).toEqual([
      "module.web[0].aws_instance.web is attached to module.web[0].aws_security_group.web, which allows SSH (22) from 0.0.0.0/0",
      "module.web[1].aws_instance.web is attached to module.web[1].aws_security_group.web, which allows SSH (22) from 0.0.0.0/0",
    ]);
  });

  it("reports a module's finding once per root configuration that calls it", async () => {
    const root = writeTree({
      ...MODULE,
      "stacks/a/main.tf": stack("0.0.0.0/0"),
      "stacks/b/main.tf": stack("0.0.0.0/0"),
      "stacks/c/main.tf": stack("10.0.0.0/8"),
    });
    const result = await scan({ root, scanners: [terraformScanner], rules: ["TF-008"], env: {} });
    const origins = result.findings.map((f) => f.provenance.map((p) => p.span.file).join(","));
    expect(origins.sort()).toEqual([
      "stacks/a/main.tf",
      "stacks/a/main.tf",
      "stacks/b/main.tf",
      "stacks/b/main.tf",
    ]);
  });
});
