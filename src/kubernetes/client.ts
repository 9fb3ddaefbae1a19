import { ApiException, KubeConfig, KubernetesObjectApi } from "@kubernetes/client-node";
import type { KubernetesObject } from "@kubernetes/client-node";
import { EnvironmentError, SlipwayError } from "../errors/index.js";

/** The field manager Slipway's server-side applies are recorded under. */
export const FIELD_MANAGER = "slipway";

export interface ClusterOptions {
  /** A kubeconfig file; default: $KUBECONFIG or ~/.kube/config, as kubectl. */
  kubeconfig?: string | undefined;
  context?: string | undefined;
}

/** A connection to one cluster, as one user: every call meets that user's RBAC. */
export interface Cluster {
  config: KubeConfig;
  objects: KubernetesObjectApi;
  /** Where the API server is, for messages. */
  server: string;
}

export function connect(options: ClusterOptions = {}): Cluster {
  const config = new KubeConfig();
  try {
    if (options.kubeconfig !== undefined) config.loadFromFile(options.kubeconfig);
    else config.loadFromDefault();
    if (options.context !== undefined) config.setCurrentContext(options.context);
  } catch (error) {
    throw new EnvironmentError(`cannot read the kubeconfig: ${(error as Error).message}`, {
      hint: "pass --kubeconfig FILE or set KUBECONFIG",
      cause: error,
    });
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) {
    throw new EnvironmentError("the kubeconfig has no current cluster", {
      hint: "pass --context NAME or set current-context in the kubeconfig",
    });
  }
  return { config, objects: KubernetesObjectApi.makeApiClient(config), server: cluster.server };
}

/** Who holds a field Slipway wanted to set: the API server's own words, split per field. */
export interface FieldConflict {
  manager: string;
  field: string;
}

/** A server-side apply refused because other field managers own fields Slipway sets. */
export class ApplyConflictError extends SlipwayError {
  constructor(
    readonly object: string,
    readonly conflicts: FieldConflict[],
  ) {
    const list = conflicts.map((c) => `${c.field} (owned by "${c.manager}")`).join(", ");
    super("K8S_APPLY_CONFLICT", `${object}: fields changed by another manager: ${list}`, {
      hint: "keep the other change by adding it to the manifests, or pass --force to take the fields back",
    });
  }
}

/**
 * A failed server-side apply of `name` as a user reads it: an ApplyConflictError naming the other
 * field managers on a conflict, the API server's words otherwise.
 */
export function applyError(name: string, error: unknown): SlipwayError {
  if (error instanceof SlipwayError) return error;
  const status = apiStatus(error);
  const conflicts = (status?.details?.causes ?? [])
    .filter((c) => c.reason === "FieldManagerConflict")
    .map((c) => ({
      manager: /conflict with "([^"]+)"/.exec(c.message ?? "")?.[1] ?? "?",
      field: c.field ?? "?",
    }));
  if (status?.code === 409 && conflicts.length > 0) return new ApplyConflictError(name, conflicts);
  return kubernetesError(`cannot apply ${name}`, error);
}

/** `Kind namespace/name`, as kubectl names objects in messages. */
export function describe(object: KubernetesObject): string {
  const ns = object.metadata?.namespace;
  return `${object.kind ?? "?"} ${ns ? `${ns}/` : ""}${object.metadata?.name ?? "?"}`;
}

interface ApiStatus {
  code?: number;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string; field?: string }[] };
}

/** The API server's Status answer inside a client error, when it gave one. */
export function apiStatus(error: unknown): ApiStatus | undefined {
  if (!(error instanceof ApiException)) return undefined;
  const body: unknown = error.body;
  if (typeof body === "object" && body !== null) return { code: error.code, ...(body as ApiStatus) };
  if (typeof body === "string") {
    try {
      return { code: error.code, ...(JSON.parse(body) as ApiStatus) };
    } catch {
      return { code: error.code, message: body };
    }
  }
  return { code: error.code };
}

export function isNotFound(error: unknown): boolean {
  return apiStatus(error)?.code === 404;
}

/** An API error as a user reads it: what was attempted, then the API server's message (RBAC denials included). */
export function kubernetesError(what: string, error: unknown): SlipwayError {
  const status = apiStatus(error);
  const message = status?.message ?? (error as Error).message;
  const hint =
    status?.code === 403
      ? "the kubeconfig's user lacks an RBAC permission for this (kubectl auth can-i ... shows what it may do)"
      : status?.code === 401
        ? "the API server did not accept the kubeconfig's credentials"
        : undefined;
  return new EnvironmentError(`${what}: ${message}`, { hint, cause: error });
}
