import type { KubernetesObject } from "@kubernetes/client-node";
import { EnvironmentError, UsageError } from "../errors/index.js";
import { kubernetesError } from "./client.js";
import { objectKey } from "./identity.js";
import type { ApiClient, ResourceInfo } from "./rest.js";

/** Names the set of objects Slipway manages together (as an Argo CD Application does). */
export interface SyncTarget {
  /** A DNS label (lowercase letters, digits, dashes; at most 63): it is a label value and part of a name. */
  inventory: string;
  /** Where the inventory ConfigMap lives, and the namespace of namespaced objects that name none. */
  inventoryNamespace: string;
}

/** One object of an inventory: enough to find it again (and the version to read it with). */
export interface InventoryEntry {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export const CONFIGMAPS: ResourceInfo = { name: "configmaps", namespaced: true };

export function inventoryConfigMapName(inventory: string): string {
  return `slipway-inventory-${inventory}`;
}

export function checkInventoryName(inventory: string): void {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(inventory) || inventory.length > 63) {
    throw new UsageError(`the inventory name "${inventory}" is not a DNS label`, {
      hint: "use lowercase letters, digits and dashes, at most 63 characters, e.g. shop-frontend",
    });
  }
}

export function entryOf(object: KubernetesObject): InventoryEntry {
  const namespace = object.metadata?.namespace;
  return {
    apiVersion: object.apiVersion ?? "v1",
    kind: object.kind ?? "",
    ...(namespace ? { namespace } : {}),
    name: object.metadata?.name ?? "",
  };
}

export function entryKey(entry: InventoryEntry): string {
  return objectKey({
    apiVersion: entry.apiVersion,
    kind: entry.kind,
    metadata: { name: entry.name, ...(entry.namespace ? { namespace: entry.namespace } : {}) },
  });
}

/** What the last apply recorded; empty when there was none. */
export async function readInventory(api: ApiClient, target: SyncTarget): Promise<InventoryEntry[]> {
  const name = inventoryConfigMapName(target.inventory);
  let configMap: (KubernetesObject & { data?: Record<string, string> }) | undefined;
  try {
    configMap = await api.get("v1", CONFIGMAPS, target.inventoryNamespace, name);
  } catch (error) {
    throw kubernetesError(`cannot read the inventory ConfigMap ${target.inventoryNamespace}/${name}`, error);
  }
  const text = configMap?.data?.["objects"];
  if (text === undefined) return [];
  try {
    const entries = JSON.parse(text) as InventoryEntry[];
    if (
      !Array.isArray(entries) ||
      !entries.every((e) => typeof e.kind === "string" && typeof e.name === "string")
    )
      throw new Error("not a list of objects");
    return entries;
  } catch (error) {
    throw new EnvironmentError(
      `the inventory ConfigMap ${target.inventoryNamespace}/${name} does not hold a Slipway inventory: ${(error as Error).message}`,
      {
        hint: "it was changed by hand; delete it (a later apply --prune then prunes nothing) or restore it",
        cause: error,
      },
    );
  }
}

/** The inventory ConfigMap recording `entries` (sorted, one per line, so that it diffs well). */
export function inventoryConfigMap(target: SyncTarget, entries: InventoryEntry[]): KubernetesObject {
  const unique = new Map(entries.map((e) => [entryKey(e), e]));
  const sorted = [...unique.keys()].sort().map((k) => unique.get(k));
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: inventoryConfigMapName(target.inventory),
      namespace: target.inventoryNamespace,
      labels: { "app.kubernetes.io/managed-by": "slipway" },
    },
    data: { objects: `[\n${sorted.map((e) => JSON.stringify(e)).join(",\n")}\n]\n` },
  } as KubernetesObject;
}
