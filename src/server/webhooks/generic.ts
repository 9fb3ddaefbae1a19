import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { commitSha, parsePayload } from "./payload.js";
import type { TriggerRequest, WebhookOutcome } from "./types.js";

/** Header names of Slipway's own signed webhook, for senders that are not GitHub or GitLab. */
export const GENERIC_TIMESTAMP_HEADER = "X-Slipway-Timestamp";
export const GENERIC_SIGNATURE_HEADER = "X-Slipway-Signature";
export const GENERIC_DELIVERY_HEADER = "X-Slipway-Delivery";

/** How old (or how far in the future) a signed timestamp may be, by default. */
export const DEFAULT_GENERIC_TOLERANCE_SECONDS = 300;

function hmac(secret: string, timestamp: string, rawBody: Buffer | string): Buffer {
  return createHmac("sha256", secret).update(`${timestamp}.`, "utf8").update(rawBody).digest();
}

/**
 * Signs a body the way `verifyGeneric` checks it. The timestamp is inside the HMAC, as in
 * Stripe's scheme, so a captured delivery cannot be replayed later with a fresh timestamp.
 */
export function signGeneric(
  secret: string,
  rawBody: Buffer | string,
  timestampSeconds: number,
): { timestamp: string; signature: string } {
  const timestamp = String(Math.floor(timestampSeconds));
  return { timestamp, signature: `sha256=${hmac(secret, timestamp, rawBody).toString("hex")}` };
}

/**
 * Checks a generic delivery's signature, then its age: a request older than the tolerance is
 * refused even when authentic, and so is one from further in the future (a sender's clock
 * running ahead must not make its deliveries replayable for longer). The reason is for the
 * response body and the server log; it never contains the expected signature.
 */
export function verifyGeneric(
  secret: string,
  rawBody: Buffer | string,
  headers: { timestamp?: string | undefined; signature?: string | undefined },
  nowSeconds: number,
  toleranceSeconds: number = DEFAULT_GENERIC_TOLERANCE_SECONDS,
): { ok: true } | { ok: false; reason: string } {
  if (secret === "") return { ok: false, reason: "no webhook secret is configured" };
  if (headers.timestamp === undefined)
    return { ok: false, reason: `missing ${GENERIC_TIMESTAMP_HEADER} header` };
  if (headers.signature === undefined)
    return { ok: false, reason: `missing ${GENERIC_SIGNATURE_HEADER} header` };
  const timestamp = headers.timestamp.trim();
  if (!/^\d{1,15}$/.test(timestamp)) {
    return { ok: false, reason: `${GENERIC_TIMESTAMP_HEADER} must be unix seconds` };
  }
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(headers.signature.trim());
  if (!match?.[1]) return { ok: false, reason: `${GENERIC_SIGNATURE_HEADER} must be sha256=<64 hex digits>` };
  if (!timingSafeEqual(hmac(secret, timestamp, rawBody), Buffer.from(match[1], "hex"))) {
    return { ok: false, reason: "signature does not match the body and timestamp" };
  }
  const skew = nowSeconds - Number(timestamp);
  if (skew > toleranceSeconds) {
    return {
      ok: false,
      reason: `timestamp is ${Math.floor(skew)} s old, more than the ${toleranceSeconds} s allowed`,
    };
  }
  if (-skew > toleranceSeconds) {
    return {
      ok: false,
      reason: `timestamp is ${Math.floor(-skew)} s in the future, more than the ${toleranceSeconds} s allowed`,
    };
  }
  return { ok: true };
}

const genericPayload = z.object({
  ref: z.string().regex(/^refs\/[^\s]+$/, "expected a full ref such as refs/heads/main or refs/tags/v1"),
  sha: commitSha.optional(),
  event: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, "expected an event name such as push")
    .default("push"),
  inputs: z.record(z.string(), z.string()).default({}),
  actor: z.string().min(1).optional(),
  /** Optional: the webhook URL usually names the project already. */
  repository: z.string().min(1).optional(),
});

/**
 * Maps a verified generic delivery. Body: `{ ref, sha?, event? = "push", inputs?, actor?, repository? }`.
 * Without `sha` the server resolves `ref` in the project's repository.
 */
export function genericWebhook(payload: unknown, deliveryId?: string): WebhookOutcome {
  const body = parsePayload(genericPayload, payload, "generic webhook");
  const request: TriggerRequest = {
    source: "generic",
    event: body.event,
    ref: body.ref,
    sha: body.sha ?? "",
    actor: body.actor ?? "webhook",
    repository: body.repository ?? "",
    repositoryUrls: [],
    inputs: body.inputs,
    payload,
    deliveryId,
  };
  return { kind: "trigger", request };
}
