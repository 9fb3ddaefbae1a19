import type { V1PodTemplateSpec, V1Probe } from "@kubernetes/client-node";
import type { Probe } from "../delivery/hosts/index.js";
import type { KubernetesEnvironment, Release } from "../delivery/model.js";
import { UsageError } from "../errors/index.js";
import { connect } from "./client.js";
import { KubernetesTarget } from "./target.js";

/** The target of one service in an environment on Kubernetes, from slipway.yaml. */
export function kubernetesTarget(environment: KubernetesEnvironment, service: string): KubernetesTarget {
  return new KubernetesTarget({
    cluster: connect({ kubeconfig: environment.kubeconfig, context: environment.context }),
    namespace: environment.namespace,
    service,
    progressDeadlineSeconds: environment.progressDeadlineSeconds,
    ...(environment.gatewayApi ? { gatewayApi: environment.gatewayApi } : {}),
    podTemplate,
  });
}

/**
 * A release's Pods: one container named after the service, its image with `{{version}}` filled
 * in, the service's environment plus SLIPWAY_RELEASE and SLIPWAY_SERVICE, the port named `http`,
 * and the service's probes as the kubelet's.
 */
export function podTemplate(release: Release): V1PodTemplateSpec {
  const k8s = release.config.kubernetes;
  if (!k8s) {
    throw new UsageError(`service ${release.service} has no kubernetes.image`, {
      hint: `add kubernetes: { image: ... } to services.${release.service} in slipway.yaml`,
    });
  }
  const env = { ...release.config.env, SLIPWAY_RELEASE: release.version, SLIPWAY_SERVICE: release.service };
  const readiness = release.config.readiness && probe(release.config.readiness, k8s.port);
  const liveness = release.config.liveness && probe(release.config.liveness, k8s.port);
  return {
    spec: {
      containers: [
        {
          name: release.service,
          image: k8s.image.replaceAll("{{version}}", release.version),
          ports: [{ name: "http", containerPort: k8s.port }],
          env: Object.entries(env).map(([name, value]) => ({ name, value })),
          ...(k8s.resources ? { resources: k8s.resources } : {}),
          ...(readiness ? { readinessProbe: readiness } : {}),
          ...(liveness ? { livenessProbe: liveness } : {}),
        },
      ],
    },
  };
}

function probe(p: Probe, port: number): V1Probe {
  const seconds = (ms: number | undefined) =>
    ms === undefined ? undefined : Math.max(1, Math.round(ms / 1000));
  const timing = {
    periodSeconds: seconds(p.periodMs),
    timeoutSeconds: seconds(p.timeoutMs),
    failureThreshold: p.failureThreshold,
    successThreshold: p.successThreshold,
    initialDelaySeconds: p.initialDelayMs === undefined ? undefined : Math.round(p.initialDelayMs / 1000),
  };
  const handler =
    "http" in p
      ? { httpGet: { path: p.http.path, port: p.http.port ?? port } }
      : { exec: { command: ["sh", "-c", p.command] } };
  return Object.fromEntries(Object.entries({ ...handler, ...timing }).filter(([, v]) => v !== undefined));
}
