import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvironmentError } from "../../src/errors/index.js";
import {
  SecretDecryptionError,
  decryptSecret,
  encryptSecret,
  generateKeyFile,
  loadKey,
} from "../../src/secrets/crypto.js";

const run = promisify(execFile);
const key = randomBytes(32);
const scope = "project/web-shop/DATABASE_URL";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "slipway-secrets-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function decryptError(action: () => unknown): SecretDecryptionError {
  try {
    action();
  } catch (error) {
    if (error instanceof SecretDecryptionError) return error;
    throw error;
  }
  throw new Error("expected decryption to fail");
}

/** Flips one bit of the base64 field `index` (1 iv, 2 tag, 3 ciphertext). */
function flip(text: string, index: number): string {
  const parts = text.split(":");
  const bytes = Buffer.from(parts[index] ?? "", "base64");
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  parts[index] = bytes.toString("base64");
  return parts.join(":");
}

describe("encryptSecret / decryptSecret", () => {
  it("round-trips text, including empty and non-ASCII values", () => {
    for (const plaintext of [
      "postgres://app:hunter2@db:5432/shop",
      "",
      "pässwörd ✓ 🔑",
      "x".repeat(100_000),
    ]) {
      const text = encryptSecret(key, plaintext, scope);
      expect(text).toMatch(/^v1:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/]{22}==:[A-Za-z0-9+/=]*$/);
      if (plaintext !== "") expect(text).not.toContain(plaintext);
      expect(decryptSecret(key, text, scope)).toBe(plaintext);
    }
  });

  it("uses a fresh 12-byte IV each time, so equal secrets do not look equal", () => {
    const texts = Array.from({ length: 200 }, () => encryptSecret(key, "same value", scope));
    const ivs = texts.map((text) => text.split(":")[1] ?? "");
    expect(new Set(ivs).size).toBe(texts.length);
    expect(new Set(texts.map((text) => text.split(":")[3])).size).toBe(texts.length);
    expect(Buffer.from(ivs[0] ?? "", "base64")).toHaveLength(12);
  });

  it("writes standard AES-256-GCM fields that a separate process decrypts", async () => {
    // Node decrypting what Node encrypted proves little; a second process with its own
    // decipher checks the format's fields mean what they say.
    const text = encryptSecret(key, "cross-checked", scope);
    const [, iv, tag, ciphertext] = text.split(":");
    const script = `
      const c = require("node:crypto");
      const d = c.createDecipheriv("aes-256-gcm", Buffer.from(process.env.K, "hex"), Buffer.from(process.env.IV, "base64"));
      d.setAAD(Buffer.from(process.env.AD));
      d.setAuthTag(Buffer.from(process.env.TAG, "base64"));
      process.stdout.write(Buffer.concat([d.update(Buffer.from(process.env.CT, "base64")), d.final()]));`;
    const { stdout } = await run(process.execPath, ["-e", script], {
      env: { K: key.toString("hex"), IV: iv, TAG: tag, CT: ciphertext, AD: scope },
    });
    expect(stdout).toBe("cross-checked");
  });

  it("detects a changed ciphertext, tag or IV", () => {
    const text = encryptSecret(key, "s3cret value", scope);
    for (const index of [1, 2, 3]) {
      const error = decryptError(() => decryptSecret(key, flip(text, index), scope));
      expect(error.message).toMatch(/cannot be decrypted/);
      expect(error).toBeInstanceOf(EnvironmentError);
    }
  });

  it("refuses another scope's associated data, so a value copied between projects does not decrypt", () => {
    const text = encryptSecret(key, "s3cret value", scope);
    const error = decryptError(() => decryptSecret(key, text, "project/other/DATABASE_URL"));
    expect(error.message).toContain("project/other/DATABASE_URL cannot be decrypted");
  });

  it("refuses the wrong key", () => {
    const text = encryptSecret(key, "s3cret value", scope);
    const error = decryptError(() => decryptSecret(randomBytes(32), text, scope));
    expect(error.message).toMatch(/not the one it was encrypted with/);
    expect(error.hint).toContain("SLIPWAY_SECRET_KEY");
  });

  it("refuses other formats and malformed fields with their own message", () => {
    const text = encryptSecret(key, "s3cret value", scope);
    expect(decryptError(() => decryptSecret(key, text.replace(/^v1/, "v2"), scope)).message).toMatch(
      /format 'v2', expected 'v1'/,
    );
    expect(decryptError(() => decryptSecret(key, "plain text", scope)).message).toMatch(/format/);
    expect(decryptError(() => decryptSecret(key, `${text}:extra`, scope)).message).toMatch(/malformed/);
    const shortIv = text.split(":");
    shortIv[1] = Buffer.alloc(8).toString("base64");
    expect(decryptError(() => decryptSecret(key, shortIv.join(":"), scope)).message).toMatch(/IV is 8 bytes/);
  });
});

describe("loadKey", () => {
  const hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

  it("reads a key from SLIPWAY_SECRET_KEY as hex or base64, before any key file", () => {
    expect(loadKey({ env: { SLIPWAY_SECRET_KEY: hex } }).toString("hex")).toBe(hex);
    expect(loadKey({ env: { SLIPWAY_SECRET_KEY: hex.toUpperCase() } }).toString("hex")).toBe(hex);
    const base64 = Buffer.from(hex, "hex").toString("base64");
    expect(loadKey({ env: { SLIPWAY_SECRET_KEY: ` ${base64}\n` } }).toString("hex")).toBe(hex);
    const base64url = Buffer.from(hex, "hex").toString("base64url");
    expect(loadKey({ env: { SLIPWAY_SECRET_KEY: base64url } }).toString("hex")).toBe(hex);
    expect(loadKey({ env: { SLIPWAY_SECRET_KEY: hex }, keyFile: join(dir, "absent") }).toString("hex")).toBe(
      hex,
    );
  });

  it("says what is wrong with a key of the wrong length or encoding", () => {
    const message = (value: string): string => {
      try {
        loadKey({ env: { SLIPWAY_SECRET_KEY: value } });
      } catch (error) {
        expect(error).toBeInstanceOf(EnvironmentError);
        return (error as EnvironmentError).message;
      }
      throw new Error("expected a refusal");
    };
    expect(message(hex.slice(0, 62))).toBe(
      "the secret key in SLIPWAY_SECRET_KEY is 62 hex characters; expected 64",
    );
    expect(message(randomBytes(16).toString("base64"))).toMatch(/decodes to 16 bytes; AES-256 needs 32/);
    expect(message(randomBytes(48).toString("base64"))).toMatch(/decodes to 48 bytes/);
    expect(message("not a key!")).toMatch(/neither 64 hex characters nor base64/);
  });

  it("reads a key file and refuses one that other users can read", async () => {
    const file = join(dir, "key-readable");
    await writeFile(file, `${hex}\n`, { mode: 0o600 });
    expect(loadKey({ keyFile: file, env: {} }).toString("hex")).toBe(hex);
    await chmod(file, 0o640);
    expect(loadKey({ keyFile: file, env: {} }).toString("hex")).toBe(hex);
    await chmod(file, 0o644);
    expect(() => loadKey({ keyFile: file, env: {} })).toThrow(/accessible by other users \(mode 644\)/);
  });

  it("explains a missing key and an unreadable key file", () => {
    expect(() => loadKey({ env: {} })).toThrow(/no secret key: set SLIPWAY_SECRET_KEY or give a key file/);
    expect(() => loadKey({ keyFile: join(dir, "missing"), env: { SLIPWAY_SECRET_KEY: "" } })).toThrow(
      /cannot read secret key file .*missing: ENOENT/,
    );
  });
});

describe("generateKeyFile", () => {
  it("creates an owner-only key file that loadKey reads back", async () => {
    const file = join(dir, "nested", "server.key");
    const key = await generateKeyFile(file);
    expect(key).toHaveLength(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, "utf8")).toBe(`${key.toString("hex")}\n`);
    expect(loadKey({ keyFile: file, env: {} }).equals(key)).toBe(true);
    const text = encryptSecret(key, "value", scope);
    expect(decryptSecret(loadKey({ keyFile: file, env: {} }), text, scope)).toBe("value");
  });

  it("never replaces an existing key, and leaves no temporary file behind", async () => {
    const file = join(dir, "existing.key");
    const first = await generateKeyFile(file);
    await expect(generateKeyFile(file)).rejects.toThrow(/already exists; refusing to replace it/);
    expect(loadKey({ keyFile: file, env: {} }).equals(first)).toBe(true);
    const { stdout } = await run("ls", ["-a", dir]);
    expect(stdout).not.toMatch(/\.tmp/);
  });

  it("gives different keys each time", async () => {
    const a = await generateKeyFile(join(dir, "a.key"));
    const b = await generateKeyFile(join(dir, "b.key"));
    expect(a.equals(b)).toBe(false);
  });
});
