import { describe, expect, it } from "vitest";
import { YamlSource } from "../../src/config/yaml-source.js";
import { loadDeliveryConfig, parseDuration } from "../../src/delivery/config.js";

function load(text: string) {
  const { source, diagnostics } = YamlSource.parse("slipway.yaml", text);
  expect(diagnostics).toEqual([]);
  return loadDeliveryConfig(source.toJS() as Record<string, unknown>, source);
}

const GOOD = `
services:
  web:
    command: node service.mjs
    env: { ERROR_RATE: 0, MODE: fast }
    instances: 2
    readiness: { http: { path: /healthz }, periodSeconds: 0.2 }
    strategy:
      canary:
        steps:
          - setWeight: 10
          - analysis:
              templates: [{ templateName: error-rate }]
              args: [{ name: threshold, value: "0.01" }]
          - pause: { duration: 1m30s }
          - setWeight: 50
          - pause: {}
analysis:
  error-rate:
    args: [{ name: threshold }]
    metrics:
      - name: errors
        interval: 10s
        count: 3
        failureLimit: 1
        successCondition: "result[0] < {{args.threshold}}"
        provider:
          prometheus:
            address: http://127.0.0.1:9090
            query: sum(rate(slipway_proxy_requests_total{release="{{args.canary}}",code=~"5.."}[30s]))
environments:
  prod:
    branches: [main, "release/*"]
    approval: true
    freeze:
      - deny: "0 18 * * 5"
        duration: 63h
        reason: weekend
    hosts: [local, { ssh: { host: 10.0.0.2, user: deploy } }]
    services:
      web: { listen: "127.0.0.1:8080", instances: 3 }
`;

describe("the delivery sections of slipway.yaml", () => {
  it("loads services, analysis templates and environments into the model", () => {
    const { config, diagnostics } = load(GOOD);
    expect(diagnostics).toEqual([]);
    const web = config.services["web"];
    expect(web?.env).toEqual({ ERROR_RATE: "0", MODE: "fast" });
    expect(web?.readiness).toEqual({ http: { path: "/healthz" }, periodMs: 200 });
    expect(web?.strategy).toEqual({
      kind: "canary",
      steps: [
        { setWeight: 10 },
        { analysis: { templates: ["error-rate"], args: { threshold: "0.01" } } },
        { pause: { durationMs: 90_000 } },
        { setWeight: 50 },
        { pause: {} },
      ],
    });
    expect(config.analysis["error-rate"]?.metrics[0]).toMatchObject({
      name: "errors",
      intervalMs: 10_000,
      count: 3,
      failureLimit: 1,
    });
    const prod = config.environments["prod"];
    expect(prod?.approval).toEqual({ role: "operator" });
    expect(prod?.freeze).toEqual([
      { kind: "deny", cron: "0 18 * * 5", durationMs: 63 * 3_600_000, reason: "weekend" },
    ]);
    expect(prod?.hosts).toEqual([{ local: true }, { ssh: { host: "10.0.0.2", user: "deploy" } }]);
    expect(prod?.services["web"]).toEqual({ listen: "127.0.0.1:8080", instances: 3 });
  });

  it("defaults to a rolling update that adds one instance before removing one", () => {
    const { config, diagnostics } = load("services:\n  api:\n    command: ./api\n");
    expect(diagnostics).toEqual([]);
    expect(config.services["api"]?.strategy).toEqual({ kind: "rolling", maxSurge: 1, maxUnavailable: 0 });
    expect(config.services["api"]?.instances).toBe(1);
  });

  it("reports each problem at its line and column", () => {
    const text = `services:
  web:
    command: node s.mjs
    strategy:
      rolling: { maxSurge: 0, maxUnavailable: 0 }
  api:
    command: ./api
    strategy:
      canary:
        steps:
          - analysis: { templates: [{ templateName: nope }] }
environments:
  prod:
    freeze:
      - deny: "not a cron"
        duration: 1h
    services:
      web: { listen: "localhost" }
      db: { listen: "127.0.0.1:5432" }
`;
    const { diagnostics } = load(text);
    const found = diagnostics.map((d) => `${d.position.line}:${d.position.column} ${d.message}`);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^5:\d+ maxSurge and maxUnavailable cannot both be 0/),
        expect.stringMatching(/^11:\d+ no analysis template "nope"/),
        expect.stringMatching(/^15:\d+ invalid cron expression "not a cron"/),
        expect.stringMatching(/^18:\d+ invalid address "localhost"/),
        expect.stringMatching(/^19:\d+ no service "db"/),
      ]),
    );
    expect(diagnostics).toHaveLength(5);
  });

  it("refuses unknown keys with a hint, and conditions that do not parse", () => {
    const { diagnostics } = load(`analysis:
  t:
    metrics:
      - name: m
        sucessCondition: "result > 1"
        failureCondition: "result >"
        provider: { job: { command: "true" } }
`);
    const messages = diagnostics.map((d) => `${d.position.line} ${d.message} ${d.hint ?? ""}`);
    expect(messages).toEqual(
      expect.arrayContaining([expect.stringMatching(/^5 unknown key "sucessCondition"/)]),
    );
    // The template is checked once its unknown key is dropped: the broken condition is found too.
    expect(messages.some((m) => m.includes("failureCondition") || m.includes("result >"))).toBe(true);
  });

  it("loads an environment on Kubernetes and says where services cannot run", () => {
    const { config, diagnostics } = load(`services:
  web:
    kubernetes: { image: "registry.example/web:{{version}}", resources: { requests: { cpu: 100m } } }
  worker:
    command: ./worker
  nothing:
    instances: 2
environments:
  prod:
    kubernetes:
      namespace: shop-prod
      progress-deadline: 2m
      gateway-api: { parentRefs: [{ name: public, namespace: gateways }] }
    services:
      web: {}
      worker: {}
  hosted:
    services:
      web: { listen: "127.0.0.1:8080" }
  both:
    hosts: [local]
    kubernetes: { namespace: both }
    services:
      web: { listen: "127.0.0.1:8081" }
`);
    expect(diagnostics.map((d) => `${d.position.line}:${d.position.column} ${d.message}`)).toEqual([
      "7:5 a service needs a command (to run on hosts) or kubernetes.image (to run on Kubernetes)",
      '16:15 service "worker" has no kubernetes.image to run here',
      '19:12 service "web" has no command to run on hosts',
      "21:12 an environment runs on hosts or on kubernetes, not both",
      "24:22 listen is for hosts: on Kubernetes the Services are web and web-preview",
    ]);
    const bad = load(`environments:\n  prod:\n    kubernetes: { namespace: Bad_Name }\n    services: {}\n`);
    expect(bad.diagnostics.map((d) => `${d.position.line}:${d.position.column} ${d.message}`)).toEqual([
      "3:30 environments.prod.kubernetes.namespace: a Kubernetes namespace name",
    ]);
    expect(config.services["web"]?.kubernetes).toEqual({
      image: "registry.example/web:{{version}}",
      port: 8080,
      resources: { requests: { cpu: "100m" } },
    });
    expect(config.environments["prod"]?.kubernetes).toEqual({
      namespace: "shop-prod",
      progressDeadlineSeconds: 120,
      gatewayApi: { parentRefs: [{ name: "public", namespace: "gateways" }] },
    });
  });

  it("parses durations as the schema spells them", () => {
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("2m5s")).toBe(125_000);
  });

  it("refuses service and environment names that could not be directory names", () => {
    const { diagnostics } = load(`services:
  ../etc:
    command: x
environments:
  "a/b":
    services: {}
`);
    expect(diagnostics.map((d) => `${d.position.line} ${d.message}`)).toEqual([
      expect.stringMatching(/^2 invalid name "\.\.\/etc"/),
      expect.stringMatching(/^5 invalid name "a\/b"/),
    ]);
  });
});
