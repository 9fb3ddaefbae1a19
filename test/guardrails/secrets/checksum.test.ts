import { describe, expect, it } from "vitest";
import { base62, crc32, hasValidBase62Checksum } from "../../../src/guardrails/secrets/checksum.js";
import { shannonEntropy } from "../../../src/guardrails/secrets/entropy.js";
import { redact } from "../../../src/guardrails/secrets/redact.js";

describe("token checksums", () => {
  it("computes the standard CRC32", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
    expect(crc32("")).toBe(0);
  });

  it("encodes in the 0-9A-Za-z alphabet, padded to the width", () => {
    expect(base62(0, 6)).toBe("000000");
    expect(base62(61, 2)).toBe("0z");
    expect(base62(62, 2)).toBe("10");
    expect(base62(0xffffffff, 6)).toBe("4gfFC3");
  });

  it("accepts the token GitHub's format description uses as its example, and rejects one changed character", () => {
    // Written in parts so that no scanner reads it as a live token.
    const token = "ghp_" + "zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ" + "0mLq17";
    expect(token).toHaveLength(40);
    expect(hasValidBase62Checksum(token)).toBe(true);
    expect(hasValidBase62Checksum(token.replace("zQWB", "zQWC"))).toBe(false);
    expect(hasValidBase62Checksum("ghp_")).toBe(false);
  });
});

describe("entropy and redaction", () => {
  it("measures bits per character", () => {
    expect(shannonEntropy("")).toBe(0);
    expect(shannonEntropy("aaaa")).toBe(0);
    expect(shannonEntropy("abab")).toBe(1);
    expect(shannonEntropy("0123456789abcdef")).toBe(4);
  });

  it("shows the first characters and the length, hiding at least three quarters", () => {
    expect(redact("ghp_0123456789abcdefghij0123456789abcdef")).toBe("ghp_…(40 chars)");
    expect(redact("hunter22")).toBe("hu…(8 chars)");
    expect(redact("abc")).toBe("…(3 chars)");
  });
});
