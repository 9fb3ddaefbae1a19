import http from "node:http";
import https from "node:https";
import { ApiException } from "@kubernetes/client-node";
import type { KubernetesObject } from "@kubernetes/client-node";
import { EnvironmentError } from "../errors/index.js";
import type { Cluster } from "./client.js";
import { FIELD_MANAGER, applyError, describe, kubernetesError } from "./client.js";

/**
 * Plain JSON requests to the API server, for the sync engine.
 *
 * Why not `cluster.objects` (the client's KubernetesObjectApi): it passes bodies through the
 * client's typed models, which (1) drop every field the 1.4.0 models do not know, so a typo in a
 * manifest is never seen by the server's field validation and fields newer than the models vanish
 * from applies and from what drift is computed on, and (2) map JSON names to model names, so a
 * CustomResourceDefinition's `default:`, `enum:` and `x-kubernetes-*` schema keys are silently
 * lost. It also builds a new TLS agent per request; a status of 500 objects is 1,000 requests,
 * which with a handshake each costs seconds. This client sends the manifest's JSON as it is,
 * over one keep-alive agent, and reports failures as the same `ApiException` the client throws,
 * so `apiStatus`, `isNotFound` and `kubernetesError` read them alike.
 */

/** What discovery says about one kind in one group/version. */
export interface ResourceInfo {
  /** The plural resource name of the URL, e.g. `deployments`. */
  name: string;
  namespaced: boolean;
}

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

const APPLY_PATCH = "application/apply-patch+yaml";
/** Sockets per cluster: the sync engine's request concurrency, with room for discovery. */
const MAX_SOCKETS = 32;

const clients = new WeakMap<Cluster, ApiClient>();

export class ApiClient {
  readonly #cluster: Cluster;
  readonly #base: URL;
  #agent: http.Agent | undefined;
  /** Discovery per group/version, shared by concurrent callers (one request per group/version). */
  readonly #discovery = new Map<string, Promise<Map<string, ResourceInfo> | undefined>>();

  private constructor(cluster: Cluster) {
    this.#cluster = cluster;
    this.#base = new URL(cluster.server);
  }

  /** One client (one connection pool, one discovery cache) per cluster connection. */
  static for(cluster: Cluster): ApiClient {
    let client = clients.get(cluster);
    if (!client) {
      client = new ApiClient(cluster);
      clients.set(cluster, client);
    }
    return client;
  }

  /** Sends one request; a non-2xx answer throws an `ApiException` carrying the API server's Status. */
  async request<T = unknown>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    // Credentials are asked for on every request: exec plugins and token files may rotate them.
    const auth: https.RequestOptions = {};
    await this.#cluster.config.applyToHTTPSOptions(auth);
    // Through a proxy-url, the client's own proxy agent (kept: one pool); otherwise a keep-alive agent.
    this.#agent ??=
      this.#cluster.config.getCurrentCluster()?.proxyUrl && auth.agent instanceof http.Agent
        ? auth.agent
        : this.#newAgent(auth);
    const url = new URL(this.#base.pathname.replace(/\/$/, "") + path, this.#base);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const headers: http.OutgoingHttpHeaders = { accept: "application/json" };
    // Credentials from the kubeconfig (a bearer token, an exec plugin's) come as plain headers.
    if (auth.headers && !Array.isArray(auth.headers)) Object.assign(headers, auth.headers);
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers["content-type"] = options.contentType ?? "application/json";
      headers["content-length"] = Buffer.byteLength(payload);
    }
    const send = url.protocol === "https:" ? https.request : http.request;
    const { status, text, responseHeaders } = await new Promise<{
      status: number;
      text: string;
      responseHeaders: http.IncomingHttpHeaders;
    }>((resolve, reject) => {
      const req = send(
        url,
        { method, headers, agent: this.#agent, timeout: 60_000, ...(auth.auth ? { auth: auth.auth } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              text: Buffer.concat(chunks).toString("utf8"),
              responseHeaders: res.headers,
            }),
          );
        },
      );
      req.on("timeout", () => req.destroy(new Error("no answer within 60 s")));
      req.on("error", reject);
      req.end(payload);
    }).catch((error: unknown) => {
      throw new EnvironmentError(
        `cannot reach the Kubernetes API server at ${this.#cluster.server}: ${(error as Error).message}`,
        { hint: "check that the cluster is up and the kubeconfig's server address is right", cause: error },
      );
    });
    let body: unknown = text;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      // Not JSON (a proxy's HTML error page): keep the text for the message.
    }
    if (status < 200 || status > 299) {
      throw new ApiException(
        status,
        `${method} ${url.pathname}`,
        body,
        responseHeaders as Record<string, string>,
      );
    }
    return { status, body: body as T };
  }

  #newAgent(auth: https.RequestOptions): http.Agent {
    // Idle sockets close after 15 s, well before the API server drops them, so that a --watch
    // round never picks a socket the server is closing.
    const pool = { keepAlive: true, maxSockets: MAX_SOCKETS, timeout: 15_000 };
    if (this.#base.protocol !== "https:") return new http.Agent(pool);
    const cluster = this.#cluster.config.getCurrentCluster();
    return new https.Agent({
      ...pool,
      ...(auth.ca ? { ca: auth.ca } : {}),
      ...(auth.cert ? { cert: auth.cert } : {}),
      ...(auth.key ? { key: auth.key } : {}),
      ...(auth.pfx ? { pfx: auth.pfx } : {}),
      ...(auth.passphrase ? { passphrase: auth.passphrase } : {}),
      ...(cluster?.skipTLSVerify ? { rejectUnauthorized: false } : {}),
      ...(cluster?.tlsServerName ? { servername: cluster.tlsServerName } : {}),
    });
  }

  /** The resource serving `kind` in `apiVersion`, or undefined when the API server has none. */
  async resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const found = (await this.#resources(apiVersion))?.get(kind);
    return found;
  }

  /** Forgets what discovery said about a group/version: a CRD just established adds kinds to it. */
  forget(apiVersion: string): void {
    this.#discovery.delete(apiVersion);
  }

  #resources(apiVersion: string): Promise<Map<string, ResourceInfo> | undefined> {
    let pending = this.#discovery.get(apiVersion);
    if (!pending) {
      pending = this.request<{ resources?: { name: string; kind: string; namespaced: boolean }[] }>(
        "GET",
        groupVersionPath(apiVersion),
      ).then(
        ({ body }) => {
          const kinds = new Map<string, ResourceInfo>();
          // Subresources (deployments/scale) share kinds with their parents; only top-level names address objects.
          for (const r of body.resources ?? [])
            if (!r.name.includes("/")) kinds.set(r.kind, { name: r.name, namespaced: r.namespaced });
          return kinds;
        },
        (error: unknown) => {
          this.#discovery.delete(apiVersion);
          if (error instanceof ApiException && error.code === 404) return undefined;
          throw kubernetesError(`cannot discover the API group ${apiVersion}`, error);
        },
      );
      this.#discovery.set(apiVersion, pending);
    }
    return pending;
  }

  /** The URL path of an object (its collection when `name` is omitted). */
  objectPath(
    apiVersion: string,
    resource: ResourceInfo,
    namespace: string | undefined,
    name?: string,
  ): string {
    const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
    return `${groupVersionPath(apiVersion)}${ns}/${resource.name}${name === undefined ? "" : `/${encodeURIComponent(name)}`}`;
  }

  /** Server-side apply under Slipway's field manager; the status tells a create (201) from an update (200). */
  async apply(
    object: KubernetesObject,
    resource: ResourceInfo,
    options: { force?: boolean | undefined; dryRun?: boolean | undefined },
  ): Promise<ApiResponse<KubernetesObject>> {
    const path = this.objectPath(
      object.apiVersion ?? "v1",
      resource,
      object.metadata?.namespace,
      object.metadata?.name ?? "",
    );
    return this.request<KubernetesObject>("PATCH", path, {
      // JSON is YAML: the apply content type takes it as it is.
      contentType: APPLY_PATCH,
      body: object,
      query: {
        fieldManager: FIELD_MANAGER,
        force: options.force ? "true" : undefined,
        dryRun: options.dryRun ? "All" : undefined,
        // Unknown or duplicate fields are errors, not silently dropped (kubectl's default too).
        fieldValidation: "Strict",
      },
    });
  }

  /** Every object of a kind (in a namespace, or in all) matching a label selector, page by page. */
  async list(
    apiVersion: string,
    kind: string,
    resource: ResourceInfo,
    namespace: string | undefined,
    labelSelector: string,
  ): Promise<KubernetesObject[]> {
    const items: KubernetesObject[] = [];
    let next: string | undefined;
    do {
      const { body } = await this.request<{ items?: KubernetesObject[]; metadata?: { continue?: string } }>(
        "GET",
        this.objectPath(apiVersion, resource, namespace),
        { query: { labelSelector, limit: "500", continue: next } },
      );
      // A list's items carry no apiVersion and kind; the objects a GET returns do.
      for (const item of body.items ?? []) items.push({ apiVersion, kind, ...item });
      next = body.metadata?.continue || undefined;
    } while (next);
    return items;
  }

  /** The live object, or undefined when there is none. */
  async get(
    apiVersion: string,
    resource: ResourceInfo,
    namespace: string | undefined,
    name: string,
  ): Promise<KubernetesObject | undefined> {
    try {
      return (
        await this.request<KubernetesObject>("GET", this.objectPath(apiVersion, resource, namespace, name))
      ).body;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }
}

/** `/api/v1` for the core group, `/apis/GROUP/VERSION` for the others. */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** An error of a request about `object`, in kubectl's words for the object. */
export function objectError(verb: string, object: KubernetesObject, error: unknown): Error {
  if (error instanceof EnvironmentError) return error;
  return kubernetesError(`cannot ${verb} ${describe(object)}`, error);
}

/**
 * Server-side apply of one object under Slipway's field manager, as it is (no typed models in
 * between); resolves to the live object. A conflict throws ApplyConflictError.
 */
export async function serverSideApply<T extends KubernetesObject>(
  cluster: Cluster,
  object: T,
  options: { force?: boolean; dryRun?: boolean } = {},
): Promise<T> {
  const api = ApiClient.for(cluster);
  const apiVersion = object.apiVersion ?? "v1";
  const resource = await api.resource(apiVersion, object.kind ?? "");
  if (!resource) {
    throw new EnvironmentError(`the API server does not serve ${object.kind ?? "?"} in ${apiVersion}`, {
      hint: "install the CustomResourceDefinition first, or check the apiVersion",
    });
  }
  try {
    return (await api.apply(object, resource, options)).body as T;
  } catch (error) {
    throw applyError(describe(object), error);
  }
}
