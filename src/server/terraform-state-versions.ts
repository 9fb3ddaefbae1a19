import { createHash } from "node:crypto";
import { z } from "zod";
import { InternalError } from "../errors/index.js";
import type { StateSummary, StateVersion } from "../store/index.js";
import { audit } from "./api.js";
import { HttpError } from "./http.js";
import type { Router } from "./http.js";
import { openState, packState, sealState, withSerial } from "./terraform-state-content.js";
import {
  auditPruned,
  lockSchema,
  lockView,
  needProject,
  onProject,
  principalName,
  stateParams,
} from "./terraform-state-http.js";
import type { TerraformStateOptions } from "./terraform-state-http.js";

/** The JSON API over kept states: list them and their versions, read one, roll back to one. */

const versionSchema = z.object({
  version: z.number(),
  serial: z.number(),
  lineage: z.string(),
  sizeBytes: z.number(),
  sha256: z.string(),
  createdAt: z.number(),
  createdBy: z.string(),
  rolledBackFrom: z.number().nullable(),
  forced: z.boolean(),
  current: z.boolean(),
});
type StateVersionView = z.infer<typeof versionSchema>;

const stateSchema = z.object({
  name: z.string(),
  version: z.number().nullable(),
  serial: z.number().nullable(),
  lineage: z.string().nullable(),
  sizeBytes: z.number().nullable().meta({ description: "The current version's size as written, in bytes." }),
  updatedAt: z.number().nullable(),
  updatedBy: z.string().nullable(),
  lock: lockSchema.nullable(),
});

function versionView(v: StateVersion, currentVersion: number | undefined): StateVersionView {
  return {
    version: v.version,
    serial: v.serial,
    lineage: v.lineage,
    sizeBytes: v.sizeBytes,
    sha256: v.sha256,
    createdAt: v.createdAt,
    createdBy: v.createdBy,
    rolledBackFrom: v.rolledBackFrom ?? null,
    forced: v.forced,
    current: v.version === currentVersion,
  };
}

function stateView(s: StateSummary): z.infer<typeof stateSchema> {
  return {
    name: s.name,
    version: s.currentVersion ?? null,
    serial: s.serial ?? null,
    lineage: s.lineage ?? null,
    sizeBytes: s.sizeBytes ?? null,
    updatedAt: s.updatedAt ?? null,
    updatedBy: s.updatedBy ?? null,
    lock: s.lock ? lockView(s.lock) : null,
  };
}

const versionParams = stateParams.extend({ version: z.coerce.number().int().min(1) });

export function terraformStateVersionRoutes(router: Router, options: TerraformStateOptions): void {
  const { store, secretKey } = options;

  router.add({
    method: "GET",
    url: "/api/terraform/:name",
    summary: "Terraform states kept for a project, with their current version and lock",
    access: onProject("viewer"),
    params: z.object({ name: z.string() }),
    response: z.array(stateSchema),
    handler: async ({ params }) => {
      await needProject(store, params.name);
      return (await store.terraform.list(params.name)).map(stateView);
    },
  });

  router.add({
    method: "GET",
    url: "/api/terraform/:name/:state/versions",
    summary: "Every version of a Terraform state, newest first (who wrote it, when, serial, checksum)",
    access: onProject("viewer"),
    params: stateParams,
    response: z.array(versionSchema),
    handler: async ({ params }) => {
      await needProject(store, params.name);
      const summary = await store.terraform.get(params.name, params.state);
      if (!summary) throw new HttpError(404, `no state ${params.name}/${params.state}`);
      const versions = await store.terraform.versions(params.name, params.state);
      return versions.map((v) => versionView(v, summary.currentVersion));
    },
  });

  router.add({
    method: "GET",
    url: "/api/terraform/:name/:state/versions/:version",
    summary: "One version of a Terraform state, as it was written",
    access: onProject("developer"),
    params: versionParams,
    handler: async ({ params, reply }) => {
      await needProject(store, params.name);
      const found = await store.terraform.version(params.name, params.state, params.version);
      if (!found) throw new HttpError(404, `no version ${params.version} of ${params.name}/${params.state}`);
      const bytes = await openState(secretKey, params.name, params.state, params.version, found.content);
      return reply
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .header("x-slipway-state-version", String(params.version))
        .send(bytes);
    },
  });

  router.add({
    method: "POST",
    url: "/api/terraform/:name/:state/versions/:version/rollback",
    summary:
      "Roll a Terraform state back: its content becomes the newest version, with the next serial (refused while another holds the lock)",
    access: onProject("operator"),
    params: versionParams,
    body: z.object({ lockId: z.string().min(1).optional() }),
    response: versionSchema,
    handler: async (request) => {
      const { params, body } = request;
      await needProject(store, params.name);
      const found = await store.terraform.version(params.name, params.state, params.version);
      if (!found) throw new HttpError(404, `no version ${params.version} of ${params.name}/${params.state}`);
      const summary = await store.terraform.get(params.name, params.state);
      const old = await openState(secretKey, params.name, params.state, params.version, found.content);
      const serial = Math.max(summary?.serial ?? 0, found.version.serial) + 1;
      const bytes = Buffer.from(withSerial(old.toString("utf8"), serial), "utf8");
      const packed = await packState(bytes);
      const outcome = await store.terraform.write({
        project: params.name,
        name: params.state,
        serial,
        lineage: found.version.lineage,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        sizeBytes: bytes.length,
        by: principalName(request),
        at: Date.now(),
        lockId: body.lockId,
        // An explicit rollback may cross lineages; the version condition keeps it from racing a write.
        force: true,
        ifCurrent: { version: summary?.currentVersion },
        rolledBackFrom: params.version,
        keepVersions: options.keepVersions,
        seal: (version) => sealState(secretKey, params.name, params.state, version, packed),
      });
      switch (outcome.kind) {
        case "written":
        case "unchanged":
          await audit(store, request, "terraform.rollback", `${params.name}/${params.state}`, params.name, {
            from: params.version,
            version: outcome.version.version,
            serial: outcome.version.serial,
            sha256: outcome.version.sha256,
          });
          if (outcome.kind === "written")
            await auditPruned(store, request, params, outcome.pruned, options.keepVersions);
          return versionView(outcome.version, outcome.version.version);
        case "locked":
          throw new HttpError(
            423,
            `${params.name}/${params.state} is locked by ${outcome.holder.lockedBy} (lock ${outcome.holder.id})`,
            {
              lock: lockView(outcome.holder),
              hint: "wait for the lock to be released, or pass the ID of the lock you hold",
            },
          );
        case "lock-not-held":
          throw new HttpError(
            409,
            `the lock ${outcome.lockId} is not held on ${params.name}/${params.state}`,
          );
        case "moved":
          throw new HttpError(409, `${params.name}/${params.state} changed during the rollback; try again`);
        case "serial":
        case "lineage":
          throw new InternalError(`a forced rollback was refused by the ${outcome.kind} check`);
      }
    },
  });
}
