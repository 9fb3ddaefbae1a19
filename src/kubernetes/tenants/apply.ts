import type { KubernetesObject, V2HorizontalPodAutoscaler } from "@kubernetes/client-node";
import { kubernetesError } from "../client.js";
import type { Cluster } from "../client.js";
import { applyObjects, syncStatus } from "../sync.js";
import type { ApplyResult, SyncStatus, SyncTarget } from "../sync.js";
import { scalingObjects, tenantObjects } from "./generate.js";
import type { Tenant, TenantsConfig } from "./model.js";

/**
 * All tenants are one inventory, so a tenant dropped from the file is found and pruned. It is kept
 * in kube-system: it cannot live in a tenant's namespace (pruning that tenant would delete the
 * record of what to prune), and a namespace of Slipway's own would have to exist before the
 * first apply, created by whom?
 */
export const TENANTS_TARGET: SyncTarget = { inventory: "tenants", inventoryNamespace: "kube-system" };

export interface ApplyTenantsOptions {
  /** Delete what the previous apply made for tenants, members, rules and Deployments that are gone. Default false. */
  prune?: boolean;
  /** Ask the API server what would change, changing nothing. Default false. */
  dryRun?: boolean;
  /**
   * Take back fields someone changed by hand (`kubectl edit` of the quota, a subject added to a
   * RoleBinding). Default true: the file is the only authority over what it declares, and
   * `tenants diff` shows such changes before an apply reverts them.
   */
  force?: boolean;
}

/** Server-side applies every tenant's objects (see generate.ts) under Slipway's field manager. */
export async function applyTenants(
  cluster: Cluster,
  config: TenantsConfig,
  options: ApplyTenantsOptions = {},
): Promise<ApplyResult[]> {
  return applyObjects(cluster, await desiredObjects(cluster, config), {
    ...TENANTS_TARGET,
    force: options.force ?? true,
    prune: options.prune ?? false,
    dryRun: options.dryRun ?? false,
  });
}

/**
 * What differs between the file and the cluster, object by object and field by field: changes
 * made by hand, objects missing (a Deployment that has no autoscaler yet among them), and objects
 * of tenants or rules no longer in the file.
 */
export async function tenantsStatus(cluster: Cluster, config: TenantsConfig): Promise<SyncStatus> {
  return syncStatus(cluster, await desiredObjects(cluster, config), TENANTS_TARGET);
}

/**
 * The objects of the file, plus the HorizontalPodAutoscalers `scaling:` gives the Deployments
 * running now. Those are decided at each apply: a Deployment made since shows as missing its
 * autoscaler in `tenants diff` until the next apply, and one deleted leaves an autoscaler that
 * `--prune` removes.
 */
export async function desiredObjects(cluster: Cluster, config: TenantsConfig): Promise<KubernetesObject[]> {
  const live = await Promise.all(
    config.tenants.map((t) => (t.scaling ? liveWorkloads(cluster, t) : undefined)),
  );
  return config.tenants.flatMap((tenant, i) => {
    const own = tenantObjects({ file: config.file, tenants: [tenant] });
    const workloads = live[i];
    return workloads ? [...own, ...scalingObjects(tenant, workloads)] : own;
  });
}

async function liveWorkloads(
  cluster: Cluster,
  tenant: Tenant,
): Promise<{ deployments: KubernetesObject[]; autoscalers: V2HorizontalPodAutoscaler[] }> {
  const list = async <T extends KubernetesObject>(apiVersion: string, kind: string): Promise<T[]> => {
    try {
      // A namespace that does not exist yet lists empty: a new tenant has no Deployments.
      return (await cluster.objects.list<T>(apiVersion, kind, tenant.namespace)).items;
    } catch (error) {
      throw kubernetesError(`cannot list the ${kind}s of the namespace ${tenant.namespace}`, error);
    }
  };
  const [deployments, autoscalers] = await Promise.all([
    list("apps/v1", "Deployment"),
    list<V2HorizontalPodAutoscaler>("autoscaling/v2", "HorizontalPodAutoscaler"),
  ]);
  return { deployments, autoscalers };
}
