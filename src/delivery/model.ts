import type { AnalysisSpec, MetricSpec } from "./analysis/index.js";
import type { Probe, SshHost } from "./hosts/index.js";

/**
 * Progressive delivery's vocabulary, after Argo Rollouts where users already know it: a service
 * runs a *release* (an immutable version of its files plus its configuration) in an
 * *environment*; a *deployment* moves an environment from one release to another with a
 * *strategy*, and records every step.
 */

export interface RollingStrategy {
  kind: "rolling";
  /** Instances above the desired count while replacing; Argo's maxSurge as a count. */
  maxSurge: number;
  /** Instances below the desired count while replacing; Argo's maxUnavailable as a count. */
  maxUnavailable: number;
}

export interface BlueGreenStrategy {
  kind: "blueGreen";
  /** Switch as soon as the preview is ready (and its analysis passed); otherwise wait for promote. */
  autoPromotion: boolean;
  /** How long the old release keeps running after the switch, for a fast abort. */
  scaleDownDelayMs: number;
  prePromotionAnalysis?: AnalysisRef;
  postPromotionAnalysis?: AnalysisRef;
}

export type CanaryStep =
  | { setWeight: number }
  /** No duration: wait until a person promotes. */
  | { pause: { durationMs?: number } }
  | { analysis: AnalysisRef };

export interface CanaryStrategy {
  kind: "canary";
  steps: CanaryStep[];
  /** Canary instances; default: the service's instance count. */
  canaryInstances?: number;
}

export type Strategy = RollingStrategy | BlueGreenStrategy | CanaryStrategy;

/** Analysis templates by name, with arguments for their `{{args.X}}` placeholders. */
export interface AnalysisRef {
  templates: string[];
  args: Record<string, string>;
}

export interface AnalysisTemplate {
  name: string;
  metrics: MetricSpec[];
  /** Declared argument names; a value given nowhere is an error before the deployment starts. */
  args: { name: string; value?: string }[];
}

/** How a service runs and ships: what the release's files are started with, and how it rolls out. */
export interface ServiceConfig {
  name: string;
  /** On hosts: run with bash in the release's directory; PORT is set for each instance. */
  command?: string;
  /** On Kubernetes: the container. */
  kubernetes?: KubernetesServiceConfig;
  env: Record<string, string>;
  instances: number;
  readiness?: Probe;
  liveness?: Probe;
  strategy: Strategy;
}

export interface KubernetesServiceConfig {
  /** `{{version}}` becomes the release's version. */
  image: string;
  port: number;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

/** An environment on a Kubernetes cluster: each release a Deployment in `namespace`. */
export interface KubernetesEnvironment {
  namespace: string;
  kubeconfig?: string;
  context?: string;
  progressDeadlineSeconds: number;
  /** How often the server heals drift from the releases it runs; none: only on request. */
  selfHealMs?: number;
  /** Canary weights through a Gateway API HTTPRoute instead of replica ratios. */
  gatewayApi?: {
    parentRefs: { name: string; namespace?: string; sectionName?: string }[];
    hostnames?: string[];
  };
}

export type HostRef = { local: true } | { ssh: SshHost };

export interface FreezeWindow {
  kind: "allow" | "deny";
  /** Each firing opens a window of `durationMs`. */
  cron: string;
  durationMs: number;
  timezone?: string;
  reason?: string;
}

export interface SloGateConfig {
  prometheus: string;
  slos?: string[];
  minBudgetRemaining?: number;
}

export interface EnvironmentServiceConfig {
  /** Where the weighted proxy listens, `host:port` (hosts only). */
  listen?: string;
  /** Where a blue-green preview is reachable, `host:port`. */
  previewListen?: string;
  instances?: number;
}

export interface EnvironmentConfig {
  name: string;
  /** Branch globs a deployment's commit must come from; empty: any. */
  branches: string[];
  /** A person with this role must approve each deployment before it starts. */
  approval?: { role: "developer" | "operator" | "admin" };
  freeze: FreezeWindow[];
  sloGate?: SloGateConfig;
  hosts: HostRef[];
  /** Instead of hosts: a namespace of a Kubernetes cluster. */
  kubernetes?: KubernetesEnvironment;
  services: Record<string, EnvironmentServiceConfig>;
}

/** What `slipway.yaml`'s `services:`, `analysis:` and `environments:` declare. */
export interface DeliveryConfig {
  services: Record<string, ServiceConfig>;
  analysis: Record<string, AnalysisTemplate>;
  environments: Record<string, EnvironmentConfig>;
}

export interface Release {
  service: string;
  version: string;
  /** The files the release runs from; immutable once created. */
  dir: string;
  /** sha256 of the release's files and configuration. */
  checksum: string;
  commit?: string;
  /** When the commit was made: DORA's lead time starts here. */
  committedAt?: string;
  config: ServiceConfig;
  /** The analysis templates the configuration refers to, as they were when the release was made. */
  analysis: Record<string, AnalysisTemplate>;
}

export type DeploymentOutcome = "succeeded" | "aborted" | "failed" | "blocked";
export type DeploymentStatus = "pending" | "progressing" | "paused" | DeploymentOutcome;

export type AnalysisRunSpec = AnalysisSpec;
