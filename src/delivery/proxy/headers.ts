import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from "node:http";

/**
 * Headers that describe one connection, not the message (RFC 9110 section 7.6.1): passing them on
 * would make the backend or the client act on a connection they are not part of.
 */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** `headers` without hop-by-hop headers, including those the `Connection` header names. */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    (headers.connection ?? "")
      .split(",")
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== ""),
  );
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    result[name] = value;
  }
  return result;
}

/**
 * The headers to send the backend: the client's end-to-end headers (Host included, so virtual
 * hosts keep working) and the de facto X-Forwarded-* headers. A proto or host set by a proxy in
 * front of this one is kept: it knows what the client used, this proxy only sees plain HTTP.
 */
export function upstreamRequestHeaders(req: IncomingMessage): OutgoingHttpHeaders {
  const headers = endToEndHeaders(req.headers);
  const client = req.socket.remoteAddress ?? "unknown";
  const prior = req.headers["x-forwarded-for"];
  const chain = Array.isArray(prior) ? prior.join(", ") : prior;
  headers["x-forwarded-for"] = chain === undefined || chain === "" ? client : `${chain}, ${client}`;
  headers["x-forwarded-proto"] ??= "http";
  if (req.headers.host !== undefined) headers["x-forwarded-host"] ??= req.headers.host;
  return headers;
}
