import { z } from "zod";

/**
 * The delivery sections of slipway.yaml. Strategy and analysis keys are Argo Rollouts' own
 * (`setWeight`, `maxSurge`, `successCondition`...), so a rollout or an AnalysisTemplate users
 * already have reads the same here; keys that are Slipway's alone are written like the rest of
 * slipway.yaml (`preview-listen`, `slo-gate`).
 */

const duration = z
  .string()
  .regex(/^(\d+(ms|s|m|h))+$/, "a duration such as 30s, 5m, 1h30m or 500ms")
  .meta({ description: "A duration: 500ms, 30s, 5m, 1h30m." });

const probe = z
  .strictObject({
    http: z
      .strictObject({
        path: z.string().startsWith("/"),
        port: z.number().int().min(1).max(65535).optional(),
        expectStatus: z.number().int().min(100).max(599).optional(),
      })
      .optional(),
    command: z.string().min(1).optional(),
    periodSeconds: z.number().positive().optional(),
    timeoutSeconds: z.number().positive().optional(),
    failureThreshold: z.number().int().min(1).optional(),
    successThreshold: z.number().int().min(1).optional(),
    initialDelaySeconds: z.number().min(0).optional(),
  })
  .meta({ description: "An HTTP GET (`http: { path }`) or a command, run from this machine." });

const analysisRef = z.strictObject({
  templates: z.array(z.strictObject({ templateName: z.string() })).min(1),
  args: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
});

const canaryStep = z.union([
  z.strictObject({ setWeight: z.number().int().min(0).max(100) }),
  z.strictObject({
    pause: z
      .strictObject({ duration: duration.optional() })
      .meta({ description: "Without a duration, waits until promoted." }),
  }),
  z.strictObject({ analysis: analysisRef }),
]);

const strategy = z
  .strictObject({
    rolling: z
      .strictObject({
        maxSurge: z.number().int().min(0).optional().meta({ description: "Default 1." }),
        maxUnavailable: z.number().int().min(0).optional().meta({ description: "Default 0." }),
      })
      .optional(),
    blueGreen: z
      .strictObject({
        autoPromotionEnabled: z.boolean().optional().meta({ description: "Default true." }),
        scaleDownDelaySeconds: z.number().int().min(0).optional().meta({ description: "Default 30." }),
        prePromotionAnalysis: analysisRef.optional(),
        postPromotionAnalysis: analysisRef.optional(),
      })
      .optional(),
    canary: z
      .strictObject({
        steps: z.array(canaryStep),
        canaryInstances: z.number().int().min(1).optional(),
      })
      .optional(),
  })
  .meta({ description: "Exactly one of rolling, blueGreen, canary. Default: rolling." });

const kubernetesService = z
  .strictObject({
    image: z
      .string()
      .min(1)
      .meta({ description: "The container image; `{{version}}` becomes the release's version." }),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .meta({ description: "The container's port. Default 8080." }),
    resources: z
      .strictObject({
        requests: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).optional(),
        limits: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).optional(),
      })
      .optional(),
  })
  .meta({ description: "How the service runs in environments on Kubernetes." });

export const serviceSchema = z.strictObject({
  command: z
    .string()
    .min(1)
    .optional()
    .meta({ description: "Run with bash in the release's directory on hosts; PORT is set." }),
  kubernetes: kubernetesService.optional(),
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
  instances: z.number().int().min(1).optional().meta({ description: "Default 1." }),
  readiness: probe.optional(),
  liveness: probe.optional(),
  strategy: strategy.optional(),
});

const provider = z.strictObject({
  prometheus: z
    .strictObject({ address: z.string(), query: z.string(), timeoutSeconds: z.number().optional() })
    .optional(),
  web: z
    .strictObject({
      url: z.string(),
      method: z.enum(["GET", "POST"]).optional(),
      headers: z.array(z.strictObject({ key: z.string(), value: z.string() })).optional(),
      body: z.string().optional(),
      jsonPath: z.string().optional(),
      timeoutSeconds: z.number().positive().optional(),
    })
    .optional(),
  job: z
    .strictObject({
      command: z.string().min(1),
      timeoutSeconds: z.number().positive().optional(),
    })
    .optional()
    .meta({ description: "A command run with bash: exit 0 succeeds, anything else fails." }),
  mannWhitney: z
    .strictObject({
      address: z.string(),
      baselineQuery: z.string(),
      canaryQuery: z.string(),
      alternative: z.enum(["greater", "less"]).optional(),
      alpha: z.number().gt(0).lt(1).optional(),
      minSamples: z.number().int().min(2).optional(),
    })
    .optional()
    .meta({ description: "Judges the canary's samples against the baseline's with a Mann-Whitney U test." }),
});

const metric = z.strictObject({
  name: z.string().min(1),
  provider,
  interval: duration.optional(),
  count: z.number().int().min(1).optional(),
  initialDelay: duration.optional(),
  successCondition: z.string().optional(),
  failureCondition: z.string().optional(),
  failureLimit: z.number().int().min(0).optional(),
  inconclusiveLimit: z.number().int().min(0).optional(),
  consecutiveErrorLimit: z.number().int().min(0).optional(),
});

export const analysisTemplateSchema = z.strictObject({
  args: z.array(z.strictObject({ name: z.string(), value: z.string().optional() })).optional(),
  metrics: z.array(metric).min(1),
});

const sshHost = z.strictObject({
  host: z.string().min(1),
  user: z.string().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  "identity-file": z.string().optional(),
  options: z.array(z.string()).optional().meta({ description: "Extra `ssh -o` options." }),
});

const freezeWindow = z.strictObject({
  allow: z
    .string()
    .optional()
    .meta({ description: "A cron expression; each firing opens an allowed window." }),
  deny: z.string().optional().meta({ description: "A cron expression; each firing opens a frozen window." }),
  duration,
  timezone: z.string().optional(),
  reason: z.string().optional(),
});

export const environmentSchema = z.strictObject({
  branches: z.array(z.string()).optional().meta({ description: "Branch globs allowed to deploy here." }),
  approval: z
    .union([z.boolean(), z.strictObject({ role: z.enum(["developer", "operator", "admin"]) })])
    .optional()
    .meta({ description: "Each deployment waits for a person's approval (default role: operator)." }),
  freeze: z.array(freezeWindow).optional(),
  "slo-gate": z
    .strictObject({
      prometheus: z.string(),
      slos: z.array(z.string()).optional(),
      "min-budget-remaining": z.number().min(0).max(1).optional(),
    })
    .optional(),
  hosts: z
    .array(z.union([z.literal("local"), z.strictObject({ ssh: sshHost })]))
    .optional()
    .meta({ description: "Where instances run, spread in order. Default: this machine." }),
  kubernetes: z
    .strictObject({
      namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "a Kubernetes namespace name"),
      kubeconfig: z.string().optional().meta({ description: "Default: $KUBECONFIG or ~/.kube/config." }),
      context: z.string().optional(),
      "progress-deadline": duration.optional().meta({ description: "Default 10m." }),
      "self-heal": duration.optional().meta({
        description:
          "How often the server takes back what drifted from the releases (as `slipway env heal`).",
      }),
      "gateway-api": z
        .strictObject({
          parentRefs: z
            .array(
              z.strictObject({
                name: z.string().min(1),
                namespace: z.string().optional(),
                sectionName: z.string().optional(),
              }),
            )
            .min(1),
          hostnames: z.array(z.string()).optional(),
        })
        .optional()
        .meta({
          description: "Split canary traffic exactly by weight with an HTTPRoute attached to these Gateways.",
        }),
    })
    .optional()
    .meta({ description: "Run the services as Deployments in this namespace instead of on hosts." }),
  services: z.record(
    z.string(),
    z.strictObject({
      listen: z
        .string()
        .optional()
        .meta({ description: "host:port of the service's proxy in this environment (hosts only)." }),
      "preview-listen": z.string().optional(),
      instances: z.number().int().min(1).optional(),
    }),
  ),
});

// Service and environment names become directory names on the server and labels in metrics.
const name = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/,
    "letters, digits, '_', '.' and '-', starting with a letter or digit",
  );

export const deliverySectionsSchema = {
  services: z.record(name, serviceSchema),
  analysis: z.record(z.string(), analysisTemplateSchema),
  environments: z.record(name, environmentSchema),
};

export type ServiceDocument = z.infer<typeof serviceSchema>;
export type AnalysisTemplateDocument = z.infer<typeof analysisTemplateSchema>;
export type EnvironmentDocument = z.infer<typeof environmentSchema>;
export type ProbeDocument = z.infer<typeof probe>;
export type AnalysisRefDocument = z.infer<typeof analysisRef>;
