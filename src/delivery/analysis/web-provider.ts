import { parseJsonPath, readJsonPath } from "./json-path.js";
import type { ProviderContext, ProviderOutcome } from "./provider.js";
import { withTimeout } from "./provider.js";
import type { WebProviderSpec } from "./types.js";

/**
 * Argo's web provider (metricproviders/webmetric): a request whose JSON answer, or the part
 * `jsonPath` picks, is `result`. A non-2xx status, a body that is not JSON and a path that
 * matches nothing are Error measurements. Argo's older versions handed conditions the picked
 * value as a string; this keeps its JSON type (`result.ok == true`, `result >= 0.95`), as
 * Argo's newer ones do.
 */

const DEFAULT_TIMEOUT_MS = 10_000;

export async function callWeb(spec: WebProviderSpec, context: ProviderContext): Promise<ProviderOutcome> {
  const path = parseJsonPath(spec.jsonPath ?? "$");
  const timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return withTimeout(context, timeoutMs, `${spec.method ?? "GET"} ${spec.url}`, async (signal) => {
    const init: RequestInit = { method: spec.method ?? "GET", headers: spec.headers ?? {}, signal };
    if (spec.body !== undefined) init.body = spec.body;
    const response = await context.fetch(spec.url, init);
    const text = await response.text();
    if (response.status < 200 || response.status >= 300) {
      throw new Error(
        `received non 2xx response code: ${response.status}${text === "" ? "" : `: ${text.slice(0, 200)}`}`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new Error(`could not parse the JSON body: ${(error as Error).message}`);
    }
    const match = readJsonPath(body, path);
    if (!match.found)
      throw new Error(`could not find jsonPath ${spec.jsonPath ?? "$"} in the body: ${match.missing}`);
    return { kind: "value", value: match.value };
  });
}
