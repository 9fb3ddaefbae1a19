/**
 * GitHub's and npm's token formats end in a CRC32 of the random part, base62-encoded in six
 * characters (https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/).
 * Checking it drops look-alike strings (test data, truncated tokens) without asking the provider.
 */
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++)
    crc = (crc >>> 8) ^ (CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] ?? 0);
  return (crc ^ 0xffffffff) >>> 0;
}

export function base62(value: number, width: number): string {
  let out = "";
  let rest = value;
  while (rest > 0) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out.padStart(width, "0");
}

/** `prefix_` + 30 random base62 characters + their CRC32 in 6 base62 characters. */
export function hasValidBase62Checksum(token: string): boolean {
  const underscore = token.indexOf("_");
  const body = token.slice(underscore + 1);
  if (body.length < 7) return false;
  const random = body.slice(0, -6);
  return base62(crc32(random), 6) === body.slice(-6);
}
