import { describe, expect, it } from "vitest";
import { LineSplitter } from "../../src/executors/line-splitter.js";
import { SecretMasker } from "../../src/pipeline/masking.js";

/** Feeds `chunks` and returns every line, flush included. */
function run(splitter: LineSplitter, chunks: (Buffer | string)[]): string[] {
  const lines: string[] = [];
  for (const chunk of chunks) lines.push(...splitter.push(chunk));
  lines.push(...splitter.flush());
  return lines;
}

describe("LineSplitter", () => {
  it("splits complete lines and buffers the partial one until flush", () => {
    const splitter = new LineSplitter();
    expect(splitter.push("one\ntwo\nthr")).toEqual(["one", "two"]);
    expect(splitter.push("ee")).toEqual([]);
    expect(splitter.push(" and more\nfour")).toEqual(["three and more"]);
    expect(splitter.flush()).toEqual(["four"]);
    expect(splitter.flush()).toEqual([]);
  });

  it("keeps empty lines and does not invent one after a final newline", () => {
    expect(run(new LineSplitter(), ["a\n\n", "\nb\n"])).toEqual(["a", "", "", "b"]);
    expect(run(new LineSplitter(), [])).toEqual([]);
    expect(run(new LineSplitter(), [""])).toEqual([]);
  });

  it("strips the \\r of CRLF, also when \\r and \\n arrive in different chunks", () => {
    expect(run(new LineSplitter(), ["a\r\nb\r\n"])).toEqual(["a", "b"]);
    expect(run(new LineSplitter(), ["a\r", "\nb\r", "\n"])).toEqual(["a", "b"]);
    expect(run(new LineSplitter(), ["last\r"])).toEqual(["last"]);
  });

  it("keeps a lone \\r inside a line (progress output)", () => {
    expect(run(new LineSplitter(), ["10%\r50%\r100%\n"])).toEqual(["10%\r50%\r100%"]);
  });

  it("decodes a multi-byte UTF-8 character split across chunks, at every byte position", () => {
    const text = "héllo wörld 🔑 — 秘密\nzweite Zeile ü\n";
    const bytes = Buffer.from(text, "utf8");
    for (let cut = 0; cut <= bytes.length; cut++) {
      const lines = run(new LineSplitter(), [bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(lines, `cut at byte ${cut}`).toEqual(["héllo wörld 🔑 — 秘密", "zweite Zeile ü"]);
    }
  });

  it("decodes a character arriving one byte at a time", () => {
    const bytes = Buffer.from("🔑\n", "utf8");
    const chunks = [...bytes].map((byte) => Buffer.from([byte]));
    expect(run(new LineSplitter(), chunks)).toEqual(["🔑"]);
  });

  it("turns a truncated character at the end of the stream into a replacement character", () => {
    const bytes = Buffer.from("ok 🔑", "utf8");
    expect(run(new LineSplitter(), [bytes.subarray(0, bytes.length - 1)])).toEqual(["ok \ufffd"]);
  });

  it("never leaks a secret split across chunks, at any pair of chunk boundaries", () => {
    const masker = new SecretMasker();
    masker.add("SuperSecret123");
    const sample = Buffer.from("line one\r\ntoken=SuperSecret123 ok\nlast SuperSecret123", "utf8");
    const expected = ["line one", "token=*** ok", "last ***"];
    for (let i = 0; i <= sample.length; i++) {
      for (let j = i; j <= sample.length; j++) {
        const splitter = new LineSplitter({ transform: (line) => masker.mask(line) });
        const lines = run(splitter, [sample.subarray(0, i), sample.subarray(i, j), sample.subarray(j)]);
        expect(lines, `chunks cut at ${i} and ${j}`).toEqual(expected);
      }
    }
  });

  it("cuts an over-long line into pieces after masking it whole", () => {
    const masker = new SecretMasker();
    masker.add("SECRETVALUE");
    const transform = (line: string): string => masker.mask(line);
    // Unmasked, the secret would straddle the cut at 10 and each half would pass the masker.
    const line = "abcdefSECRETVALUEghijklmnopqrstuvwxyz";
    const lines = run(new LineSplitter({ maxLineLength: 10, transform }), [
      line.slice(0, 9),
      line.slice(9) + "\n",
    ]);
    expect(lines).toEqual(["abcdef***g", "hijklmnopq", "rstuvwxyz"]);
    expect(lines.join("")).not.toContain("SECR");
  });

  it("cuts over-long lines into maxLineLength pieces, never inside a surrogate pair", () => {
    expect(run(new LineSplitter({ maxLineLength: 4 }), ["0123456789\n"])).toEqual(["0123", "4567", "89"]);
    const lines = run(new LineSplitter({ maxLineLength: 4 }), ["abc🔑def\n"]);
    expect(lines).toEqual(["abc", "🔑de", "f"]);
    expect(lines.join("")).toBe("abc🔑def");
  });

  it("emits a line without a newline once it exceeds the buffer cap, masked", () => {
    const masker = new SecretMasker();
    masker.add("TOPSECRET");
    const splitter = new LineSplitter({
      maxLineLength: 8,
      maxBufferedLength: 16,
      transform: (line) => masker.mask(line),
    });
    expect(splitter.push("aaaaTOPSECRET")).toEqual([]);
    // 18 code units pending: over the cap, so they are masked and emitted in pieces.
    expect(splitter.push("bbbbb")).toEqual(["aaaa***b", "bbbb"]);
    expect(splitter.push("tail\n")).toEqual(["tail"]);
    expect(splitter.flush()).toEqual([]);
  });

  it("holds back a trailing \\r at the buffer cap so a CRLF split there is still one line end", () => {
    const splitter = new LineSplitter({ maxLineLength: 4, maxBufferedLength: 4 });
    expect(splitter.push("abcdef\r")).toEqual(["abcd", "ef"]);
    // The line's content went out at the cap: its line end must not add an empty line.
    expect(splitter.push("\nnext\n")).toEqual(["next"]);
    expect(splitter.flush()).toEqual([]);
  });

  it("keeps a genuinely empty line that follows a line emitted at the cap", () => {
    const splitter = new LineSplitter({ maxLineLength: 4, maxBufferedLength: 4 });
    expect(splitter.push("abcdef")).toEqual(["abcd", "ef"]);
    expect(splitter.push("\n\nz\n")).toEqual(["", "z"]);
  });

  it("accepts string chunks", () => {
    expect(run(new LineSplitter(), ["mixed ", Buffer.from("in"), "put\n"])).toEqual(["mixed input"]);
  });

  it("handles large output made of many small chunks in linear time", () => {
    const splitter = new LineSplitter();
    const start = performance.now();
    let emitted = 0;
    // 2 MB without a newline, 100 bytes at a time: the cap (1 Mi) is crossed once.
    const chunk = "x".repeat(100);
    for (let i = 0; i < 20_000; i++) emitted += splitter.push(chunk).length;
    emitted += splitter.flush().length;
    expect(performance.now() - start).toBeLessThan(2000);
    // 1 Mi + 100 code units emitted as 17 pieces of 64 Ki, then the rest at flush.
    expect(emitted).toBeGreaterThan(17);
  });
});
