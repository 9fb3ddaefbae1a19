import { Cron } from "croner";
import picomatch from "picomatch";
import type { z } from "zod";
import type { YamlPath, YamlSource } from "../config/yaml-source.js";
import type { Diagnostic } from "../errors/index.js";
import { keyStyle, validateAt } from "../reliability/format-validation.js";
import type { MetricSpec, ProviderSpec } from "./analysis/index.js";
import { validateAnalysisSpec } from "./analysis/index.js";
import { deliverySectionsSchema } from "./config-schema.js";
import type {
  AnalysisRefDocument,
  AnalysisTemplateDocument,
  EnvironmentDocument,
  ProbeDocument,
  ServiceDocument,
} from "./config-schema.js";
import type { Probe } from "./hosts/index.js";
import type {
  AnalysisRef,
  AnalysisTemplate,
  CanaryStep,
  DeliveryConfig,
  EnvironmentConfig,
  FreezeWindow,
  HostRef,
  ServiceConfig,
  Strategy,
} from "./model.js";

const STYLE = keyStyle({});
const BUILTIN_ARGS = ["service", "environment", "stable", "canary"];

/** Milliseconds of a duration such as `1h30m`, `30s` or `500ms` (the schema checked its form). */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const match of text.matchAll(/(\d+)(ms|s|m|h)/g))
    total += Number(match[1]) * (units[match[2] ?? ""] ?? 0);
  return total;
}

/**
 * Loads the `services:`, `analysis:` and `environments:` sections of slipway.yaml into the
 * delivery model, reporting every problem at its line and column: the shape through the schema,
 * then what the schema cannot see (a template that does not exist, a condition that does not
 * parse, a strategy with no way to make progress, a cron that is not one).
 */
export function loadDeliveryConfig(
  doc: { services?: unknown; analysis?: unknown; environments?: unknown },
  source: YamlSource,
): { config: DeliveryConfig; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const report = (path: YamlPath, message: string, hint?: string) =>
    diagnostics.push({ position: source.positionOf(path), message, ...(hint ? { hint } : {}) });
  const section = <T>(key: "services" | "analysis" | "environments", schema: z.ZodType<T>): T | undefined => {
    if (doc[key] === undefined) return undefined;
    const result = validateAt(schema, doc[key], source, [key], STYLE);
    diagnostics.push(...result.diagnostics);
    return result.data;
  };
  const services = section("services", deliverySectionsSchema.services) ?? {};
  const analysis = section("analysis", deliverySectionsSchema.analysis) ?? {};
  const environments = section("environments", deliverySectionsSchema.environments) ?? {};

  const config: DeliveryConfig = { services: {}, analysis: {}, environments: {} };
  for (const [name, template] of Object.entries(analysis)) {
    config.analysis[name] = analysisTemplate(name, template, ["analysis", name], report);
  }
  for (const [name, service] of Object.entries(services)) {
    config.services[name] = serviceConfig(name, service, ["services", name], config.analysis, report);
  }
  for (const [name, environment] of Object.entries(environments)) {
    config.environments[name] = environmentConfig(name, environment, ["environments", name], config, report);
  }
  return { config, diagnostics };
}

type Report = (path: YamlPath, message: string, hint?: string) => void;

function analysisTemplate(
  name: string,
  doc: AnalysisTemplateDocument,
  path: YamlPath,
  report: Report,
): AnalysisTemplate {
  const args = (doc.args ?? []).map((a) => ({
    name: a.name,
    ...(a.value === undefined ? {} : { value: a.value }),
  }));
  const metrics = doc.metrics.map((m, i) => metricSpec(m, [...path, "metrics", i], report));
  // Conditions and placeholders are checked with stand-in values for every argument there can be.
  const known = Object.fromEntries([...BUILTIN_ARGS, ...args.map((a) => a.name)].map((a) => [a, "0"]));
  for (const problem of validateAnalysisSpec({ metrics, args: known })) {
    report(path, `analysis template "${name}": ${problem}`);
  }
  return { name, metrics, args };
}

function metricSpec(
  doc: AnalysisTemplateDocument["metrics"][number],
  path: YamlPath,
  report: Report,
): MetricSpec {
  const providers = Object.entries(doc.provider).filter(([, v]) => v !== undefined);
  if (providers.length !== 1) {
    report(
      [...path, "provider"],
      "a metric needs exactly one provider",
      "one of prometheus, web, job, mannWhitney",
    );
  }
  const seconds = (s: number | undefined) => (s === undefined ? {} : { timeoutMs: s * 1000 });
  const p = doc.provider;
  let provider: ProviderSpec;
  if (p.prometheus)
    provider = {
      prometheus: {
        address: p.prometheus.address,
        query: p.prometheus.query,
        ...seconds(p.prometheus.timeoutSeconds),
      },
    };
  else if (p.web) {
    provider = {
      web: {
        url: p.web.url,
        ...(p.web.method ? { method: p.web.method } : {}),
        ...(p.web.headers ? { headers: Object.fromEntries(p.web.headers.map((h) => [h.key, h.value])) } : {}),
        ...(p.web.body === undefined ? {} : { body: p.web.body }),
        // Argo writes `{$.data.ok}`; the braces are its template syntax, not part of the path.
        ...(p.web.jsonPath === undefined ? {} : { jsonPath: p.web.jsonPath.replace(/^\{(.*)\}$/, "$1") }),
        ...seconds(p.web.timeoutSeconds),
      },
    };
  } else if (p.job) provider = { job: { command: p.job.command, ...seconds(p.job.timeoutSeconds) } };
  else if (p.mannWhitney) {
    const { alternative, alpha, minSamples, ...queries } = p.mannWhitney;
    provider = {
      mannWhitney: {
        ...queries,
        ...(alternative ? { alternative } : {}),
        ...(alpha === undefined ? {} : { alpha }),
        ...(minSamples === undefined ? {} : { minSamples }),
      },
    };
  } else provider = { job: { command: "false" } };
  return {
    name: doc.name,
    provider,
    ...(doc.interval === undefined ? {} : { intervalMs: parseDuration(doc.interval) }),
    ...(doc.count === undefined ? {} : { count: doc.count }),
    ...(doc.initialDelay === undefined ? {} : { initialDelayMs: parseDuration(doc.initialDelay) }),
    ...(doc.successCondition === undefined ? {} : { successCondition: doc.successCondition }),
    ...(doc.failureCondition === undefined ? {} : { failureCondition: doc.failureCondition }),
    ...(doc.failureLimit === undefined ? {} : { failureLimit: doc.failureLimit }),
    ...(doc.inconclusiveLimit === undefined ? {} : { inconclusiveLimit: doc.inconclusiveLimit }),
    ...(doc.consecutiveErrorLimit === undefined ? {} : { consecutiveErrorLimit: doc.consecutiveErrorLimit }),
  };
}

function serviceConfig(
  name: string,
  doc: ServiceDocument,
  path: YamlPath,
  templates: Record<string, AnalysisTemplate>,
  report: Report,
): ServiceConfig {
  const ref = (r: AnalysisRefDocument | undefined, at: YamlPath): AnalysisRef | undefined => {
    if (!r) return undefined;
    const names = r.templates.map((t) => t.templateName);
    names.forEach((t, i) => {
      if (!templates[t]) {
        report([...at, "templates", i, "templateName"], `no analysis template "${t}"`, known(templates));
      }
    });
    return { templates: names, args: Object.fromEntries((r.args ?? []).map((a) => [a.name, a.value])) };
  };
  const s = doc.strategy ?? {};
  const kinds = (["rolling", "blueGreen", "canary"] as const).filter((k) => s[k] !== undefined);
  if (kinds.length > 1)
    report([...path, "strategy"], `a service has one strategy, not ${kinds.join(" and ")}`);
  let strategy: Strategy;
  if (s.canary) {
    const steps: CanaryStep[] = s.canary.steps.map((step, i): CanaryStep => {
      const at = [...path, "strategy", "canary", "steps", i];
      if ("setWeight" in step) return { setWeight: step.setWeight };
      if ("pause" in step) {
        return {
          pause: step.pause.duration === undefined ? {} : { durationMs: parseDuration(step.pause.duration) },
        };
      }
      return { analysis: ref(step.analysis, [...at, "analysis"]) ?? { templates: [], args: {} } };
    });
    strategy = {
      kind: "canary",
      steps,
      ...(s.canary.canaryInstances ? { canaryInstances: s.canary.canaryInstances } : {}),
    };
  } else if (s.blueGreen) {
    const bg = s.blueGreen;
    const pre = ref(bg.prePromotionAnalysis, [...path, "strategy", "blueGreen", "prePromotionAnalysis"]);
    const post = ref(bg.postPromotionAnalysis, [...path, "strategy", "blueGreen", "postPromotionAnalysis"]);
    strategy = {
      kind: "blueGreen",
      autoPromotion: bg.autoPromotionEnabled ?? true,
      scaleDownDelayMs: (bg.scaleDownDelaySeconds ?? 30) * 1000,
      ...(pre ? { prePromotionAnalysis: pre } : {}),
      ...(post ? { postPromotionAnalysis: post } : {}),
    };
  } else {
    const maxSurge = s.rolling?.maxSurge ?? 1;
    const maxUnavailable = s.rolling?.maxUnavailable ?? 0;
    if (maxSurge === 0 && maxUnavailable === 0) {
      report(
        [...path, "strategy", "rolling"],
        "maxSurge and maxUnavailable cannot both be 0",
        "a rolling update must add or remove an instance to progress",
      );
    }
    strategy = { kind: "rolling", maxSurge, maxUnavailable };
  }
  if (doc.command === undefined && doc.kubernetes === undefined) {
    report(
      path,
      "a service needs a command (to run on hosts) or kubernetes.image (to run on Kubernetes)",
      "e.g. command: node server.js, or kubernetes: { image: registry.example/web:{{version}} }",
    );
  }
  const k8s = doc.kubernetes;
  return {
    name,
    ...(doc.command === undefined ? {} : { command: doc.command }),
    ...(k8s
      ? {
          kubernetes: {
            image: k8s.image,
            port: k8s.port ?? 8080,
            ...(k8s.resources
              ? {
                  resources: {
                    ...(k8s.resources.requests ? { requests: k8s.resources.requests } : {}),
                    ...(k8s.resources.limits ? { limits: k8s.resources.limits } : {}),
                  },
                }
              : {}),
          },
        }
      : {}),
    env: doc.env ?? {},
    instances: doc.instances ?? 1,
    ...(doc.readiness ? { readiness: probe(doc.readiness, [...path, "readiness"], report) } : {}),
    ...(doc.liveness ? { liveness: probe(doc.liveness, [...path, "liveness"], report) } : {}),
    strategy,
  };
}

function probe(doc: ProbeDocument, path: YamlPath, report: Report): Probe {
  if ((doc.http === undefined) === (doc.command === undefined)) {
    report(path, "a probe is either http or command", "e.g. http: { path: /healthz }");
  }
  const timing = {
    ...(doc.periodSeconds === undefined ? {} : { periodMs: doc.periodSeconds * 1000 }),
    ...(doc.timeoutSeconds === undefined ? {} : { timeoutMs: doc.timeoutSeconds * 1000 }),
    ...(doc.failureThreshold === undefined ? {} : { failureThreshold: doc.failureThreshold }),
    ...(doc.successThreshold === undefined ? {} : { successThreshold: doc.successThreshold }),
    ...(doc.initialDelaySeconds === undefined ? {} : { initialDelayMs: doc.initialDelaySeconds * 1000 }),
  };
  if (doc.command !== undefined) return { command: doc.command, ...timing };
  const http = doc.http ?? { path: "/" };
  return {
    http: {
      path: http.path,
      ...(http.port === undefined ? {} : { port: http.port }),
      ...(http.expectStatus === undefined ? {} : { expectStatus: http.expectStatus }),
    },
    ...timing,
  };
}

function environmentConfig(
  name: string,
  doc: EnvironmentDocument,
  path: YamlPath,
  config: DeliveryConfig,
  report: Report,
): EnvironmentConfig {
  const freeze: FreezeWindow[] = (doc.freeze ?? []).flatMap((w, i): FreezeWindow[] => {
    const at = [...path, "freeze", i];
    if ((w.allow === undefined) === (w.deny === undefined)) {
      report(
        at,
        "a freeze window is either allow or deny",
        'deny: "0 18 * * 5" with duration: 63h freezes weekends',
      );
      return [];
    }
    const kind = w.allow === undefined ? "deny" : "allow";
    const cron = w.allow ?? w.deny ?? "";
    try {
      new Cron(cron, { paused: true, ...(w.timezone ? { timezone: w.timezone } : {}) });
    } catch (error) {
      report(
        [...at, kind],
        `invalid cron expression "${cron}": ${(error as Error).message}`,
        "five fields: minute hour day-of-month month day-of-week",
      );
      return [];
    }
    return [
      {
        kind,
        cron,
        durationMs: parseDuration(w.duration),
        ...(w.timezone ? { timezone: w.timezone } : {}),
        ...(w.reason ? { reason: w.reason } : {}),
      },
    ];
  });
  for (const [i, branch] of (doc.branches ?? []).entries()) {
    try {
      picomatch(branch);
    } catch (error) {
      report([...path, "branches", i], `invalid branch pattern "${branch}": ${(error as Error).message}`);
    }
  }
  if (doc.kubernetes && doc.hosts) {
    report([...path, "hosts"], "an environment runs on hosts or on kubernetes, not both");
  }
  for (const service of Object.keys(doc.services)) {
    const at = [...path, "services", service];
    const declared = config.services[service];
    if (!declared) report(at, `no service "${service}"`, known(config.services, "services"));
    const placement = doc.services[service];
    if (doc.kubernetes) {
      if (declared && !declared.kubernetes) {
        report(
          at,
          `service "${service}" has no kubernetes.image to run here`,
          `add kubernetes: { image: ... } to services.${service}`,
        );
      }
      for (const key of ["listen", "preview-listen"] as const) {
        if (placement?.[key] !== undefined) {
          report(
            [...at, key],
            `${key} is for hosts: on Kubernetes the Services are ${service} and ${service}-preview`,
          );
        }
      }
    } else {
      if (declared && declared.command === undefined) {
        report(
          at,
          `service "${service}" has no command to run on hosts`,
          `add command: ... to services.${service}`,
        );
      }
      if (placement?.listen === undefined)
        report(at, "listen is required on hosts", "host:port, e.g. 127.0.0.1:8080");
    }
    for (const key of ["listen", "preview-listen"] as const) {
      const address = doc.services[service]?.[key];
      if (address !== undefined && parseListen(address) === undefined) {
        report(
          [...path, "services", service, key],
          `invalid address "${address}"`,
          "host:port, e.g. 127.0.0.1:8080",
        );
      }
    }
  }
  const hosts: HostRef[] = (doc.hosts ?? ["local"]).map((h) =>
    h === "local"
      ? { local: true }
      : {
          ssh: {
            host: h.ssh.host,
            ...(h.ssh.user ? { user: h.ssh.user } : {}),
            ...(h.ssh.port ? { port: h.ssh.port } : {}),
            ...(h.ssh["identity-file"] ? { identityFile: h.ssh["identity-file"] } : {}),
            ...(h.ssh.options ? { options: h.ssh.options } : {}),
          },
        },
  );
  const gate = doc["slo-gate"];
  const k8s = doc.kubernetes;
  const approval = doc.approval === true ? { role: "operator" as const } : doc.approval || undefined;
  return {
    name,
    branches: doc.branches ?? [],
    ...(approval ? { approval } : {}),
    freeze,
    ...(gate
      ? {
          sloGate: {
            prometheus: gate.prometheus,
            ...(gate.slos ? { slos: gate.slos } : {}),
            ...(gate["min-budget-remaining"] === undefined
              ? {}
              : { minBudgetRemaining: gate["min-budget-remaining"] }),
          },
        }
      : {}),
    hosts,
    ...(k8s
      ? {
          kubernetes: {
            namespace: k8s.namespace,
            ...(k8s.kubeconfig ? { kubeconfig: k8s.kubeconfig } : {}),
            ...(k8s.context ? { context: k8s.context } : {}),
            progressDeadlineSeconds: Math.ceil(parseDuration(k8s["progress-deadline"] ?? "10m") / 1000),
            ...(k8s["self-heal"] ? { selfHealMs: parseDuration(k8s["self-heal"]) } : {}),
            ...(k8s["gateway-api"]
              ? {
                  gatewayApi: {
                    parentRefs: k8s["gateway-api"].parentRefs.map((r) => ({
                      name: r.name,
                      ...(r.namespace ? { namespace: r.namespace } : {}),
                      ...(r.sectionName ? { sectionName: r.sectionName } : {}),
                    })),
                    ...(k8s["gateway-api"].hostnames ? { hostnames: k8s["gateway-api"].hostnames } : {}),
                  },
                }
              : {}),
          },
        }
      : {}),
    services: Object.fromEntries(
      Object.entries(doc.services).map(([service, s]) => [
        service,
        {
          ...(s.listen ? { listen: s.listen } : {}),
          ...(s["preview-listen"] ? { previewListen: s["preview-listen"] } : {}),
          ...(s.instances ? { instances: s.instances } : {}),
        },
      ]),
    ),
  };
}

/** `host:port` → its parts; undefined when it is not one. */
export function parseListen(address: string): { host: string; port: number } | undefined {
  const match = /^(.+):(\d{1,5})$/.exec(address);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port > 65535) return undefined;
  return { host: (match[1] ?? "").replace(/^\[(.*)\]$/, "$1"), port };
}

function known(things: Record<string, unknown>, section = "analysis"): string {
  const names = Object.keys(things);
  return names.length > 0 ? `known: ${names.join(", ")}` : `declare it under ${section}: in slipway.yaml`;
}
