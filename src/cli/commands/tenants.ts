import { connect } from "../../kubernetes/client.js";
import { formatApplyResults, formatDiff } from "../../kubernetes/format.js";
import { applyTenants, readTenantsFile, tenantsStatus } from "../../kubernetes/tenants/index.js";
import { EXIT } from "../exit-codes.js";

/**
 * `slipway tenants apply FILE` and `slipway tenants diff FILE`: tenancy as code. Each tenant of
 * the file is a namespace with its members' RoleBindings, a quota, container defaults, default-deny
 * network policies and autoscaler defaults (src/kubernetes/tenants), applied as one inventory and
 * rendered as `slipway k8s` renders its own.
 */

export interface TenantsFlags {
  kubeconfig?: string;
  context?: string;
  json?: boolean;
}

export interface TenantsApplyFlags extends TenantsFlags {
  dryRun?: boolean;
  prune?: boolean;
}

export async function tenantsApplyCommand(file: string, flags: TenantsApplyFlags): Promise<void> {
  const config = await readTenantsFile(file);
  const cluster = connect({ kubeconfig: flags.kubeconfig, context: flags.context });
  const dryRun = flags.dryRun ?? false;
  const results = await applyTenants(cluster, config, { dryRun, prune: flags.prune ?? false });
  process.stdout.write(
    flags.json ? `${JSON.stringify(results, null, 2)}\n` : formatApplyResults(results, { dryRun }),
  );
}

/** Exits 1 when the cluster differs from the file, as `kubectl diff` does. */
export async function tenantsDiffCommand(file: string, flags: TenantsFlags): Promise<void> {
  const config = await readTenantsFile(file);
  const cluster = connect({ kubeconfig: flags.kubeconfig, context: flags.context });
  const status = await tenantsStatus(cluster, config);
  const drifted = status.objects.filter((o) => o.sync === "OutOfSync");
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...status, objects: drifted }, null, 2)}\n`);
  } else {
    process.stdout.write(formatDiff(status));
    if (drifted.length > 0) {
      const prune = drifted.some((o) => o.reason === "extra") ? " --prune" : "";
      process.stdout.write(`slipway tenants apply ${file}${prune} makes the cluster match the file again\n`);
    }
  }
  process.exitCode = status.sync === "OutOfSync" ? EXIT.failed : EXIT.ok;
}
