import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { SlipwayError } from "../errors/index.js";
import type { Authenticator, Principal, Role } from "./auth.js";
import { allows, bearerToken } from "./auth.js";

/**
 * Who may call a route:
 * - public: anyone (health);
 * - signed: anyone, the handler verifies the request's signature (webhooks);
 * - agent: agent tokens only;
 * - a role: user tokens with at least that role on the route's project (`project` finds it from
 *   the request; without it the route is server-wide and needs an unscoped token).
 */
export type Access =
  | "public"
  | "signed"
  | "agent"
  | { role: Role; project?: (request: RouteRequest) => Promise<string | undefined> | string | undefined };

export interface RouteRequest<P = unknown, Q = unknown, B = unknown> {
  params: P;
  query: Q;
  body: B;
  principal: Principal | undefined;
  raw: FastifyRequest;
  reply: FastifyReply;
}

/**
 * LOCK and UNLOCK are not in OpenAPI's or Fastify's set of methods; Terraform's http backend
 * locks state with them (https://developer.hashicorp.com/terraform/language/backend/http).
 */
const EXTENSION_METHODS: readonly string[] = ["LOCK", "UNLOCK"];

export interface RouteSpec<P, Q, B> {
  method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "LOCK" | "UNLOCK";
  url: string;
  summary: string;
  access: Access;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** The response body's schema, for the OpenAPI document (responses are checked in tests). */
  response?: z.ZodType;
  /** Raw bodies (artifact uploads) are not parsed as JSON. */
  rawBody?: boolean;
  /** The largest body accepted, in bytes (default: the server's). */
  bodyLimit?: number;
  handler(request: RouteRequest<P, Q, B>): Promise<unknown>;
}

/** Every route registered, for the OpenAPI document and the authorization test. */
export interface RegisteredRoute {
  method: string;
  url: string;
  summary: string;
  access: Access;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  response?: z.ZodType;
}

/** An error a handler throws to answer with a status and a message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export class Router {
  readonly routes: RegisteredRoute[] = [];

  constructor(
    private readonly app: FastifyInstance,
    private readonly auth: Authenticator,
  ) {}

  add<P, Q, B>(spec: RouteSpec<P, Q, B>): void {
    this.routes.push(spec as RegisteredRoute);
    if (EXTENSION_METHODS.includes(spec.method) && !this.app.supportedMethods.includes(spec.method)) {
      this.app.addHttpMethod(spec.method, { hasBody: true });
    }
    this.app.route({
      method: spec.method,
      url: spec.url,
      ...(spec.bodyLimit !== undefined ? { bodyLimit: spec.bodyLimit } : {}),
      handler: async (request, reply) => {
        const principal = await this.auth.principal(bearerToken(request.headers.authorization));
        // Authorization before validation: a caller without the right token learns nothing of what
        // the route accepts. Project rules read only the path parameters, which the URL always has.
        await authorize(spec.access, {
          params: request.params,
          query: request.query,
          body: request.body,
          principal,
          raw: request,
          reply,
        });
        const params = parse(spec.params, request.params, "path parameters");
        const query = parse(spec.query, request.query, "query");
        const body = spec.rawBody ? (request.body as B) : parse(spec.body, request.body, "body");
        const routeRequest: RouteRequest<P, Q, B> = { params, query, body, principal, raw: request, reply };
        const result = await spec.handler(routeRequest);
        if (reply.sent) return reply;
        return result;
      },
    });
  }
}

async function authorize(access: Access, request: RouteRequest): Promise<void> {
  if (access === "public" || access === "signed") return;
  const principal = request.principal;
  if (principal === undefined) {
    throw new HttpError(401, "a valid API token is required", {
      hint: "send Authorization: Bearer <token> (slipway token create makes one)",
    });
  }
  if (access === "agent") {
    if (principal.kind !== "agent") throw new HttpError(403, "this route is for agents only");
    return;
  }
  const project = access.project ? await access.project(request) : undefined;
  if (!allows(principal, access.role, project)) {
    throw new HttpError(
      403,
      `${principal.kind === "agent" ? "an agent token" : `role ${principal.role}`} may not do this${project ? ` in project ${project}` : ""}: it needs ${access.role}`,
    );
  }
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (schema === undefined) return value as T;
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    path: i.path.join("."),
    message: i.message,
  }));
  const first = issues[0];
  throw new HttpError(
    400,
    `invalid ${where}${first ? `: ${first.path ? `${first.path}: ` : ""}${first.message}` : ""}`,
    { issues },
  );
}

/** Turns thrown errors into JSON answers; a SlipwayError keeps its message and hint. */
export function errorHandler(error: unknown, _request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof HttpError) {
    void reply
      .status(error.status)
      .send({ error: error.message, ...(error.details ? { details: error.details } : {}) });
    return;
  }
  if (error instanceof SlipwayError) {
    const status = error.code === "NOT_FOUND" ? 404 : error.code === "ENVIRONMENT" ? 502 : 400;
    void reply.status(status).send({ error: error.message, ...(error.hint ? { hint: error.hint } : {}) });
    return;
  }
  const fastifyError = error as { statusCode?: number; message?: string };
  if (fastifyError.statusCode && fastifyError.statusCode < 500) {
    void reply.status(fastifyError.statusCode).send({ error: fastifyError.message ?? "bad request" });
    return;
  }
  reply.log.error({ err: error }, "request failed");
  void reply.status(500).send({ error: "internal error" });
}

/** The OpenAPI 3.1 document of the registered routes, from their zod schemas. */
export function openApiDocument(routes: readonly RegisteredRoute[], version: string): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const url = route.url.replace(/:([A-Za-z_]+)/g, "{$1}").replace(/\*$/, "{path}");
    const operation: Record<string, unknown> = { summary: route.summary };
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ["path", route.params],
      ["query", route.query],
    ] as const) {
      if (!schema) continue;
      const json = z.toJSONSchema(schema, { io: "input" }) as {
        properties?: Record<string, unknown>;
        required?: string[];
      };
      for (const [name, property] of Object.entries(json.properties ?? {})) {
        parameters.push({
          name,
          in: where,
          required: where === "path" || (json.required ?? []).includes(name),
          schema: property,
        });
      }
    }
    if (parameters.length > 0) operation.parameters = parameters;
    if (route.body) {
      operation.requestBody = {
        required: true,
        content: { "application/json": { schema: z.toJSONSchema(route.body, { io: "input" }) } },
      };
    }
    operation.responses = {
      "200": {
        description: "OK",
        ...(route.response
          ? { content: { "application/json": { schema: z.toJSONSchema(route.response) } } }
          : {}),
      },
      ...(route.access === "public"
        ? {}
        : { "401": { description: "no valid token" }, "403": { description: "not allowed" } }),
    };
    if (typeof route.access === "object" || route.access === "agent") operation.security = [{ bearer: [] }];
    // A path item has fixed fields for the standard methods; others can only be extensions.
    const method = route.method.toLowerCase();
    (paths[url] ??= {})[EXTENSION_METHODS.includes(route.method) ? `x-${method}` : method] = operation;
  }
  return {
    openapi: "3.1.0",
    info: { title: "Slipway", version },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    paths,
  };
}
