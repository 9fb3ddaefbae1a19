import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { link, mkdir, open, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { EnvironmentError, InternalError } from "../errors/index.js";

/** The environment variable that holds the key, taking precedence over a key file. */
export const SECRET_KEY_ENV = "SLIPWAY_SECRET_KEY";

const KEY_BYTES = 32;
/** 96-bit IVs are the size GCM is specified for (NIST SP 800-38D); other sizes are hashed first. */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = "v1";

/** A stored secret that cannot be read back: wrong key, wrong scope, or altered at rest. */
export class SecretDecryptionError extends EnvironmentError {}

function parseKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const hint = "generate one with `openssl rand -hex 32`";
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, "hex");
  if (/^[0-9a-fA-F]+$/.test(trimmed) && trimmed.length !== 43 && trimmed.length !== 44) {
    throw new EnvironmentError(
      `the secret key in ${source} is ${trimmed.length} hex characters; expected 64`,
      {
        hint,
      },
    );
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    throw new EnvironmentError(`the secret key in ${source} is neither 64 hex characters nor base64`, {
      hint,
    });
  }
  const key = Buffer.from(trimmed, /[-_]/.test(trimmed) ? "base64url" : "base64");
  if (key.length !== KEY_BYTES) {
    throw new EnvironmentError(
      `the secret key in ${source} decodes to ${key.length} bytes; AES-256 needs ${KEY_BYTES} (64 hex or 44 base64 characters)`,
      { hint },
    );
  }
  return key;
}

/**
 * Reads the 32-byte key that encrypts secrets at rest: from SLIPWAY_SECRET_KEY when set, else
 * from `keyFile`. Either holds 64 hex characters or base64. A key file that other users can
 * read or write is refused, as ssh refuses such a private key: whoever reads it reads every secret.
 */
export function loadKey(options: {
  keyFile?: string | undefined;
  env?: Record<string, string | undefined>;
}): Buffer {
  const env = options.env ?? process.env;
  const fromEnv = env[SECRET_KEY_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== "") return parseKey(fromEnv, SECRET_KEY_ENV);
  const file = options.keyFile;
  if (file === undefined) {
    throw new EnvironmentError(`no secret key: set ${SECRET_KEY_ENV} or give a key file`, {
      hint: "create a key with `openssl rand -hex 32`, readable by the server's user only",
    });
  }
  let text: string;
  try {
    const stat = statSync(file);
    if (process.platform !== "win32" && (stat.mode & 0o007) !== 0) {
      throw new EnvironmentError(
        `secret key file ${file} is accessible by other users (mode ${(stat.mode & 0o777).toString(8)})`,
        { hint: `chmod 600 ${file}` },
      );
    }
    text = readFileSync(file, "utf8");
  } catch (error) {
    if (error instanceof EnvironmentError) throw error;
    throw new EnvironmentError(`cannot read secret key file ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseKey(text, file);
}

/**
 * Creates a key file holding a fresh random key as hex, readable by its owner only, and returns
 * the key. The file is written under a temporary name and then linked into place, so a crash
 * leaves no half-written key, and an existing key is never replaced: overwriting it would make
 * every stored secret unreadable. (config/atomic-write.ts renames over the target and cannot set
 * a mode, hence this variant.)
 */
export async function generateKeyFile(path: string): Promise<Buffer> {
  const key = randomBytes(KEY_BYTES);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    const handle = await open(temporary, "wx", 0o600);
    try {
      await handle.writeFile(`${key.toString("hex")}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new EnvironmentError(`secret key file ${path} already exists; refusing to replace it`, {
        hint: "secrets encrypted with the existing key could no longer be read; remove it yourself if that is intended",
        cause: error,
      });
    }
    throw new EnvironmentError(`cannot create secret key file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await rm(temporary, { force: true });
  }
  return key;
}

function checkKey(key: Buffer): void {
  if (key.length !== KEY_BYTES)
    throw new InternalError(`secret key is ${key.length} bytes, expected ${KEY_BYTES}`);
}

/**
 * Encrypts with AES-256-GCM under a fresh random IV. `associatedData` names where the secret
 * belongs (e.g. "project/web/DATABASE_URL"): it is authenticated, not stored, so a ciphertext
 * copied to another project's row fails to decrypt instead of leaking there.
 * Output: `v1:<base64 iv>:<base64 tag>:<base64 ciphertext>`.
 */
export function encryptSecret(key: Buffer, plaintext: string, associatedData: string): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(associatedData, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [FORMAT, iv.toString("base64"), tag.toString("base64"), ciphertext.toString("base64")].join(":");
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Reverses encryptSecret; throws SecretDecryptionError when anything but the exact key, scope and bytes is given. */
export function decryptSecret(key: Buffer, text: string, associatedData: string): string {
  checkKey(key);
  const parts = text.split(":");
  const [version, ivText, tagText, ciphertextText] = parts;
  if (version !== FORMAT) {
    throw new SecretDecryptionError(`stored secret has format '${version ?? ""}', expected '${FORMAT}'`, {
      hint: "the value was not written by this version of Slipway, or is not an encrypted secret",
    });
  }
  if (
    parts.length !== 4 ||
    ivText === undefined ||
    tagText === undefined ||
    ciphertextText === undefined ||
    ![ivText, tagText, ciphertextText].every((part) => BASE64.test(part))
  ) {
    throw new SecretDecryptionError(
      "stored secret is malformed: expected v1:<iv>:<tag>:<ciphertext> in base64",
    );
  }
  const iv = Buffer.from(ivText, "base64");
  const tag = Buffer.from(tagText, "base64");
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new SecretDecryptionError(
      `stored secret is malformed: IV is ${iv.length} bytes and tag ${tag.length}, expected ${IV_BYTES} and ${TAG_BYTES}`,
    );
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData, "utf8"));
    decipher.setAuthTag(tag);
    const plaintext = Buffer.concat([
      decipher.update(Buffer.from(ciphertextText, "base64")),
      decipher.final(),
    ]);
    return plaintext.toString("utf8");
  } catch (error) {
    throw new SecretDecryptionError(
      `secret for ${associatedData} cannot be decrypted: the key is not the one it was encrypted with, it belongs to another scope, or it was altered`,
      { hint: `check ${SECRET_KEY_ENV} or the key file is the server's key`, cause: error },
    );
  }
}
