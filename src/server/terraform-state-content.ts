import { isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { constants, deflateRaw, inflateRaw } from "node:zlib";
import { InternalError } from "../errors/index.js";
import { decryptSecret, encryptSecret } from "../secrets/crypto.js";
import { HttpError } from "./http.js";

/** What the server reads from a state body: the two fields its checks need, and what identifies the bytes. */
export interface StateContent {
  serial: number;
  lineage: string;
  sha256: string;
  sizeBytes: number;
}

/**
 * Reads a state as Terraform sends it: a JSON object with `serial` and `lineage` (every state
 * format since 0.9 has both). `parsed` is the body when the JSON content parser already read it.
 * The checksum is over the exact bytes received, which are also what is stored and served.
 */
export function readState(bytes: Buffer, parsed?: unknown): StateContent {
  if (bytes.length === 0) throw new HttpError(400, "the body is empty: a state is a JSON object");
  if (!isUtf8(bytes)) throw new HttpError(400, "the state is not UTF-8 text");
  let state = parsed;
  if (state === undefined) {
    try {
      state = JSON.parse(bytes.toString("utf8"));
    } catch {
      throw new HttpError(400, "the state is not valid JSON");
    }
  }
  const { serial, lineage } = (state ?? {}) as { serial?: unknown; lineage?: unknown };
  if (typeof state !== "object" || state === null || Array.isArray(state)) {
    throw new HttpError(400, "the state is not a JSON object");
  }
  if (typeof serial !== "number" || !Number.isSafeInteger(serial) || serial < 0) {
    throw new HttpError(400, "the state has no serial (a whole number): is it a Terraform state?");
  }
  if (typeof lineage !== "string" || lineage === "") {
    throw new HttpError(400, "the state has no lineage: is it a Terraform state?");
  }
  return {
    serial,
    lineage,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    sizeBytes: bytes.length,
  };
}

/**
 * Terraform's client sends Content-MD5 with every state (base64 of the digest); a body that does
 * not match it was damaged on the way and is refused rather than stored.
 */
export function checkContentMd5(bytes: Buffer, header: string | undefined): void {
  if (header === undefined || header === "") return;
  const actual = createHash("md5").update(bytes).digest("base64");
  if (actual !== header.trim()) {
    throw new HttpError(400, "the body does not match its Content-MD5 header: it was altered in transit");
  }
}

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);
const PACKED = "deflate:";

/**
 * The text a state is encrypted as: deflated, then base64 (encryptSecret takes text). States are
 * repetitive JSON, 5 to 20 times smaller deflated, and every write of one is kept; compressing
 * on the thread pool keeps a state of tens of MB from stalling other requests.
 */
export async function packState(bytes: Buffer): Promise<string> {
  // The fastest level: a quarter of the default's CPU for a few percent more bytes on JSON.
  return `${PACKED}${(await deflate(bytes, { level: constants.Z_BEST_SPEED })).toString("base64")}`;
}

/*
 * Encrypted at rest with the key that encrypts project secrets. The associated data names the
 * state and version, so a stored ciphertext moved to another row fails to decrypt instead of
 * being served as that state.
 */
const scope = (project: string, name: string, version: number) =>
  `terraform-state/${project}/${name}/${version}`;

export function sealState(
  key: Buffer,
  project: string,
  name: string,
  version: number,
  packed: string,
): string {
  return encryptSecret(key, packed, scope(project, name, version));
}

/** The exact bytes that were written. */
export async function openState(
  key: Buffer,
  project: string,
  name: string,
  version: number,
  sealed: string,
): Promise<Buffer> {
  const packed = decryptSecret(key, sealed, scope(project, name, version));
  if (!packed.startsWith(PACKED)) {
    throw new InternalError(`version ${version} of ${project}/${name} is stored in an unknown form`);
  }
  return inflate(Buffer.from(packed.slice(PACKED.length), "base64"));
}

/**
 * The state with its serial replaced. A rollback serves old content as the newest version: with
 * its old serial, the next `terraform apply` would write a serial below the current one and be
 * refused, so the copy takes the next serial (as `terraform state push` of an old state needs).
 */
export function withSerial(text: string, serial: number): string {
  const state = JSON.parse(text) as Record<string, unknown>;
  return `${JSON.stringify({ ...state, serial }, null, 2)}\n`;
}
