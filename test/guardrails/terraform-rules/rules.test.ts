import { describe, expect, it } from "vitest";
import { UNKNOWN } from "../../../src/guardrails/terraform/model.js";
import { terraformRules } from "../../../src/guardrails/terraform/rules/index.js";
import { attributeLine, block, model, resource, run, traced } from "./build.js";

const fromTfvars = [
  { description: "var.cidr set in terraform.tfvars", span: { file: "terraform.tfvars", line: 1, column: 1 } },
];

describe("terraform rule metadata", () => {
  it("numbers rules TF-001 upwards without gaps, in topic order", () => {
    const ids = terraformRules.map((r) => r.id);
    expect(ids.length).toBeGreaterThanOrEqual(55);
    expect(ids).toEqual(ids.map((_, i) => `TF-${String(i + 1).padStart(3, "0")}`));
  });

  it("links every rule to the provider documentation", () => {
    for (const rule of terraformRules)
      expect(
        rule.references.some((ref) => ref.startsWith("https://")),
        rule.id,
      ).toBe(true);
  });
});

describe("UNKNOWN values never produce findings", () => {
  it("judges storage_encrypted only when known, and uses the provider default when absent", () => {
    const unknown = resource("aws_db_instance.a", { engine: "postgres", storage_encrypted: UNKNOWN });
    const absent = resource("aws_db_instance.b", { engine: "postgres" });
    const off = resource("aws_db_instance.c", {
      engine: "postgres",
      storage_encrypted: traced(false, { provenance: fromTfvars }),
    });
    const reports = run("TF-025", model(unknown, absent, off));
    expect(reports.map((r) => r.resource)).toEqual(["aws_db_instance.b", "aws_db_instance.c"]);
    expect(reports[0]?.span).toEqual(absent.span);
    expect(reports[1]?.span.line).toBe(attributeLine(off, "storage_encrypted"));
    expect(reports[1]?.provenance).toEqual(fromTfvars);
  });

  it("stays silent on a security group rule whose range or ports are unknown", () => {
    const group = resource("aws_security_group.a", {
      ingress: [
        block("ingress", { from_port: 22, to_port: 22, protocol: "tcp", cidr_blocks: UNKNOWN }),
        block("ingress", { from_port: UNKNOWN, to_port: 22, protocol: "tcp", cidr_blocks: ["0.0.0.0/0"] }),
        block("ingress", { from_port: 22, to_port: 22, protocol: UNKNOWN, cidr_blocks: ["0.0.0.0/0"] }),
      ],
    });
    expect(run("TF-008", model(group))).toEqual([]);
  });

  it("still reports the known internet range of a list with an unknown element", () => {
    const group = resource("aws_security_group.a", {
      ingress: block("ingress", {
        from_port: 22,
        to_port: 22,
        protocol: "tcp",
        cidr_blocks: [UNKNOWN, "0.0.0.0/0"],
      }),
    });
    expect(run("TF-008", model(group))).toHaveLength(1);
  });

  it("does not call a bucket unprotected when a public access block points at something unknown", () => {
    const bucket = resource("aws_s3_bucket.a", { bucket: "acme-a" });
    const block_ = resource("aws_s3_bucket_public_access_block.x", {
      bucket: traced(UNKNOWN, { references: ["module.store"] }),
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(run("TF-001", model(bucket, block_))).toEqual([]);
  });

  it("stays silent on a bucket policy that cannot be read", () => {
    const bucket = resource("aws_s3_bucket.a", { bucket: "acme-a" });
    const policy = resource("aws_s3_bucket_policy.a", {
      bucket: traced(UNKNOWN, { references: ["aws_s3_bucket.a"] }),
      policy: UNKNOWN,
    });
    expect(run("TF-007", model(bucket, policy))).toEqual([]);
    expect(run("TF-006", model(bucket, policy))).toEqual([]);
  });

  it("reads Terraform's string spelling of booleans and numbers", () => {
    const group = resource("aws_security_group_rule.a", {
      type: "ingress",
      from_port: "3389",
      to_port: "3389",
      protocol: "6",
      cidr_blocks: ["0.0.0.0/0"],
    });
    expect(run("TF-009", model(group))).toHaveLength(1);
    const subnet = resource("aws_subnet.a", { map_public_ip_on_launch: "true" });
    expect(run("TF-014", model(subnet))).toHaveLength(1);
  });
});

describe("cross-resource rules", () => {
  const fullBlock = (bucketRefs: string[]) =>
    resource(`aws_s3_bucket_public_access_block.${bucketRefs.length}`, {
      bucket: traced(UNKNOWN, { references: bucketRefs }),
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });

  it("links a public access block in the root to a bucket created in a module", () => {
    const bucket = resource("module.store.aws_s3_bucket.this", { bucket: "acme" }, { modulePath: ["store"] });
    expect(
      run("TF-001", model(bucket, fullBlock(["module.store", "module.store.aws_s3_bucket.this"]))),
    ).toEqual([]);
  });

  it("links a block to the one counted instance it names, not its siblings", () => {
    const first = resource("aws_s3_bucket.this[0]", { bucket: "a" });
    const second = resource("aws_s3_bucket.this[1]", { bucket: "b" });
    const reports = run(
      "TF-001",
      model(first, second, fullBlock(["aws_s3_bucket.this", "aws_s3_bucket.this[0]"])),
    );
    expect(reports.map((r) => r.resource)).toEqual(["aws_s3_bucket.this[1]"]);
  });

  it("links a configuration to its bucket by the bucket's known name", () => {
    const bucket = resource("aws_s3_bucket.a", { bucket: "acme-a" });
    const versioning = resource("aws_s3_bucket_versioning.a", {
      bucket: "acme-a",
      versioning_configuration: block("versioning_configuration", { status: "Enabled" }),
    });
    expect(run("TF-004", model(bucket, versioning))).toEqual([]);
    expect(run("TF-004", model(bucket))).toHaveLength(1);
  });

  it("accepts the account-wide public access block for every bucket", () => {
    const bucket = resource("aws_s3_bucket.a", { bucket: "acme-a", acl: "public-read" });
    const account = resource("aws_s3_account_public_access_block.this", {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(run("TF-001", model(bucket, account))).toEqual([]);
    expect(run("TF-002", model(bucket, account))).toEqual([]);
    expect(run("TF-002", model(bucket))).toHaveLength(1);
  });

  it("reports an instance only when the open security group is attached and it can have a public address", () => {
    const group = resource("aws_security_group.ssh", {
      ingress: block("ingress", {
        from_port: 0,
        to_port: 65535,
        protocol: "tcp",
        cidr_blocks: ["0.0.0.0/0"],
      }),
    });
    const attached = (extra: Record<string, unknown>) =>
      resource("aws_instance.a", {
        vpc_security_group_ids: traced(UNKNOWN, { references: ["aws_security_group.ssh"] }),
        ...(extra as Record<string, never>),
      });
    const unattached = resource("aws_instance.b", { vpc_security_group_ids: ["sg-0123"] });
    expect(run("TF-011", model(group, attached({}), unattached)).map((r) => r.resource)).toEqual([
      "aws_instance.a",
    ]);
    const privateOnly = attached({ associate_public_ip_address: false });
    expect(run("TF-011", model(group, privateOnly))).toEqual([]);
    const eip = resource("aws_eip.a", { instance: traced(UNKNOWN, { references: ["aws_instance.a"] }) });
    expect(run("TF-011", model(group, privateOnly, eip))).toHaveLength(1);
  });

  it("treats an EBS default encryption in the configuration as covering unencrypted volumes", () => {
    const volume = resource("aws_ebs_volume.a", { size: 10 });
    expect(run("TF-020", model(volume))).toHaveLength(1);
    expect(
      run("TF-020", model(volume, resource("aws_ebs_encryption_by_default.on", { enabled: true }))),
    ).toEqual([]);
  });

  it("lets the account's IMDS defaults stand in for an absent http_tokens", () => {
    const instance = resource("aws_instance.a", { ami: "ami-1" });
    expect(run("TF-019", model(instance))).toHaveLength(1);
    const defaults = resource("aws_ec2_instance_metadata_defaults.this", { http_tokens: "required" });
    expect(run("TF-019", model(instance, defaults))).toEqual([]);
  });
});

describe("value shapes", () => {
  it("reads nested blocks written as attribute lists, as in plans and attribute syntax", () => {
    const group = resource("aws_security_group.a", {
      ingress: [
        { from_port: 3389, to_port: 3389, protocol: "tcp", cidr_blocks: ["::/0"], ipv6_cidr_blocks: [] },
      ],
    });
    expect(run("TF-009", model(group))).toHaveLength(1);
    const instance = resource("aws_instance.a", { metadata_options: [{ http_tokens: "required" }] });
    expect(run("TF-019", model(instance))).toEqual([]);
  });

  it("reads JSON policies and honours conditions on wildcard principals", () => {
    const policy = (statement: object) =>
      resource("aws_s3_bucket_policy.a", {
        bucket: "acme",
        policy: JSON.stringify({ Version: "2012-10-17", Statement: statement }),
      });
    const open = {
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::acme/*",
    };
    expect(run("TF-006", model(policy(open)))).toHaveLength(1);
    const narrowed = { ...open, Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } } };
    expect(run("TF-006", model(policy([narrowed])))).toEqual([]);
  });

  it("keeps the resource in reach of suppressions when the statement lives in a data source", () => {
    const document = resource(
      "data.aws_iam_policy_document.trust",
      {
        statement: block("statement", {
          actions: ["sts:AssumeRole"],
          principals: block("principals", { type: "AWS", identifiers: ["*"] }),
        }),
      },
      { mode: "data" },
    );
    const role = resource("aws_iam_role.partner", {
      assume_role_policy: traced(UNKNOWN, { references: ["data.aws_iam_policy_document.trust"] }),
    });
    const [finding, ...rest] = run("TF-046", model(document, role));
    expect(rest).toEqual([]);
    expect(finding?.resource).toBe("aws_iam_role.partner");
    expect(finding?.span.line).toBe(document.body.blocks[0]?.span.line);
    expect(finding?.enclosing).toContainEqual(role.span);
  });

  it("does not judge a policy document merged from documents it cannot see", () => {
    const document = resource(
      "data.aws_iam_policy_document.trust",
      {
        source_policy_documents: UNKNOWN,
        statement: block("statement", { principals: block("principals", { type: "*", identifiers: ["*"] }) }),
      },
      { mode: "data" },
    );
    const role = resource("aws_iam_role.partner", {
      assume_role_policy: traced(UNKNOWN, { references: ["data.aws_iam_policy_document.trust"] }),
    });
    expect(run("TF-046", model(document, role))).toEqual([]);
  });

  it("does not mistake a key policy for an administrator identity policy", () => {
    const keyPolicy = resource(
      "data.aws_iam_policy_document.key",
      {
        statement: block("statement", {
          actions: ["kms:*"],
          resources: ["*"],
          principals: block("principals", { type: "AWS", identifiers: ["arn:aws:iam::123456789012:root"] }),
        }),
      },
      { mode: "data" },
    );
    expect(run("TF-041", model(keyPolicy))).toEqual([]);
    const identity = resource(
      "data.aws_iam_policy_document.admin",
      { statement: block("statement", { actions: ["*"], resources: ["*"] }) },
      { mode: "data" },
    );
    expect(run("TF-040", model(identity))).toHaveLength(1);
    expect(run("TF-041", model(identity))).toEqual([]);
  });

  it("evaluates network ACL entries in rule-number order", () => {
    const acl = (first: string) =>
      resource("aws_network_acl.a", {
        ingress: [
          block("ingress", {
            rule_no: 200,
            action: "allow",
            protocol: "-1",
            cidr_block: "0.0.0.0/0",
            from_port: 0,
            to_port: 0,
          }),
          block("ingress", {
            rule_no: 100,
            action: first,
            protocol: "tcp",
            cidr_block: "0.0.0.0/0",
            from_port: 0,
            to_port: 1024,
          }),
        ],
      });
    // Rule 100 decides port 22; port 3389 falls through to the allow-all rule 200.
    expect(run("TF-015", model(acl("deny"))).map((r) => r.message)).toEqual([
      "rule 200 of aws_network_acl.a allows RDP (port 3389) from the internet",
    ]);
    expect(run("TF-015", model(acl("allow")))).toHaveLength(2);
  });

  it("decodes base64 user data and ignores names that only point at secrets", () => {
    const script = "#!/bin/bash\nexport DB_PASSWORD=correcthorsebattery\n";
    const template = resource("aws_launch_template.a", { user_data: Buffer.from(script).toString("base64") });
    expect(run("TF-024", model(template))).toHaveLength(1);
    const safe = resource("aws_instance.b", {
      user_data:
        "DB_SECRET_ARN=arn:aws:secretsmanager:eu-west-1:123456789012:secret:db\nAPI_TOKEN=$(fetch-token)\n",
    });
    expect(run("TF-024", model(safe))).toEqual([]);
  });

  it("finds public members in Google IAM bindings and policy documents", () => {
    const binding = resource("google_project_iam_binding.viewers", {
      role: "roles/viewer",
      members: ["group:ops@acme.example", "allAuthenticatedUsers"],
    });
    const policy = resource("google_pubsub_topic_iam_policy.p", {
      policy_data: JSON.stringify({ bindings: [{ role: "roles/pubsub.publisher", members: ["allUsers"] }] }),
    });
    expect(run("TF-065", model(binding, policy)).map((r) => r.resource)).toEqual([
      "google_project_iam_binding.viewers",
      "google_pubsub_topic_iam_policy.p",
    ]);
  });

  it("treats a GCP ingress firewall without sources as open to the internet", () => {
    const firewall = (extra: Record<string, unknown>) =>
      resource("google_compute_firewall.a", {
        allow: block("allow", { protocol: "tcp", ports: ["20-25"] }),
        ...(extra as Record<string, never>),
      });
    expect(run("TF-066", model(firewall({})))).toHaveLength(1);
    expect(run("TF-066", model(firewall({ source_tags: ["bastion"] })))).toEqual([]);
    expect(run("TF-066", model(firewall({ direction: "EGRESS" })))).toEqual([]);
  });

  it("matches Azure service tags and port lists", () => {
    const rule = resource("azurerm_network_security_rule.a", {
      direction: "Inbound",
      access: "Allow",
      protocol: "*",
      source_address_prefixes: ["10.0.0.0/8", "Internet"],
      destination_port_ranges: ["443", "3000-3400"],
    });
    expect(run("TF-076", model(rule))).toHaveLength(1);
    expect(run("TF-075", model(rule))).toEqual([]);
  });
});
