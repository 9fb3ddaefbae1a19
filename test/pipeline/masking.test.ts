import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MASK, SecretMasker } from "../../src/pipeline/masking.js";

function maskerWith(...secrets: string[]): SecretMasker {
  const masker = new SecretMasker();
  for (const secret of secrets) masker.add(secret);
  return masker;
}

/**
 * Where the characters that depend only on the secret's bytes sit in the base64 encoding of
 * `prefix + secret + suffix`: char j holds bits [6j, 6j + 6).
 */
function stableRange(prefixBytes: number, secretBytes: number): { first: number; end: number } {
  const startBit = prefixBytes * 8;
  const endBit = (prefixBytes + secretBytes) * 8;
  return { first: Math.ceil(startBit / 6), end: Math.floor(endBit / 6) };
}

describe("SecretMasker", () => {
  it("masks every occurrence of a raw secret", () => {
    const masker = maskerWith("hunter2-xyz");
    expect(masker.mask("password=hunter2-xyz and again hunter2-xyz!")).toBe(
      `password=${MASK} and again ${MASK}!`,
    );
  });

  it("leaves text without secrets untouched, and works with no secrets at all", () => {
    expect(new SecretMasker().mask("nothing to hide")).toBe("nothing to hide");
    const masker = maskerWith("s3cr3t-token");
    expect(masker.mask("s3cr3t-toke n")).toBe("s3cr3t-toke n");
    expect(masker.mask("")).toBe("");
  });

  it("ignores empty and whitespace-only secrets", () => {
    const masker = maskerWith("", "   ", "\n\t");
    expect(masker.size).toBe(0);
    expect(masker.mask("a b\tc")).toBe("a b\tc");
  });

  it("treats secrets literally, not as patterns", () => {
    const masker = maskerWith("a.b*c(d)[e]$");
    expect(masker.mask("axbbbcde")).toBe("axbbbcde");
    expect(masker.mask("x a.b*c(d)[e]$ y")).toBe(`x ${MASK} y`);
  });

  it("masks a secret containing another as a whole", () => {
    const masker = maskerWith("abc123", "abc123456");
    expect(masker.mask("token abc123456 end")).toBe(`token ${MASK} end`);
    expect(masker.mask("short abc123 end")).toBe(`short ${MASK} end`);
    const reversed = maskerWith("abc123456", "abc123");
    expect(reversed.mask("token abc123456 end")).toBe(`token ${MASK} end`);
  });

  it("masks overlapping and adjacent secrets without leaking the part one match would leave", () => {
    const masker = maskerWith("abcdXX", "XXefgh");
    // A left-to-right regex would mask `abcdXX` and leave `efgh` in the clear.
    expect(masker.mask("1 abcdXXefgh 2")).toBe(`1 ${MASK} 2`);
    const adjacent = maskerWith("aaaa1", "bbbb2");
    expect(adjacent.mask("aaaa1bbbb2")).toBe(MASK);
  });

  it("masks the base64 of a secret at any alignment inside a larger base64 blob", () => {
    const secret = "correct-horse-battery";
    const masker = maskerWith(secret);
    for (let prefix = 0; prefix <= 5; prefix++) {
      for (let suffix = 0; suffix <= 3; suffix++) {
        const before = Buffer.from("user:xy".slice(0, prefix));
        const after = Buffer.from("@hz".slice(0, suffix));
        const encoded = Buffer.concat([before, Buffer.from(secret), after]).toString("base64");
        const out = masker.mask(`Authorization: Basic ${encoded}`);
        const body = out.slice("Authorization: Basic ".length);
        const { first, end } = stableRange(before.length, secret.length);
        // Exactly the characters determined by the secret are masked, no more, no less.
        expect(body, `prefix ${prefix}, suffix ${suffix}`).toBe(
          encoded.slice(0, first) + MASK + encoded.slice(end),
        );
      }
    }
  });

  it("masks the base64url encoding as well as the standard one", () => {
    // Bytes chosen so the standard encoding contains both `+` and `/`.
    const secret = "\u00fb\u00ff\u00bf-key-\u00fe\u00ff";
    const standard = Buffer.from(secret).toString("base64");
    expect(standard).toMatch(/[+/]/);
    const url = Buffer.from(secret).toString("base64url");
    const masker = maskerWith(secret);
    expect(masker.mask(`std ${standard} end`)).not.toContain(standard.slice(1, -2));
    expect(masker.mask(`url ${url} end`)).toMatch(/^url \S{0,1}\*\*\*\S{0,2} end$/);
    expect(masker.mask(`url ${url} end`)).not.toContain(url.slice(1, -2));
  });

  it("masks the URL-encoded form", () => {
    const secret = "p@ss w/rd&x=1";
    const masker = maskerWith(secret);
    const url = `postgres://app:${encodeURIComponent(secret)}@db:5432/app`;
    expect(masker.mask(url)).toBe(`postgres://app:${MASK}@db:5432/app`);
  });

  it("masks the JSON-escaped form", () => {
    const secret = 'quote"back\\slash\ttab\nnewline';
    const masker = maskerWith(secret);
    const json = JSON.stringify({ password: secret, user: "app" });
    expect(masker.mask(json)).toBe(`{"password":"${MASK}","user":"app"}`);
  });

  it("masks each line of a multi-line secret, except very short lines", () => {
    const key = "-----BEGIN KEY-----\nMIIEowIBAAKCAQEA7\r\nxyz\nZmFrZWtleWRhdGE=\n-----END KEY-----\n";
    const masker = maskerWith(key);
    expect(masker.mask("-----BEGIN KEY-----")).toBe(MASK);
    expect(masker.mask("  MIIEowIBAAKCAQEA7")).toBe(`  ${MASK}`);
    expect(masker.mask("ZmFrZWtleWRhdGE=")).toBe(MASK);
    // `xyz` is too short to register: it would mask it in every log line.
    expect(masker.mask("xyz")).toBe("xyz");
    // The whole secret, trailing newline included, is one form.
    expect(masker.mask(key)).toBe(MASK);
  });

  it("never registers a blank line of a multi-line secret, however indented", () => {
    const masker = maskerWith("first-line\n        \n\t\t\t\t\n    second-line");
    expect(masker.mask("a        b\t\t\t\tc")).toBe("a        b\t\t\t\tc");
    expect(masker.mask("    second-line")).toBe(`    ${MASK}`);
  });

  it("honours a custom minimum length for derived forms", () => {
    const masker = new SecretMasker({ minLength: 2 });
    masker.add("first-line\nab");
    expect(masker.mask("ab")).toBe(MASK);
  });

  it("still masks a short secret given whole", () => {
    const masker = maskerWith("q9");
    expect(masker.mask("q9 and q9")).toBe(`${MASK} and ${MASK}`);
  });

  it("masks the trimmed value of a secret read with a trailing newline", () => {
    const masker = maskerWith("file-secret-42\n");
    expect(masker.mask("got file-secret-42 from disk")).toBe(`got ${MASK} from disk`);
    const encoded = Buffer.from("file-secret-42").toString("base64");
    expect(masker.mask(encoded)).not.toContain(encoded.slice(0, 16));
  });

  it("masks non-ASCII secrets in raw and encoded forms", () => {
    const secret = "pässwörd-🔑-秘密";
    const masker = maskerWith(secret);
    expect(masker.mask(`[${secret}]`)).toBe(`[${MASK}]`);
    expect(masker.mask(encodeURIComponent(secret))).toBe(MASK);
    expect(masker.mask(Buffer.from(secret).toString("base64"))).not.toContain(
      Buffer.from(secret).toString("base64").slice(0, 20),
    );
  });

  it("picks up secrets added after masking started", () => {
    const masker = maskerWith("first-secret");
    expect(masker.mask("first-secret second-secret")).toBe(`${MASK} second-secret`);
    masker.add("second-secret");
    expect(masker.size).toBe(2);
    expect(masker.mask("first-secret second-secret")).toBe(`${MASK} ${MASK}`);
  });

  it("does not slow down with ~100 secrets", () => {
    const lines = Array.from(
      { length: 5000 },
      (_, i) =>
        `2024-05-14T10:00:00Z [INFO] compiled module ${i} of src/components/widget_${i}.tsx in ${i % 97}ms`,
    );
    const timePerLine = (masker: SecretMasker): number => {
      masker.mask("warm up");
      let best = Infinity;
      for (let round = 0; round < 5; round++) {
        const start = performance.now();
        for (const line of lines) masker.mask(line);
        best = Math.min(best, (performance.now() - start) / lines.length);
      }
      return best;
    };
    const secrets = Array.from({ length: 100 }, () => randomBytes(24).toString("base64"));
    const one = maskerWith(secrets[0] ?? "");
    const hundred = maskerWith(...secrets);

    const oneSecret = timePerLine(one);
    const hundredSecrets = timePerLine(hundred);
    expect(hundredSecrets).toBeLessThan(Math.max(oneSecret * 4, 0.005));
    // A generous absolute bound: 50 µs per line.
    expect(hundredSecrets).toBeLessThan(0.05);
    // And it still masks correctly with all of them registered.
    expect(hundred.mask(`a ${secrets[57]} b`)).toBe(`a ${MASK} b`);
  });
});
