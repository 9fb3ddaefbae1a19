import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, formatDiagnostics } from "../../src/errors/index.js";
import { parseTenants, readTenantsFile } from "../../src/kubernetes/tenants/index.js";

const FIXTURES = path.join(import.meta.dirname, "..", "fixtures", "kubernetes", "tenants");

function problems(text: string): ConfigError {
  try {
    parseTenants("tenants.yaml", text);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("tenants file", () => {
  it("fills in the defaults and maps the quota to Kubernetes' names", async () => {
    const config = await readTenantsFile(path.join(FIXTURES, "two-tenants.yaml"));
    const [payments, search] = config.tenants;
    expect(payments).toMatchObject({
      name: "payments",
      namespace: "payments",
      podSecurity: "baseline",
      labels: { "cost-center": "cc-42" },
      quota: { "requests.cpu": "4", "requests.memory": "8Gi", pods: "20" },
      network: {
        sameNamespace: true,
        ingress: [
          {
            name: "from-ingress-nginx",
            namespace: "ingress-nginx",
            ports: [{ port: 8080, protocol: "TCP" }],
          },
        ],
      },
      scaling: { minReplicas: 2, maxReplicas: 10, targetCPUUtilization: 70 },
    });
    expect(payments?.members).toEqual([
      { kind: "User", name: "alice", role: "developer" },
      { kind: "Group", name: "payments-oncall", role: "operator" },
      { kind: "User", name: "bob", role: "viewer" },
    ]);
    expect(payments?.network.egress).toBeUndefined();
    expect(search?.network).toEqual({
      sameNamespace: false,
      ingress: [],
      egress: [{ name: "database", cidr: "10.0.0.0/8", ports: [{ port: 5432, protocol: "TCP" }] }],
    });
  });

  it("points an unknown key at its line and column, with the key it probably meant", async () => {
    const file = path.join(FIXTURES, "unknown-key.yaml");
    const error = await readTenantsFile(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const [d] = (error as ConfigError).diagnostics;
    expect(d).toMatchObject({
      position: { file, line: 5, column: 5 },
      message: 'unknown key "quotas" in tenants.payments',
    });
    expect(d?.hint).toMatch(
      /^did you mean "quota"\? Allowed: namespace, labels, annotations, podSecurity, members/,
    );
    expect((error as ConfigError).message).toBe(`${file}:5:5: unknown key "quotas" in tenants.payments`);
  });

  it("names the role presets when a member's role is not one", async () => {
    const file = path.join(FIXTURES, "unknown-role.yaml");
    const error = (await readTenantsFile(file).catch((e: unknown) => e)) as ConfigError;
    expect(error.diagnostics).toEqual([
      {
        position: { file, line: 5, column: 28 },
        message: 'unknown role preset "admin"',
        hint: "the presets are viewer, developer, operator (each includes the one before)",
      },
    ]);
  });

  it("suggests the nearest preset for a typo, and renders like a compiler", () => {
    const text = "tenants:\n  web:\n    members:\n      - { group: web-team, role: develper }\n";
    const error = problems(text);
    expect(error.diagnostics[0]?.hint).toMatch(/^did you mean "developer"\?/);
    expect(formatDiagnostics(error.diagnostics, new Map([["tenants.yaml", text]]))).toBe(
      [
        'tenants.yaml:4:34: error: unknown role preset "develper"',
        "  4 |       - { group: web-team, role: develper }",
        "    |                                  ^",
        '  hint: did you mean "developer"? the presets are viewer, developer, operator (each includes the one before)',
        "",
        "1 error",
      ].join("\n"),
    );
  });

  it("reports every problem of the file at once, in file order", () => {
    const error = problems(
      [
        "tenants:",
        "  kube-system: {}", // 2: a system namespace
        "  web:",
        "    labels: { slipway.dev/tenant: other }", // 4: reserved label
        "    members:",
        "      - { role: viewer }", // 6: no subject
        "      - { user: a, group: b, role: viewer }", // 7: two subjects
        "    quota: { cpu: lots }", // 8: not a quantity
        "    limits: { default: { cpu: 100m }, defaultRequest: { cpu: 200m } }", // 9: request above limit
        "    network:",
        "      allow:",
        "        - { fromNamespace: a, fromCIDR: 10.0.0.0/8 }", // 12: two kinds of peer
        "        - { fromCIDR: 10.0.0.0/33 }", // 13: not a CIDR
        "        - { fromNamespace: x, port: 80 }", // 14: ports is a list
        "    scaling: { minReplicas: 5, maxReplicas: 2 }", // 15
        "  Web2: {}", // 16: not a namespace name
      ].join("\n"),
    );
    const lines = error.diagnostics.map((d) => `${d.position.line}: ${d.message}`);
    expect(lines).toEqual([
      expect.stringMatching(/^8: tenants\.web\.quota\.cpu: a Kubernetes quantity/),
      expect.stringMatching(/^14: unknown key "port"/),
      expect.stringMatching(/^16: invalid name "Web2"/),
    ]);

    // Only shape problems stop the semantic checks; with those fixed, the rest come out together.
    const semantic = problems(
      [
        "tenants:",
        "  kube-system: {}",
        "  web:",
        "    labels: { slipway.dev/tenant: other }",
        "    members:",
        "      - { role: viewer }",
        "      - { user: a, group: b, role: viewer }",
        "      - { user: c, role: viewer }",
        "      - { user: c, role: viewer }",
        "    limits: { default: { cpu: 100m }, defaultRequest: { cpu: 200m } }",
        "    network:",
        "      allow:",
        "        - { fromNamespace: a, fromCIDR: 10.0.0.0/8 }",
        "        - { fromCIDR: 10.0.0.0/33 }",
        "        - { fromNamespace: x }",
        "        - { fromNamespace: x, ports: [81] }",
        "    scaling: { minReplicas: 5, maxReplicas: 2 }",
        "  other: { namespace: web }",
      ].join("\n"),
    );
    expect(semantic.diagnostics.map((d) => `${d.position.line}:${d.position.column}: ${d.message}`)).toEqual([
      '2:3: "kube-system" is a system namespace, not a tenant\'s',
      '4:15: "slipway.dev/tenant" is set by Slipway',
      "6:9: a member needs a user, group or serviceAccount",
      "7:9: a member is one subject",
      '9:9: User "c" is listed twice as viewer',
      "10:62: defaultRequest.cpu (200m) is above default.cpu (100m)",
      "13:41: fromCIDR cannot be combined with fromNamespace or fromPods",
      '14:23: "10.0.0.0/33" is not a CIDR',
      '16:11: two rules would both be the NetworkPolicy "from-x"',
      "17:29: minReplicas is above maxReplicas",
      '18:23: tenants "web" and "other" share the namespace "web"',
    ]);
  });

  it("takes ports with protocols, service accounts, and numbers where YAML gives numbers", () => {
    const config = parseTenants(
      "t.yaml",
      [
        "tenants:",
        "  web:",
        "    members: [{ serviceAccount: ci/deployer, role: developer }]",
        "    quota: { cpu: 2, memory: 4Gi, limits: { cpu: 4 }, storage: 100Gi, persistentVolumeClaims: 5 }",
        "    network:",
        "      egress: {}",
        '      allow: [{ fromPods: { app: gateway }, pods: { app: api }, ports: [8080, "53/UDP"] }]',
      ].join("\n"),
    );
    const web = config.tenants[0];
    expect(web?.members).toEqual([
      { kind: "ServiceAccount", namespace: "ci", name: "deployer", role: "developer" },
    ]);
    expect(web?.quota).toEqual({
      "requests.cpu": "2",
      "requests.memory": "4Gi",
      "limits.cpu": "4",
      "requests.storage": "100Gi",
      persistentvolumeclaims: "5",
    });
    expect(web?.network).toEqual({
      sameNamespace: true,
      ingress: [
        {
          name: "from-pods",
          pods: { app: "gateway" },
          podSelector: { app: "api" },
          ports: [
            { port: 8080, protocol: "TCP" },
            { port: 53, protocol: "UDP" },
          ],
        },
      ],
      egress: [],
    });
  });

  it("gives hints for keys from RBAC and NetworkPolicy manifests", () => {
    const hints = problems(
      "tenants:\n  web:\n    users: [alice]\n    network: { ingress: [] }\n    quota: { hard: { pods: 1 } }\n",
    ).diagnostics.map((d) => d.hint);
    expect(hints).toEqual([
      "list people under members:, e.g. - { user: alice, role: developer }",
      "ingress exceptions are allow:, e.g. - { fromNamespace: ingress-nginx, ports: [8080] }",
      "write the limits directly under quota:, e.g. { cpu: 4, memory: 8Gi, pods: 20 }",
    ]);
  });

  it("reports YAML syntax errors and an empty file with positions", () => {
    expect(problems("tenants:\n  web: {\n").message).toMatch(/^tenants\.yaml:\d+:\d+: YAML syntax/);
    expect(problems("").message).toBe("tenants.yaml:1:1: the file is empty");
    expect(problems("tenant: {}\n").diagnostics.map((d) => [d.message, d.hint])).toEqual([
      ['missing required key "tenants" at the top level', undefined],
      ['unknown key "tenant" at the top level', 'did you mean "tenants"? Allowed: tenants'],
    ]);
  });
});

describe("the documented example (docs/tenants.md)", () => {
  it("is a valid tenants file", async () => {
    const doc = await readFile(path.join(import.meta.dirname, "..", "..", "docs", "tenants.md"), "utf8");
    const example = /```yaml\n(tenants:[\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const config = parseTenants("docs/tenants.md", example ?? "");
    expect(config.tenants.map((t) => t.name)).toEqual(["payments"]);
    expect(config.tenants[0]?.network.ingress.map((r) => r.name)).toEqual([
      "from-ingress-nginx",
      "from-monitoring",
      "partners",
    ]);
  });
});
