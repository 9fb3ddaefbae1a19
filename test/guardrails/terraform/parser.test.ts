import { describe, expect, it } from "vitest";
import { hclParser } from "../../../src/guardrails/terraform/parser.js";

describe("HCL parser", () => {
  it("is loaded once per process", async () => {
    const [a, b] = await Promise.all([hclParser(), hclParser()]);
    expect(a).toBe(b);
    expect(await hclParser()).toBe(a);
  });

  it("keeps blocks, labels, attributes and their positions", async () => {
    const parser = await hclParser();
    const { file, diagnostics } = parser.parse(
      'resource "aws_s3_bucket" "logs" {\n  bucket = "corp-logs" # the name\n\n  versioning {\n    enabled = true\n  }\n}\n',
      "main.tf",
    );
    expect(diagnostics).toEqual([]);
    const [block] = file.body.blocks;
    expect(block).toMatchObject({ type: "resource", labels: ["aws_s3_bucket", "logs"] });
    expect(block?.span).toEqual({ file: "main.tf", line: 1, column: 1, endLine: 7, endColumn: 2 });
    expect(block?.body.attributes[0]?.span).toEqual({
      file: "main.tf",
      line: 2,
      column: 3,
      endLine: 2,
      endColumn: 23,
    });
    expect(block?.body.blocks[0]?.body.attributes[0]?.span.line).toBe(5);
    expect(file.comments).toEqual([
      { text: "# the name", span: { file: "main.tf", line: 2, column: 24, endLine: 2, endColumn: 34 } },
    ]);
  });

  it("reads every comment style", async () => {
    const parser = await hclParser();
    const { file } = parser.parse("# a\n// b\n/* c\n d */\nx = 1\n", "c.tf");
    expect(file.comments.map((c) => [c.text, c.span.line, c.span.endLine])).toEqual([
      ["# a", 1, 1],
      ["// b", 2, 2],
      ["/* c\n d */", 3, 4],
    ]);
  });

  it("reports syntax errors with positions and keeps the rest of the file", async () => {
    const parser = await hclParser();
    const text = [
      'resource "aws_s3_bucket" "a" {',
      '  bucket = "a"',
      "}",
      'resource "aws_s3_bucket" "broken" {',
      "  acl = ",
      "}",
      'resource "aws_s3_bucket" "c" {',
      '  bucket = "c"',
      "}",
      "",
    ].join("\n");
    const { file, diagnostics } = parser.parse(text, "main.tf");
    expect(diagnostics.length).toBeGreaterThan(0);
    // The value is missing after `acl =`; the parser notices at the closing brace below it.
    expect(diagnostics[0]?.span).toMatchObject({ file: "main.tf", line: 6, column: 1 });
    expect(diagnostics[0]?.message).toMatch(/syntax error/);
    const labels = file.body.blocks.map((b) => b.labels[1]);
    expect(labels).toContain("a");
    expect(labels).toContain("c");
    // Error recovery invents an empty object after `acl =`; it must not become a value.
    const broken = file.body.blocks.find((b) => b.labels[1] === "broken");
    expect(broken?.body.attributes.map((a) => [a.name, a.expr.kind])).toEqual([["acl", "invalid"]]);
  });

  it("reports an unclosed block as missing its brace", async () => {
    const parser = await hclParser();
    const { file, diagnostics } = parser.parse('resource "a" "b" {\n  x = 1\n', "main.tf");
    expect(diagnostics.map((d) => d.message)).toEqual(['syntax error: missing "}"']);
    expect(diagnostics[0]?.span.line).toBe(3);
    expect(file.body.blocks[0]?.body.attributes[0]?.name).toBe("x");
  });

  it("parses a bare expression and a template file", async () => {
    const parser = await hclParser();
    expect(parser.expression('["a", 1]')?.kind).toBe("tuple");
    expect(parser.expression("[")).toBeUndefined();
    const template = parser.template("hello ${name}", "t.tpl");
    expect(template.kind).toBe("template");
  });
});

describe("HCL parser on unusual input", () => {
  it("keeps positions right around non-ASCII text in long files", async () => {
    const parser = await hclParser();
    const text = `# ${"x".repeat(4093)}\nname = "a😀b"\nafter = "é${"😀".repeat(3000)}z"\nlast = 1\n`;
    const { file, diagnostics } = parser.parse(text, "u.tf");
    expect(diagnostics).toEqual([]);
    expect(file.body.attributes.map((a) => [a.name, a.span.line, a.span.column])).toEqual([
      ["name", 2, 1],
      ["after", 3, 1],
      ["last", 4, 1],
    ]);
    const after = file.body.attributes[1]?.expr;
    expect(after?.kind === "literal" && after.value).toBe(`é${"😀".repeat(3000)}z`);
  });

  it("reports absurdly deep nesting instead of overflowing the stack", async () => {
    const parser = await hclParser();
    const { diagnostics } = parser.parse(`x = ${"[".repeat(20000)}${"]".repeat(20000)}\n`, "deep.tf");
    expect(diagnostics.every((d) => d.span.line >= 1)).toBe(true);
  });
});
