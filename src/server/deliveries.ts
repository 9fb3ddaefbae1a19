import { z } from "zod";
import { DeliveryConflict } from "../delivery/service.js";
import type { DeliveryService } from "../delivery/service.js";
import { ConfigError, formatPosition } from "../errors/index.js";
import type { DeploymentRecord, ReleaseRecord, Store } from "../store/index.js";
import { audit } from "./api.js";
import { allows } from "./auth.js";
import { HttpError } from "./http.js";
import type { Router } from "./http.js";
import { needProject, onProject, principalName } from "./terraform-state-http.js";

/**
 * The delivery API: environments (set by operators from slipway.yaml), releases (uploaded by
 * developers, immutable), deployments with their history, and the hands on a running one:
 * approve, promote, abort, rollback. Every change is audited.
 */

export interface DeliveryRoutesOptions {
  store: Store;
  delivery: DeliveryService;
}

const deploymentSchema = z.object({
  id: z.string(),
  project: z.string(),
  environment: z.string(),
  service: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  mode: z.enum(["deploy", "rollback"]),
  status: z.string(),
  reason: z.string().nullable(),
  createdAt: z.number(),
  createdBy: z.string(),
  finishedAt: z.number().nullable(),
  runId: z.string().nullable(),
  overrideReason: z.string().nullable(),
});

const releaseSchema = z.object({
  service: z.string(),
  version: z.string(),
  checksum: z.string(),
  commit: z.string().nullable(),
  branch: z.string().nullable(),
  committedAt: z.number().nullable(),
  createdAt: z.number(),
  createdBy: z.string(),
});

const eventSchema = z.object({
  seq: z.number(),
  at: z.number(),
  type: z.string(),
  body: z.record(z.string(), z.unknown()),
});

const projectParams = z.object({ name: z.string() });
const deploymentParams = z.object({ name: z.string(), id: z.string() });

function deploymentView(d: DeploymentRecord): z.infer<typeof deploymentSchema> {
  return {
    id: d.id,
    project: d.project,
    environment: d.environment,
    service: d.service,
    from: d.fromVersion ?? null,
    to: d.toVersion,
    mode: d.mode,
    status: d.status,
    reason: d.reason ?? null,
    createdAt: d.createdAt,
    createdBy: d.createdBy,
    finishedAt: d.finishedAt ?? null,
    runId: d.runId ?? null,
    overrideReason: d.overrideReason ?? null,
  };
}

function releaseView(r: ReleaseRecord): z.infer<typeof releaseSchema> {
  return {
    service: r.service,
    version: r.version,
    checksum: r.checksum,
    commit: r.commit ?? null,
    branch: r.branch ?? null,
    committedAt: r.committedAt ?? null,
    createdAt: r.createdAt,
    createdBy: r.createdBy,
  };
}

/** Delivery errors as HTTP answers: a conflict is 409, a bad slipway.yaml lists every problem. */
async function answering<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DeliveryConflict) throw new HttpError(409, error.message, { hint: error.hint });
    if (error instanceof ConfigError) {
      throw new HttpError(400, error.message, {
        diagnostics: error.diagnostics.map((d) => ({
          at: formatPosition(d.position),
          message: d.message,
          ...(d.hint ? { hint: d.hint } : {}),
        })),
      });
    }
    throw error;
  }
}

export function deliveryRoutes(router: Router, options: DeliveryRoutesOptions): void {
  const { store, delivery } = options;
  const deploymentOf = async (project: string, id: string): Promise<DeploymentRecord> => {
    const found = await store.deliveries.deployment(id);
    if (!found || found.project !== project)
      throw new HttpError(404, `no deployment ${id} in project ${project}`);
    return found;
  };

  router.add({
    method: "PUT",
    url: "/api/projects/:name/environments",
    summary: "Set a project's environments (protection, hosts, listen addresses) from slipway.yaml's text",
    access: onProject("operator"),
    params: projectParams,
    body: z.object({ file: z.string().default("slipway.yaml"), text: z.string() }),
    response: z.object({ environments: z.array(z.string()) }),
    handler: async (request) => {
      const { params, body } = request;
      await needProject(store, params.name);
      const names = await answering(() =>
        delivery.applyEnvironments(params.name, body.text, body.file, principalName(request)),
      );
      await audit(store, request, "environments.apply", params.name, params.name, { environments: names });
      return { environments: names };
    },
  });

  router.add({
    method: "GET",
    url: "/api/projects/:name/environments",
    summary: "A project's environments with the release each service runs there",
    access: onProject("viewer"),
    params: projectParams,
    handler: async ({ params }) => {
      await needProject(store, params.name);
      return delivery.environments(params.name);
    },
  });

  const syncParams = z.object({ name: z.string(), environment: z.string() });
  const fieldDiff = z.object({ path: z.string(), desired: z.unknown(), live: z.unknown() });
  const syncSchema = z.object({
    environment: z.string(),
    services: z.array(
      z.object({
        service: z.string(),
        release: z.string().nullable(),
        state: z.enum(["compared", "not deployed", "deploying"]),
        status: z
          .object({
            sync: z.enum(["Synced", "OutOfSync"]),
            health: z.string(),
            objects: z.array(
              z.object({
                object: z.string(),
                sync: z.enum(["Synced", "OutOfSync"]),
                reason: z.enum(["missing", "changed", "extra"]).optional(),
                fields: z.array(fieldDiff),
                health: z.string(),
                message: z.string().optional(),
              }),
            ),
          })
          .optional(),
        healed: z
          .array(z.object({ object: z.string(), action: z.string(), reason: z.string().optional() }))
          .optional(),
      }),
    ),
  });

  router.add({
    method: "GET",
    url: "/api/projects/:name/environments/:environment/sync",
    summary:
      "Drift of an environment on Kubernetes from the releases it runs: sync status and health per service",
    access: onProject("viewer"),
    params: syncParams,
    response: syncSchema,
    handler: async ({ params }) => {
      await needProject(store, params.name);
      const services = await answering(() => delivery.environmentSync(params.name, params.environment));
      return { environment: params.environment, services };
    },
  });

  router.add({
    method: "POST",
    url: "/api/projects/:name/environments/:environment/heal",
    summary:
      "Apply again what drifted in an environment on Kubernetes (taking fields back from other managers)",
    access: onProject("operator"),
    params: syncParams,
    response: syncSchema,
    handler: async (request) => {
      const { params } = request;
      await needProject(store, params.name);
      const services = await answering(() =>
        delivery.environmentSync(params.name, params.environment, { heal: true }),
      );
      await audit(store, request, "environment.heal", params.environment, params.name, {
        healed: services.flatMap((s) => (s.healed ?? []).map((h) => `${h.object} ${h.action}`)),
      });
      return { environment: params.environment, services };
    },
  });

  router.add({
    method: "POST",
    url: "/api/projects/:name/releases",
    summary: "Create a release: a version of a service's files (a base64 gzip tar) and its configuration",
    access: onProject("developer"),
    params: projectParams,
    bodyLimit: 256 * 1024 * 1024,
    body: z.object({
      service: z.string(),
      version: z.string(),
      configFile: z.string().default("slipway.yaml"),
      configText: z.string(),
      archive: z.string().meta({ description: "The release's files as a gzip tar, base64-encoded." }),
      commit: z.string().optional(),
      branch: z.string().optional(),
      committedAt: z.number().optional(),
    }),
    response: releaseSchema,
    handler: async (request) => {
      const { params, body, reply } = request;
      await needProject(store, params.name);
      const { release, created } = await answering(() =>
        delivery.createRelease(
          params.name,
          {
            service: body.service,
            version: body.version,
            configFile: body.configFile,
            configText: body.configText,
            archive: Buffer.from(body.archive, "base64"),
            ...(body.commit ? { commit: body.commit } : {}),
            ...(body.branch ? { branch: body.branch } : {}),
            ...(body.committedAt ? { committedAt: body.committedAt } : {}),
          },
          principalName(request),
        ),
      );
      if (created) {
        await audit(store, request, "release.create", `${body.service}@${body.version}`, params.name, {
          checksum: release.checksum,
          commit: release.commit ?? null,
        });
      }
      void reply.status(created ? 201 : 200);
      return releaseView(release);
    },
  });

  router.add({
    method: "GET",
    url: "/api/projects/:name/releases",
    summary: "A service's releases, newest first",
    access: onProject("viewer"),
    params: projectParams,
    query: z.object({ service: z.string() }),
    response: z.array(releaseSchema),
    handler: async ({ params, query }) => {
      await needProject(store, params.name);
      return (await store.deliveries.releases(params.name, query.service)).map(releaseView);
    },
  });

  router.add({
    method: "POST",
    url: "/api/projects/:name/deployments",
    summary:
      "Deploy a release to an environment with its strategy; 409 with the reasons when the environment's protection blocks it",
    access: onProject("developer"),
    params: projectParams,
    body: z.object({
      service: z.string(),
      environment: z.string(),
      version: z.string(),
      override: z
        .string()
        .min(1)
        .optional()
        .meta({ description: "Why to deploy through a freeze or a spent budget." }),
      runId: z.string().optional(),
    }),
    response: deploymentSchema,
    handler: async (request) => {
      const { params, body, reply } = request;
      await needProject(store, params.name);
      const deployment = await answering(() =>
        delivery.deploy(
          params.name,
          {
            service: body.service,
            environment: body.environment,
            version: body.version,
            ...(body.override ? { overrideReason: body.override } : {}),
            ...(body.runId ? { runId: body.runId } : {}),
          },
          principalName(request),
        ),
      );
      await audit(store, request, "deployment.create", deployment.id, params.name, {
        service: body.service,
        environment: body.environment,
        version: body.version,
        status: deployment.status,
        ...(body.override ? { override: body.override } : {}),
      });
      if (deployment.status === "blocked") {
        throw new HttpError(409, `deployment blocked: ${deployment.reason ?? ""}`, {
          deployment: deploymentView(deployment),
        });
      }
      void reply.status(201);
      return deploymentView(deployment);
    },
  });

  router.add({
    method: "POST",
    url: "/api/projects/:name/rollback",
    summary: "Roll a service back to its previous release in an environment, without pauses or analysis",
    access: onProject("developer"),
    params: projectParams,
    body: z.object({ service: z.string(), environment: z.string() }),
    response: deploymentSchema,
    handler: async (request) => {
      const { params, body, reply } = request;
      await needProject(store, params.name);
      const deployment = await answering(() =>
        delivery.rollback(params.name, body.service, body.environment, principalName(request)),
      );
      await audit(store, request, "deployment.rollback", deployment.id, params.name, {
        service: body.service,
        environment: body.environment,
        version: deployment.toVersion,
      });
      void reply.status(201);
      return deploymentView(deployment);
    },
  });

  router.add({
    method: "GET",
    url: "/api/projects/:name/deployments",
    summary: "A project's deployments, newest first",
    access: onProject("viewer"),
    params: projectParams,
    query: z.object({
      environment: z.string().optional(),
      service: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(500).optional(),
    }),
    response: z.array(deploymentSchema),
    handler: async ({ params, query }) => {
      await needProject(store, params.name);
      const list = await store.deliveries.deployments({
        project: params.name,
        ...(query.environment ? { environment: query.environment } : {}),
        ...(query.service ? { service: query.service } : {}),
        ...(query.limit ? { limit: query.limit } : {}),
      });
      return list.map(deploymentView);
    },
  });

  router.add({
    method: "GET",
    url: "/api/projects/:name/deployments/:id",
    summary: "One deployment and its history: every strategy step, traffic change and analysis result",
    access: onProject("viewer"),
    params: deploymentParams,
    query: z.object({ after: z.coerce.number().int().min(0).optional() }),
    response: z.object({ deployment: deploymentSchema, events: z.array(eventSchema) }),
    handler: async ({ params, query }) => {
      const deployment = await deploymentOf(params.name, params.id);
      return {
        deployment: deploymentView(deployment),
        events: await store.deliveries.events(params.id, query.after ?? 0),
      };
    },
  });

  router.add({
    method: "POST",
    url: "/api/projects/:name/deployments/:id/approve",
    summary: "Approve a deployment waiting for approval (needs the environment's approval role)",
    access: onProject("developer"),
    params: deploymentParams,
    body: z.object({ comment: z.string().optional() }),
    response: deploymentSchema,
    handler: async (request) => {
      const { params, body, principal } = request;
      await deploymentOf(params.name, params.id);
      const role = await delivery.approvalRole(params.id);
      if (!role) throw new HttpError(409, `deployment ${params.id} is not waiting for approval`);
      if (!principal || !allows(principal, role, params.name)) {
        throw new HttpError(403, `approving this deployment needs the ${role} role`);
      }
      const deployment = await answering(() =>
        delivery.approve(params.id, principalName(request), body.comment),
      );
      await audit(store, request, "deployment.approve", params.id, params.name, {
        ...(body.comment ? { comment: body.comment } : {}),
      });
      return deploymentView(deployment);
    },
  });

  router.add({
    method: "POST",
    url: "/api/projects/:name/deployments/:id/promote",
    summary: "Promote a paused deployment past its pause, or with full past every remaining step",
    access: onProject("developer"),
    params: deploymentParams,
    body: z.object({ full: z.boolean().default(false) }),
    response: deploymentSchema,
    handler: async (request) => {
      const { params, body } = request;
      await deploymentOf(params.name, params.id);
      const deployment = await answering(() => Promise.resolve(delivery.promote(params.id, body.full)));
      await audit(store, request, "deployment.promote", params.id, params.name, { full: body.full });
      return deploymentView(deployment);
    },
  });

  router.add({
    method: "POST",
    url: "/api/projects/:name/deployments/:id/abort",
    summary: "Abort a deployment: all traffic back to the stable release, the new one stopped",
    access: onProject("developer"),
    params: deploymentParams,
    body: z.object({ reason: z.string().optional() }),
    response: deploymentSchema,
    handler: async (request) => {
      const { params, body } = request;
      await deploymentOf(params.name, params.id);
      const deployment = await answering(() =>
        delivery.abort(params.id, principalName(request), body.reason),
      );
      await audit(store, request, "deployment.abort", params.id, params.name, {
        ...(body.reason ? { reason: body.reason } : {}),
      });
      return deploymentView(deployment);
    },
  });
}
