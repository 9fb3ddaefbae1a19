import createClient from "openapi-fetch";
import type { Middleware } from "openapi-fetch";
import type { paths } from "./schema.js";

/*
 * The UI's one way to the server: openapi-fetch over the types generated from the server's
 * OpenAPI document (schema.d.ts), so a route or field the server does not have fails the type
 * check. The token lives in sessionStorage: it is gone when the tab closes, and other tabs and
 * sites cannot read it.
 */

const TOKEN_KEY = "slipway.token";

export const session = {
  token: (): string | undefined => sessionStorage.getItem(TOKEN_KEY) ?? undefined,
  save: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

/** Every request carries the session's token; a 401 ends the session (revoked or unknown token). */
const withToken: Middleware = {
  onRequest({ request }) {
    const token = session.token();
    if (token) request.headers.set("authorization", `Bearer ${token}`);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401 && session.token()) window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
    return response;
  },
};

/** Dispatched on window when the server refuses the session's token. */
export const UNAUTHORIZED_EVENT = "slipway:unauthorized";

export const client = createClient<paths>({ baseUrl: window.location.origin });
client.use(withToken);

/** A refusal or failure as the server explained it: its `error`, and its `hint` when it gave one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint: string | undefined,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The server's error body: `{ error, hint? }`, or `{ error, details: { hint?, issues? } }`. */
interface ErrorBody {
  error?: unknown;
  hint?: unknown;
  details?: { hint?: unknown; issues?: { path?: unknown; message?: unknown }[] };
}

export function toApiError(status: number, body: unknown, fallback: string): ApiError {
  const parsed = (typeof body === "object" && body !== null ? body : {}) as ErrorBody;
  const message = typeof parsed.error === "string" ? parsed.error : fallback;
  const hint =
    typeof parsed.hint === "string"
      ? parsed.hint
      : typeof parsed.details?.hint === "string"
        ? parsed.details.hint
        : undefined;
  return new ApiError(status, message, hint);
}

/** The data of a successful call; an ApiError carrying the server's explanation otherwise. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<NonNullable<T>> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "the server cannot be reached", "is slipway serve running?");
  }
  const { data, error, response } = result;
  if (!response.ok || data === undefined) {
    throw toApiError(response.status, error, `${response.status} ${response.statusText}`.trim());
  }
  return data as NonNullable<T>;
}

/**
 * Downloads a file the API serves (an artifact): links cannot carry the Authorization header, so
 * the file is fetched with the token and handed to the browser as a blob.
 */
export async function download(url: string, filename: string): Promise<void> {
  const token = session.token();
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => undefined);
    throw toApiError(response.status, body, `${response.status} ${response.statusText}`);
  }
  const blob = await response.blob();
  const href = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = href;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has started the download from the blob; it can go once the click is handled.
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}
