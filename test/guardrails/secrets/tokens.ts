// Secret-shaped values for tests, generated from a seed so the test sources hold no literal
// credentials (which would set off secret scanners, this one included, on the repository).
import { base62, crc32 } from "../../../src/guardrails/secrets/checksum.js";

export const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const HEX = "0123456789abcdef";
export const UPPER32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** mulberry32: a small seeded PRNG, so every run sees the same values. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomString(random: () => number, length: number, alphabet = BASE62): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

/** A token in GitHub's and npm's format: prefix, 30 random characters, their CRC32 in base62. */
export function checksummedToken(random: () => number, prefix: string): string {
  const body = randomString(random, 30);
  return `${prefix}${body}${base62(crc32(body), 6)}`;
}

export function jwt(header: object, payload: object, random: () => number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part(header)}.${part(payload)}.${randomString(random, 43, `${BASE62}-_`)}`;
}
