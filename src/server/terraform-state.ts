import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { InternalError } from "../errors/index.js";
import { audit } from "./api.js";
import { HttpError } from "./http.js";
import type { RouteRequest, Router } from "./http.js";
import { checkContentMd5, openState, packState, readState, sealState } from "./terraform-state-content.js";
import {
  auditPruned,
  needProject,
  onProject,
  principalName,
  sendLocked,
  stateParams,
} from "./terraform-state-http.js";
import type { StateParams, TerraformStateOptions } from "./terraform-state-http.js";
import { terraformStateVersionRoutes } from "./terraform-state-versions.js";

/*
 * Terraform's `http` backend, as its client speaks it
 * (hashicorp/terraform internal/backend/remote-state/http/client.go):
 * - GET: 200 with the state, or 204/404 when there is none;
 * - POST: write; while it holds a lock the client adds ?ID=<lock id>; any of 200/201/204 is success;
 * - LOCK (lock_method) with the client's LockInfo: 200 taken, 423 or 409 with the holder's
 *   LockInfo when held, which the client reports and retries until -lock-timeout;
 * - UNLOCK (unlock_method) with the LockInfo; `terraform force-unlock` sends it with an empty body,
 *   since that client never locked, so an empty body releases whatever lock is held;
 * - DELETE.
 * GitLab's convention (lock_address = .../lock, lock_method POST, unlock_method DELETE) is
 * accepted too. Authentication is the API token, as Bearer or as Basic's password
 * (`username` any, `password` the token in the backend block or TF_HTTP_PASSWORD).
 */

/** States can be tens of MB; the limit keeps one request from tying up hundreds. */
const STATE_BODY_LIMIT = 64 * 1024 * 1024;
const LOCK_BODY_LIMIT = 1024 * 1024;

/** Terraform's LockInfo (statemgr.LockInfo); fields Terraform may add later are kept. */
const lockInfo = z.looseObject({
  ID: z.string().min(1).max(256),
  Operation: z.string().optional(),
  Info: z.string().optional(),
  Who: z.string().optional(),
  Version: z.string().optional(),
  Created: z.string().optional(),
  Path: z.string().optional(),
});
/** An UNLOCK without an ID (force-unlock) has an empty body, which the JSON parser reads as {}. */
const unlockInfo = lockInfo.partial();

export function terraformStateRoutes(router: Router, options: TerraformStateOptions): void {
  const { store, secretKey } = options;
  const target = (params: StateParams) => `${params.name}/${params.state}`;

  router.add({
    method: "GET",
    url: "/api/terraform/:name/:state",
    summary: "Terraform http backend: the current state (204 when there is none)",
    access: onProject("developer"),
    params: stateParams,
    handler: async ({ params, reply }) => {
      await needProject(store, params.name);
      const current = await store.terraform.current(params.name, params.state);
      if (!current) return reply.status(204).send();
      const bytes = await openState(
        secretKey,
        params.name,
        params.state,
        current.version.version,
        current.content,
      );
      return reply
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .header("x-slipway-state-version", String(current.version.version))
        .send(bytes);
    },
  });

  router.add({
    method: "POST",
    url: "/api/terraform/:name/:state",
    summary:
      "Terraform http backend: write the state as a new version (?ID= the lock held; ?force=true skips the serial and lineage checks)",
    access: onProject("operator"),
    params: stateParams,
    query: z.object({
      ID: z.string().min(1).optional(),
      force: z.enum(["true", "1"]).optional(),
    }),
    rawBody: true,
    bodyLimit: STATE_BODY_LIMIT,
    handler: async (request) => {
      const { params, query, raw } = request;
      await needProject(store, params.name);
      const bytes = bodyBytes(raw);
      checkContentMd5(bytes, header(raw, "content-md5"));
      const content = readState(bytes, Buffer.isBuffer(raw.body) ? undefined : raw.body);
      const packed = await packState(bytes);
      const force = query.force !== undefined;
      const outcome = await store.terraform.write({
        project: params.name,
        name: params.state,
        serial: content.serial,
        lineage: content.lineage,
        sha256: content.sha256,
        sizeBytes: content.sizeBytes,
        by: principalName(request),
        at: Date.now(),
        lockId: query.ID,
        force,
        keepVersions: options.keepVersions,
        seal: (version) => sealState(secretKey, params.name, params.state, version, packed),
      });
      switch (outcome.kind) {
        case "written":
        case "unchanged": {
          const v = outcome.version;
          await audit(store, request, "terraform.write", target(params), params.name, {
            version: v.version,
            serial: v.serial,
            lineage: v.lineage,
            sha256: v.sha256,
            sizeBytes: v.sizeBytes,
            lockId: query.ID ?? null,
            forced: force,
            ...(outcome.kind === "unchanged" ? { unchanged: true } : {}),
          });
          if (outcome.kind === "written")
            await auditPruned(store, request, params, outcome.pruned, options.keepVersions);
          return { version: v.version, serial: v.serial, lineage: v.lineage, sha256: v.sha256 };
        }
        case "locked":
          return sendLocked(request.reply, outcome.holder);
        case "lock-not-held":
          throw notHeld(params, outcome.lockId);
        case "serial":
          throw new HttpError(
            409,
            `refused: the state's serial ${content.serial} is not after the current serial ${outcome.current.serial} (version ${outcome.current.version}); another write came first`,
            { hint: "refresh and apply again; to replace the state anyway, write with ?force=true" },
          );
        case "lineage":
          throw new HttpError(
            409,
            `refused: the state's lineage ${content.lineage} is not the current lineage ${outcome.current.lineage} (version ${outcome.current.version}): it is another state`,
            { hint: "check the backend address; to replace the state anyway, write with ?force=true" },
          );
        case "moved":
          throw new InternalError("a state write without a version condition was refused as moved");
      }
    },
  });

  router.add({
    method: "DELETE",
    url: "/api/terraform/:name/:state",
    summary: "Terraform http backend: stop serving the state (its versions are kept, to roll back to)",
    access: onProject("operator"),
    params: stateParams,
    query: z.object({ ID: z.string().min(1).optional() }),
    handler: async (request) => {
      const { params, query } = request;
      await needProject(store, params.name);
      const outcome = await store.terraform.delete({
        project: params.name,
        name: params.state,
        lockId: query.ID,
        by: principalName(request),
        at: Date.now(),
      });
      if (outcome.kind === "locked") return sendLocked(request.reply, outcome.holder);
      if (outcome.kind === "lock-not-held") throw notHeld(params, outcome.lockId);
      await audit(store, request, "terraform.delete", target(params), params.name, {
        version: outcome.version ?? null,
        lockId: query.ID ?? null,
      });
      return { deleted: outcome.version ?? null };
    },
  });

  const lock = async (request: RouteRequest<StateParams, unknown, z.infer<typeof lockInfo>>) => {
    const { params, body } = request;
    await needProject(store, params.name);
    const outcome = await store.terraform.lock(params.name, params.state, {
      id: body.ID,
      info: JSON.stringify(body),
      lockedAt: Date.now(),
      lockedBy: principalName(request),
    });
    if (outcome.kind === "held") return sendLocked(request.reply, outcome.holder);
    await audit(store, request, "terraform.lock", target(params), params.name, {
      id: body.ID,
      operation: body.Operation ?? null,
      who: body.Who ?? null,
    });
    return body;
  };

  /*
   * Releasing with the lock's ID is the holder's own unlock. Without one it is a force-unlock:
   * it releases whoever holds the lock, and needs the operator role, like locking.
   */
  const unlock = async (request: RouteRequest<StateParams, unknown, z.infer<typeof unlockInfo>>) => {
    const { params, body } = request;
    await needProject(store, params.name);
    if (body.ID === undefined) {
      const released = await store.terraform.forceUnlock(params.name, params.state);
      await audit(store, request, "terraform.force-unlock", target(params), params.name, {
        released: released?.id ?? null,
        heldBy: released?.lockedBy ?? null,
      });
      return { released: released?.id ?? null };
    }
    const outcome = await store.terraform.unlock(params.name, params.state, body.ID);
    if (outcome.kind === "held") return sendLocked(request.reply, outcome.holder);
    if (outcome.kind === "not-locked") throw notHeld(params, body.ID);
    await audit(store, request, "terraform.unlock", target(params), params.name, { id: body.ID });
    return { released: body.ID };
  };

  for (const [method, url] of [
    ["LOCK", "/api/terraform/:name/:state"],
    ["POST", "/api/terraform/:name/:state/lock"],
  ] as const) {
    router.add({
      method,
      url,
      summary: `Terraform http backend: lock the state with a LockInfo (423 with the holder's when held)${method === "POST" ? "; GitLab's convention" : ""}`,
      access: onProject("operator"),
      params: stateParams,
      body: lockInfo,
      bodyLimit: LOCK_BODY_LIMIT,
      handler: lock,
    });
  }
  for (const [method, url] of [
    ["UNLOCK", "/api/terraform/:name/:state"],
    ["DELETE", "/api/terraform/:name/:state/lock"],
  ] as const) {
    router.add({
      method,
      url,
      summary: `Terraform http backend: release the lock with its LockInfo; an empty body force-unlocks${method === "DELETE" ? "; GitLab's convention" : ""}`,
      access: onProject("operator"),
      params: stateParams,
      body: unlockInfo,
      bodyLimit: LOCK_BODY_LIMIT,
      handler: unlock,
    });
  }

  terraformStateVersionRoutes(router, options);
}

function notHeld(params: StateParams, lockId: string): HttpError {
  return new HttpError(
    409,
    `the lock ${lockId} is not held on ${params.name}/${params.state}: it was released or force-unlocked`,
    { hint: "take the lock again and retry; Terraform keeps an unwritten state in errored.tfstate" },
  );
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The exact bytes received: kept by the JSON parser, or the body itself for octet-stream. */
function bodyBytes(request: FastifyRequest): Buffer {
  if (Buffer.isBuffer(request.body)) return request.body;
  return (request as FastifyRequest & { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0);
}
