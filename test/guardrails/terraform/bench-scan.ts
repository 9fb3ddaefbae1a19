// Scan speed of the Terraform framework on a generated corpus: 500 .tf files holding 5,000
// resources (variables, locals, conditionals, functions, dynamic blocks) in 50 root modules
// that also call a shared local module with for_each. Run with
// `npx tsx test/guardrails/terraform/bench-scan.ts` (ROUNDS=n to repeat the scan, KEEP=1 to
// keep the corpus); it prints files/s. Every scan includes the built-in rules.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scan } from "../../../src/guardrails/index.js";
import { terraformScanner } from "../../../src/guardrails/terraform/index.js";

const FILES = 499;
const RESOURCES_PER_FILE = 10;
const FILES_PER_ROOT = 10;

function resource(file: number, i: number): string {
  const n = file * RESOURCES_PER_FILE + i;
  switch (i % 5) {
    case 0:
      return `resource "aws_security_group" "sg_${n}" {
  name   = "\${local.prefix}-sg-${n}"
  vpc_id = var.vpc_id
  dynamic "ingress" {
    for_each = var.ports
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = [var.allowed_cidr]
    }
  }
  tags = merge(local.tags, { Name = "sg-${n}" })
}
`;
    case 1:
      return `resource "aws_s3_bucket" "bucket_${n}" {
  bucket = "\${local.prefix}-bucket-${n}"
  tags   = local.tags
}
`;
    case 2:
      return `resource "aws_s3_bucket_public_access_block" "pab_${n}" {
  bucket                  = aws_s3_bucket.bucket_${n - 1}.id
  block_public_acls       = true
  block_public_policy     = var.environment == "prod"
  ignore_public_acls      = true
  restrict_public_buckets = true
}
`;
    case 3:
      return `resource "aws_instance" "web_${n}" {
  ami           = "ami-0123456789abcdef0"
  instance_type = var.environment == "prod" ? "m5.large" : "t3.micro"
  subnet_id     = cidrsubnet(var.vpc_cidr, 8, ${n % 200})
  metadata_options {
    http_tokens = "required"
  }
  root_block_device {
    encrypted = true
  }
  tags = { for k, v in local.tags : k => upper(v) }
}
`;
    default:
      return `resource "aws_db_instance" "db_${n}" {
  identifier          = format("%s-db-%03d", local.prefix, ${n})
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  allocated_storage   = 20
  storage_encrypted   = true
  publicly_accessible = false
  username            = "app"
  password            = var.db_password
}
`;
  }
}

const MODULE = `variable "name" {
  type = string
}
variable "cidr" {
  type = string
}
resource "aws_security_group" "this" {
  name = var.name
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [var.cidr]
  }
}
output "id" {
  value = aws_security_group.this.id
}
`;

const ROOT_COMMON = `module "edge" {
  source   = "../modules/sg"
  for_each = toset(["public", "internal"])
  name     = "\${local.prefix}-\${each.key}"
  cidr     = each.key == "public" ? "0.0.0.0/0" : var.vpc_cidr
}
variable "environment" {
  type    = string
  default = "prod"
}
variable "allowed_cidr" {
  type    = string
  default = "10.0.0.0/8"
}
variable "ports" {
  type    = list(number)
  default = [22, 443]
}
variable "vpc_id" {}
variable "vpc_cidr" {
  default = "10.0.0.0/16"
}
variable "db_password" {
  sensitive = true
}
locals {
  prefix = "app-\${var.environment}"
  tags   = { Environment = var.environment, Owner = "platform" }
}
`;

const dir = mkdtempSync(join(tmpdir(), "slipway-tf-bench-"));
try {
  mkdirSync(join(dir, "modules", "sg"), { recursive: true });
  writeFileSync(join(dir, "modules", "sg", "main.tf"), MODULE);
  for (let file = 0; file < FILES; file++) {
    const root = join(dir, `stack-${Math.floor(file / FILES_PER_ROOT)}`);
    mkdirSync(root, { recursive: true });
    const header = file % FILES_PER_ROOT === 0 ? ROOT_COMMON : "";
    const body = Array.from({ length: RESOURCES_PER_FILE }, (_, i) => resource(file, i)).join("\n");
    writeFileSync(join(root, `main-${file}.tf`), header + body);
  }
  for (let round = 1; round <= Number(process.env.ROUNDS ?? 3); round++) {
    const started = performance.now();
    const result = await scan({ root: dir, scanners: [terraformScanner], env: {}, today: "2026-01-01" });
    const seconds = (performance.now() - started) / 1000;
    const files = result.files.length;
    process.stdout.write(
      `round ${round}: ${files} files, ${result.findings.length} findings, ${result.diagnostics.length} diagnostics in ${seconds.toFixed(2)} s = ${Math.round(files / seconds)} files/s\n`,
    );
  }
} finally {
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  else process.stdout.write(`kept ${dir}\n`);
}
