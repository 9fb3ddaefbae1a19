import type { FastifyReply } from "fastify";
import { z } from "zod";
import type { StateLock, Store } from "../store/index.js";
import { audit } from "./api.js";
import type { Access, RouteRequest } from "./http.js";
import { HttpError } from "./http.js";
import type { Role } from "./auth.js";

/** What the state routes (Terraform's protocol and the versions API) share. */

export interface TerraformStateOptions {
  store: Store;
  /** The server's key: states are encrypted with it at rest, as project secrets are. */
  secretKey: Buffer;
  /** Keep the newest N versions of each state, pruning older ones on every write; undefined keeps all. */
  keepVersions?: number | undefined;
}

/** A state is addressed as /api/terraform/PROJECT/STATE; `name` is the project, as in /api/projects/:name. */
export const stateParams = z.object({
  name: z.string(),
  state: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
      "letters, digits, '.', '_' and '-', starting with a letter or digit",
    ),
});
export type StateParams = z.infer<typeof stateParams>;

/** A role on the project the URL names (a project-scoped token acts on its own project only). */
export function onProject(role: Role): Access {
  return { role, project: (request: RouteRequest) => (request.params as { name: string }).name };
}

export async function needProject(store: Store, name: string): Promise<void> {
  if (!(await store.control.getProject(name))) {
    throw new HttpError(404, `no project ${name}`, { hint: "slipway project add NAME --repo PATH_OR_URL" });
  }
}

export function principalName(request: RouteRequest): string {
  return request.principal?.name ?? "";
}

/**
 * 423 with the holder's LockInfo as its client sent it: Terraform reads the holder's ID from it
 * to report who has the lock, and retries until -lock-timeout runs out.
 */
export function sendLocked(reply: FastifyReply, holder: StateLock): FastifyReply {
  return reply.status(423).header("content-type", "application/json; charset=utf-8").send(holder.info);
}

/** A lock as the JSON API shows it. */
export function lockView(lock: StateLock): {
  id: string;
  lockedBy: string;
  lockedAt: number;
  info: Record<string, unknown>;
} {
  let info: Record<string, unknown> = {};
  try {
    info = JSON.parse(lock.info) as Record<string, unknown>;
  } catch {
    // Stored as received from the server's own validation; an unreadable one shows as empty.
  }
  return { id: lock.id, lockedBy: lock.lockedBy, lockedAt: lock.lockedAt, info };
}

export const lockSchema = z.object({
  id: z.string(),
  lockedBy: z.string(),
  lockedAt: z.number(),
  info: z.record(z.string(), z.unknown()),
});

/**
 * Versions a write pruned, in the audit log: the log is where a version that can no longer be
 * rolled back to is explained.
 */
export async function auditPruned(
  store: Store,
  request: RouteRequest,
  params: StateParams,
  pruned: readonly number[],
  keepVersions: number | undefined,
): Promise<void> {
  if (pruned.length === 0) return;
  await audit(store, request, "terraform.prune", `${params.name}/${params.state}`, params.name, {
    keep: keepVersions ?? null,
    pruned,
  });
}
