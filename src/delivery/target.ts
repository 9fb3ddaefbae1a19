import type { Release } from "./model.js";

/**
 * Where a service's releases run and how traffic reaches them. Strategies (rolling, blue-green,
 * canary) are written once over these few operations; the hosts target implements them with
 * supervised processes behind a weighted proxy, the Kubernetes target with Deployments and a
 * Service or HTTPRoute. The contract tests in test/delivery/target-contract.ts hold every
 * target to the same behaviour.
 */
export interface DeployTarget {
  readonly kind: string;
  /** What runs now and where traffic goes. */
  status(): Promise<TargetStatus>;
  /**
   * Runs exactly `instances` ready instances of `release` (0 stops them all). Resolves once that
   * many are ready; rejects when an instance cannot become ready, leaving the ones that are.
   * Instances being removed stop receiving traffic first and finish what they serve.
   */
  scale(release: Release, instances: number, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Routes traffic: `canaryWeight` percent to the canary's ready instances, the rest to the
   * stable's; the preview (blue-green) gets only the preview address. Resolves once requests
   * already sent to releases that lost traffic have finished.
   */
  setTraffic(split: TrafficSplit): Promise<void>;
  /** Stops everything of the service (used when an environment is torn down and by tests). */
  close(): Promise<void>;
  /**
   * The server stops: lets go of what this process holds. Hosts instances are the server's
   * children and stop with it (the next server starts them again); a cluster keeps running the
   * release without the server.
   */
  shutdown(): Promise<void>;
  /** The server starts again: `release` serves alone, as it did before shutdown(). */
  resume(release: Release, instances: number): Promise<void>;
}

export interface TrafficSplit {
  stable: string;
  canary?: string;
  /** 0..100; default 0. */
  canaryWeight?: number;
  preview?: string;
}

export interface ReleaseStatus {
  version: string;
  desired: number;
  ready: number;
}

export interface TargetStatus {
  releases: ReleaseStatus[];
  traffic: TrafficSplit | undefined;
  /** Where users reach the service, and the blue-green preview. */
  url?: string;
  previewUrl?: string;
}
