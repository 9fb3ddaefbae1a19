import { Watch } from "@kubernetes/client-node";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Cluster } from "./client.js";
import { ApiClient } from "./rest.js";

/**
 * Resolves with the first state of one object for which `decide` returns a value (not
 * undefined), reading it once and then following a watch from that version: no polling delay,
 * and one open request per waiter instead of a GET every few hundred milliseconds. The watch is
 * restarted when the server ends it; `decide` may throw to fail the wait. Resolves undefined
 * when the object does not exist.
 */
export async function waitForObject<T extends KubernetesObject, R>(
  cluster: Cluster,
  ref: { apiVersion: string; kind: string; namespace: string; name: string },
  decide: (object: T) => R | undefined,
  signal?: AbortSignal,
): Promise<R | undefined> {
  for (;;) {
    signal?.throwIfAborted();
    const api = ApiClient.for(cluster);
    const resource = await api.resource(ref.apiVersion, ref.kind);
    const current =
      resource && ((await api.get(ref.apiVersion, resource, ref.namespace, ref.name)) as T | undefined);
    if (!current) return undefined;
    const now = decide(current);
    if (now !== undefined) return now;
    const outcome = await new Promise<{ value: R } | { error: unknown } | "restart">((resolve) => {
      let controller: AbortController | undefined;
      let settled = false;
      const settle = (value: { value: R } | { error: unknown } | "restart") => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        controller?.abort();
        resolve(value);
      };
      const onAbort = () => settle({ error: signal?.reason });
      signal?.addEventListener("abort", onAbort, { once: true });
      const path = api.objectPath(ref.apiVersion, resource, ref.namespace);
      new Watch(cluster.config)
        .watch(
          path,
          {
            fieldSelector: `metadata.name=${ref.name}`,
            resourceVersion: current.metadata?.resourceVersion,
            allowWatchBookmarks: true,
          },
          (phase, object: T) => {
            if (phase === "DELETED") return settle("restart");
            if (phase !== "ADDED" && phase !== "MODIFIED") return;
            try {
              const value = decide(object);
              if (value !== undefined) settle({ value });
            } catch (error) {
              settle({ error });
            }
          },
          // The server closes watches after a while, or the version is too old: read again.
          () => settle("restart"),
        )
        .then((c) => {
          controller = c;
          if (settled) c.abort();
        })
        .catch(() => settle("restart"));
    });
    if (outcome === "restart") continue;
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  }
}
