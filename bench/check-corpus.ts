import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * A generated repository of the size the guardrails benchmark reads: about 500 Terraform files
 * (5,000 resources, local modules called with count and for_each, tfvars), 2,000 Kubernetes
 * documents, 200 Dockerfiles and 200 GitHub workflows. A fixed share of each is insecure, so both
 * scanners have something to report, and part of the risk sits behind variables and modules.
 */
export interface CorpusSize {
  stacks: number;
  resourcesPerStack: number;
  kubernetesFiles: number;
  documentsPerFile: number;
  dockerfiles: number;
  workflows: number;
}

export const FULL_CORPUS: CorpusSize = {
  stacks: 163,
  resourcesPerStack: 33,
  kubernetesFiles: 200,
  documentsPerFile: 10,
  dockerfiles: 200,
  workflows: 200,
};

export async function writeCorpus(root: string, size: CorpusSize = FULL_CORPUS): Promise<number> {
  const files = new Map<string, string>();
  files.set("modules/bucket/main.tf", BUCKET_MODULE);
  files.set("modules/bucket/variables.tf", BUCKET_VARIABLES);
  files.set("modules/web/main.tf", WEB_MODULE);
  files.set("modules/web/variables.tf", WEB_VARIABLES);
  for (let s = 0; s < size.stacks; s++) {
    const dir = `terraform/stack-${s}`;
    files.set(`${dir}/variables.tf`, STACK_VARIABLES);
    files.set(
      `${dir}/terraform.tfvars`,
      `environment = "env${s}"\nadmin_cidr  = "${s % 4 === 0 ? "0.0.0.0/0" : "10.0.0.0/8"}"\n`,
    );
    files.set(`${dir}/main.tf`, stackMain(s, size.resourcesPerStack));
  }
  for (let k = 0; k < size.kubernetesFiles; k++)
    files.set(`k8s/app-${k}.yaml`, kubernetesFile(k, size.documentsPerFile));
  for (let d = 0; d < size.dockerfiles; d++) files.set(`services/svc-${d}/Dockerfile`, dockerfile(d));
  for (let w = 0; w < size.workflows; w++) files.set(`.github/workflows/ci-${w}.yml`, workflow(w));
  for (const [file, text] of files) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  return files.size;
}

const BUCKET_MODULE = `resource "aws_s3_bucket" "this" {
  bucket = var.name
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = var.versioned ? "Enabled" : "Suspended"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  count                   = var.private ? 1 : 0
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}
`;

const BUCKET_VARIABLES = `variable "name" {
  type = string
}

variable "versioned" {
  type    = bool
  default = true
}

variable "private" {
  type    = bool
  default = true
}
`;

const WEB_MODULE = `resource "aws_security_group" "web" {
  name = "\${var.name}-web"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.ssh_cidr]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["10.0.0.0/8"]
  }
}

resource "aws_instance" "web" {
  ami                    = "ami-0abcdef1234567890"
  instance_type          = "t3.micro"
  vpc_security_group_ids = [aws_security_group.web.id]
  metadata_options {
    http_tokens = "required"
  }
  root_block_device {
    encrypted = true
  }
}
`;

const WEB_VARIABLES = `variable "name" {
  type = string
}

variable "ssh_cidr" {
  type = string
}
`;

const STACK_VARIABLES = `variable "environment" {
  type = string
}

variable "admin_cidr" {
  type    = string
  default = "10.0.0.0/8"
}

variable "buckets" {
  type    = set(string)
  default = ["logs", "assets"]
}
`;

function stackMain(s: number, resources: number): string {
  const blocks: string[] = [
    `module "buckets" {
  source    = "../../modules/bucket"
  for_each  = var.buckets
  name      = "\${var.environment}-\${each.key}"
  versioned = ${s % 3 !== 0}
}`,
    `module "web" {
  source   = "../../modules/web"
  count    = 2
  name     = "\${var.environment}-\${count.index}"
  ssh_cidr = var.admin_cidr
}`,
    `locals {
  common_tags = {
    environment = var.environment
    stack       = "stack-${s}"
  }
}`,
  ];
  for (let r = 0; r < resources - 2; r++) {
    const insecure = (s + r) % 5 === 0;
    switch (r % 6) {
      case 0:
        blocks.push(`resource "aws_db_instance" "db${r}" {
  identifier          = "\${var.environment}-db${r}"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  allocated_storage   = 20
  storage_encrypted   = ${!insecure}
  publicly_accessible = ${insecure}
  username            = "app"
  manage_master_user_password = true
  tags                = local.common_tags
}`);
        break;
      case 1:
        blocks.push(`resource "aws_security_group" "sg${r}" {
  name = "sg${r}"
  ingress {
    from_port   = ${insecure ? 3389 : 443}
    to_port     = ${insecure ? 3389 : 443}
    protocol    = "tcp"
    cidr_blocks = ["${insecure ? "0.0.0.0/0" : "10.0.0.0/8"}"]
  }
}`);
        break;
      case 2:
        blocks.push(`resource "aws_ebs_volume" "vol${r}" {
  availability_zone = "eu-west-1a"
  size              = 10
  encrypted         = ${!insecure}
  tags              = merge(local.common_tags, { name = "vol${r}" })
}`);
        break;
      case 3:
        blocks.push(`resource "aws_cloudwatch_log_group" "logs${r}" {
  name              = "/app/\${var.environment}/${r}"
  retention_in_days = ${insecure ? 0 : 90}
}`);
        break;
      case 4:
        blocks.push(`resource "aws_kms_key" "key${r}" {
  description         = "key ${r}"
  enable_key_rotation = ${!insecure}
}`);
        break;
      default:
        blocks.push(`resource "aws_sqs_queue" "queue${r}" {
  name                    = "\${var.environment}-queue-${r}"
  sqs_managed_sse_enabled = ${!insecure}
}`);
    }
  }
  return `${blocks.join("\n\n")}\n`;
}

function kubernetesFile(k: number, documents: number): string {
  const docs: string[] = [];
  const ns = `team-${k % 20}`;
  for (let d = 0; d < documents; d++) {
    const insecure = (k + d) % 7 === 0;
    const name = `app-${k}-${d}`;
    if (d % 2 === 0) {
      docs.push(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: app
          image: ${insecure ? "registry.example.com/app:latest" : "registry.example.com/app@sha256:" + "a".repeat(64)}
          imagePullPolicy: Always
          securityContext:
            privileged: ${insecure}
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits: { memory: 256Mi }
          readinessProbe:
            httpGet: { path: /ready, port: 8080 }
          livenessProbe:
            httpGet: { path: /live, port: 8080 }`);
    } else {
      docs.push(`apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  type: ${insecure ? "NodePort" : "ClusterIP"}
  selector:
    app: app-${k}-${d - 1}
  ports:
    - port: 80
      targetPort: 8080`);
    }
  }
  return `${docs.join("\n---\n")}\n`;
}

function dockerfile(d: number): string {
  const insecure = d % 4 === 0;
  return `FROM node:20.11-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM node:20.11-bookworm-slim
WORKDIR /app
${insecure ? "RUN curl -fsSL https://example.com/install.sh | sh\n" : ""}RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/dist ./dist
${insecure ? "" : "USER node\n"}HEALTHCHECK CMD curl -f http://localhost:8080/health || exit 1
EXPOSE 8080
CMD ["node", "dist/server.js"]
`;
}

function workflow(w: number): string {
  const insecure = w % 5 === 0;
  return `name: ci-${w}
on:
  ${insecure ? "pull_request_target" : "pull_request"}:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        node: [18, 20, 22]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: \${{ matrix.node }}
      - run: npm ci
      - run: npm test
      - name: Greet
        run: echo "${insecure ? "${{ github.event.pull_request.title }}" : "$TITLE"}"
        env:
          TITLE: \${{ github.event.pull_request.title }}
`;
}
