import { describe, expect, it } from "vitest";
import { ConfigError, formatDiagnostics } from "../../src/errors/index.js";
import { parseOutputsFile } from "../../src/pipeline/outputs-file.js";

const FILE = "/tmp/run/step-1/outputs";

function parseError(text: string): ConfigError {
  try {
    parseOutputsFile(text, FILE);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseOutputsFile", () => {
  it("reads key=value lines, splitting on the first `=` only", () => {
    expect(parseOutputsFile("version=1.2.3\nurl=https://x/?a=b&c=d\nempty=\n", FILE)).toEqual({
      version: "1.2.3",
      url: "https://x/?a=b&c=d",
      empty: "",
    });
  });

  it("keeps values verbatim, spaces included", () => {
    expect(parseOutputsFile("msg=  hello world  ", FILE)).toEqual({ msg: "  hello world  " });
  });

  it("reads heredoc values over several lines", () => {
    const text = "before=1\nnotes<<EOF\nfirst line\n\n  indented = not a key\nEOF\nafter=2\n";
    expect(parseOutputsFile(text, FILE)).toEqual({
      before: "1",
      notes: "first line\n\n  indented = not a key",
      after: "2",
    });
  });

  it("reads an empty heredoc and a one-line one", () => {
    expect(parseOutputsFile("a<<X\nX\nb<<ghadelimiter_1\nonly\nghadelimiter_1", FILE)).toEqual({
      a: "",
      b: "only",
    });
  });

  it("reads CRLF files, with values joined by \\n", () => {
    expect(parseOutputsFile("a=1\r\nlist<<END\r\nx\r\ny\r\nEND\r\n", FILE)).toEqual({ a: "1", list: "x\ny" });
  });

  it("ignores blank lines and a byte-order mark", () => {
    expect(parseOutputsFile("\uFEFF\n\na=1\n   \n\nb=2\n\n", FILE)).toEqual({ a: "1", b: "2" });
    expect(parseOutputsFile("", FILE)).toEqual({});
  });

  it("lets a later key override an earlier one", () => {
    expect(parseOutputsFile("a=1\na<<E\nmulti\nE\nb=1\nb=2\n", FILE)).toEqual({ a: "multi", b: "2" });
  });

  it("decides between `=` and `<<` by whichever comes first, as GitHub does", () => {
    expect(parseOutputsFile("cmd=cat <<EOF", FILE)).toEqual({ cmd: "cat <<EOF" });
    expect(parseOutputsFile("v<<EOF=\nx\nEOF=\n", FILE)).toEqual({ v: "x" });
  });

  it("closes a heredoc only on a line that is exactly the delimiter", () => {
    expect(parseOutputsFile("v<<EOF\nEOF \n EOF\nEOFX\nEOF\n", FILE)).toEqual({ v: "EOF \n EOF\nEOFX" });
  });

  it("accepts names with digits, `_` and `-`, and names that are Object.prototype keys", () => {
    const values = parseOutputsFile("_a-1=x\nconstructor=c\n__proto__=p\n", FILE);
    expect(values["_a-1"]).toBe("x");
    expect(Object.keys(values)).toEqual(["_a-1", "constructor", "__proto__"]);
    expect(values["__proto__"]).toBe("p");
  });

  it("reports a line with neither `=` nor `<<` at its line, with the right syntax as hint", () => {
    const error = parseError("ok=1\n\njust some text\n");
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.diagnostics).toHaveLength(1);
    const [diagnostic] = error.diagnostics;
    expect(diagnostic?.position).toEqual({ file: FILE, line: 3, column: 1 });
    expect(diagnostic?.message).toContain("just some text");
    expect(diagnostic?.hint).toContain("name=value");
    expect(diagnostic?.hint).toContain("name<<EOF");
    expect(error.message).toBe(`${FILE}:3:1: ${diagnostic?.message}`);
  });

  it("reports an empty name", () => {
    const error = parseError("=value\n");
    expect(error.diagnostics[0]?.position).toEqual({ file: FILE, line: 1, column: 1 });
    expect(error.diagnostics[0]?.message).toMatch(/empty name/);
  });

  it("points at the first invalid character of a name", () => {
    const spaced = parseError("a=1\nmy key=1\n");
    expect(spaced.diagnostics[0]?.position).toEqual({ file: FILE, line: 2, column: 3 });
    expect(spaced.diagnostics[0]?.hint).toContain("no spaces");
    expect(parseError("1abc=1").diagnostics[0]?.position.column).toBe(1);
    expect(parseError("abc.d=1").diagnostics[0]?.position.column).toBe(4);
    expect(parseError("KEY =1").diagnostics[0]?.position.column).toBe(4);
  });

  it("reports a heredoc without delimiter at the column after `<<`", () => {
    const error = parseError("abc<<\nvalue\n");
    expect(error.diagnostics[0]?.position).toEqual({ file: FILE, line: 1, column: 6 });
  });

  it("reports a heredoc that is never closed at its opening line, and stops there", () => {
    const error = parseError("a=1\nbody<<EOF\nline\nnot a key\neof\n");
    expect(error.diagnostics).toHaveLength(1);
    const [diagnostic] = error.diagnostics;
    expect(diagnostic?.position).toEqual({ file: FILE, line: 2, column: 7 });
    expect(diagnostic?.message).toContain('"EOF"');
    expect(diagnostic?.hint).toContain("`EOF`");
  });

  it("reports every problem, not only the first", () => {
    const error = parseError("good=1\nbad line\n=x\nalso good=2\n");
    expect(error.diagnostics.map((d) => [d.position.line, d.position.column])).toEqual([
      [2, 1],
      [3, 1],
      [4, 5],
    ]);
    expect(error.message).toContain("(and 2 more)");
  });

  it("renders with a caret under the offending column", () => {
    const text = "ok=1\nmy key=1\n";
    const error = parseError(text);
    const rendered = formatDiagnostics(error.diagnostics, new Map([[FILE, text]]));
    expect(rendered).toContain(`${FILE}:2:3: error:`);
    expect(rendered).toContain("  2 | my key=1\n    |   ^");
  });
});
