import { setTimeout as sleep } from "node:timers/promises";
import { SlipwayError, UsageError } from "../../errors/index.js";
import { connect } from "../../kubernetes/client.js";
import type { Cluster } from "../../kubernetes/client.js";
import { formatApplyResults, formatDiff, formatSyncStatus } from "../../kubernetes/format.js";
import { loadManifests } from "../../kubernetes/manifests.js";
import { applyObjects, selfHeal, syncStatus } from "../../kubernetes/sync.js";
import type { ApplyResult, SyncTarget } from "../../kubernetes/sync.js";
import { EXIT } from "../exit-codes.js";

/**
 * `slipway k8s apply|diff|status PATH --inventory NAME`: manifests as desired state. The
 * inventory is required, not defaulted from the path's name: two repositories with a `k8s/`
 * directory would otherwise share one inventory, and the prune of one would delete the other's
 * objects.
 */

export interface K8sFlags {
  /** A Helm chart's values files and release name. */
  values?: string[];
  release?: string;
  inventory: string;
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  json?: boolean;
}

export interface K8sApplyFlags extends K8sFlags {
  force?: boolean;
  prune?: boolean;
  dryRun?: boolean;
}

export interface K8sStatusFlags extends K8sFlags {
  selfHeal?: boolean;
  watch?: boolean;
  interval: string;
}

/** `slipway k8s diff` exits with this when something is OutOfSync, as `kubectl diff` does. */
export const EXIT_OUT_OF_SYNC = 1;

async function setUp(path: string, flags: K8sFlags) {
  const cluster = connect({ kubeconfig: flags.kubeconfig, context: flags.context });
  // As kubectl: the namespace flag, else the context's namespace, else "default".
  const namespace =
    flags.namespace ??
    cluster.config.getContextObject(cluster.config.getCurrentContext())?.namespace ??
    "default";
  const objects = await loadManifests(path, { namespace, values: flags.values, release: flags.release });
  const target: SyncTarget = { inventory: flags.inventory, inventoryNamespace: namespace };
  return { cluster, objects, target };
}

export async function k8sApplyCommand(path: string, flags: K8sApplyFlags): Promise<void> {
  const { cluster, objects, target } = await setUp(path, flags);
  const results = await applyObjects(cluster, objects, {
    ...target,
    force: flags.force ?? false,
    prune: flags.prune ?? false,
    dryRun: flags.dryRun ?? false,
  });
  process.stdout.write(
    flags.json
      ? `${JSON.stringify(results, null, 2)}\n`
      : formatApplyResults(results, { dryRun: flags.dryRun ?? false }),
  );
}

export async function k8sDiffCommand(path: string, flags: K8sFlags): Promise<void> {
  const { cluster, objects, target } = await setUp(path, flags);
  const status = await syncStatus(cluster, objects, target);
  if (flags.json) {
    const outOfSync = { ...status, objects: status.objects.filter((o) => o.sync === "OutOfSync") };
    process.stdout.write(`${JSON.stringify(outOfSync, null, 2)}\n`);
  } else {
    process.stdout.write(formatDiff(status));
  }
  process.exitCode = status.sync === "OutOfSync" ? EXIT_OUT_OF_SYNC : EXIT.ok;
}

export async function k8sStatusCommand(path: string, flags: K8sStatusFlags): Promise<void> {
  const interval = parseInterval(flags.interval);
  const { cluster, objects, target } = await setUp(path, flags);
  for (;;) {
    try {
      await statusOnce(cluster, objects, target, flags);
    } catch (error) {
      // A watch outlives a blip of the API server; a single status reports it.
      if (!flags.watch || !(error instanceof SlipwayError)) throw error;
      process.stderr.write(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ""}`);
    }
    if (!flags.watch) return;
    await sleep(interval);
  }
}

async function statusOnce(
  cluster: Cluster,
  objects: Awaited<ReturnType<typeof loadManifests>>,
  target: SyncTarget,
  flags: K8sStatusFlags,
): Promise<void> {
  let healed: ApplyResult[] | undefined;
  if (flags.selfHeal) healed = await selfHeal(cluster, objects, target);
  const status = await syncStatus(cluster, objects, target);
  if (flags.json) {
    const record = { time: new Date().toISOString(), ...status, ...(healed ? { healed } : {}) };
    // One line per round when watching, so that the output is NDJSON.
    process.stdout.write(`${JSON.stringify(record, null, flags.watch ? undefined : 2)}\n`);
    return;
  }
  if (flags.watch) process.stdout.write(`\n${new Date().toISOString()}\n`);
  if (healed && healed.length > 0) process.stdout.write(`self-heal:\n${formatApplyResults(healed)}\n`);
  process.stdout.write(formatSyncStatus(status));
}

/** `30s`, `5m`, `1h30m`, `500ms`, or a number of seconds. */
export function parseInterval(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (!/^(\d+(ms|s|m|h))+$/.test(text))
    throw new UsageError(`--interval ${text} is not a duration`, { hint: "use e.g. 30s, 5m or 1h30m" });
  let total = 0;
  for (const match of text.matchAll(/(\d+)(ms|s|m|h)/g))
    total += Number(match[1]) * (units[match[2] ?? ""] ?? 0);
  if (total < 1000)
    throw new UsageError(`--interval ${text} is shorter than a second`, { hint: "use e.g. 30s" });
  return total;
}
