import { afterAll, describe, expect, it } from "vitest";
import { UNKNOWN, evaluateExpression as ev, removeTrees } from "./helpers.js";

afterAll(removeTrees);

describe("expressions", () => {
  it("reads literals, numbers and escapes", async () => {
    expect(await ev("42")).toBe(42);
    expect(await ev("1.5e3")).toBe(1500);
    expect(await ev("0x1F")).toBe(31);
    expect(await ev("true")).toBe(true);
    expect(await ev("null")).toBe(null);
    expect(await ev('"a\\n\\"b\\" \\u00e9 $${x} %%{y}"')).toBe('a\n"b" é ${x} %{y}');
  });

  it("builds tuples and objects, with bare and parenthesised keys", async () => {
    expect(await ev('[1, "two", [3]]')).toEqual([1, "two", [3]]);
    expect(await ev('{ a = 1, "b-c" = 2, (local.k) = 3 }', 'locals {\n  k = "dyn"\n}')).toEqual({
      a: 1,
      "b-c": 2,
      dyn: 3,
    });
  });

  it("applies operators with Terraform's precedence", async () => {
    expect(await ev("1 + 2 * 3")).toBe(7);
    expect(await ev("(1 + 2) * 3")).toBe(9);
    expect(await ev("-1 + 2 * 3 == 5 && !false")).toBe(true);
    expect(await ev("7 % 4")).toBe(3);
    expect(await ev('"5" + 1')).toBe(6);
    expect(await ev('1 == "1"')).toBe(false);
    expect(await ev("[1, 2] == [1, 2]")).toBe(true);
    expect(await ev("3 >= 3 || false")).toBe(true);
  });

  it("evaluates conditionals", async () => {
    expect(await ev('local.on ? "yes" : "no"', "locals {\n  on = true\n}")).toBe("yes");
    expect(await ev('var.x == "a" ? 1 : 2', 'variable "x" {\n  default = "b"\n}')).toBe(2);
  });

  it("renders templates with interpolations, directives and strip markers", async () => {
    const vars = 'variable "name" {\n  default = "web"\n}\nvariable "items" {\n  default = ["a", "b"]\n}';
    expect(await ev('"app-${var.name}-${1 + 1}"', vars)).toBe("app-web-2");
    expect(await ev('"%{ if var.name == "web" }on%{ else }off%{ endif }"', vars)).toBe("on");
    expect(await ev('"%{ for i in var.items }[${i}]%{ endfor }"', vars)).toBe("[a][b]");
    expect(await ev('"a ${~ "b" ~} c"')).toBe("abc");
    // A template that is a single interpolation keeps the value's type.
    expect(await ev('"${var.items}"', vars)).toEqual(["a", "b"]);
  });

  it("reads heredocs, stripping indentation with <<-", async () => {
    expect(await ev('<<EOT\nline one\n  line ${"two"}\nEOT')).toBe("line one\n  line two\n");
    expect(await ev('<<-EOT\n    {\n      "a": 1\n    }\n    EOT')).toBe('{\n  "a": 1\n}\n');
    expect(await ev('jsondecode(<<-EOT\n    {"Effect": "Allow", "Action": "s3:*"}\n  EOT\n  )')).toEqual({
      Effect: "Allow",
      Action: "s3:*",
    });
  });

  it("removes <<- indentation before applying strip markers", async () => {
    expect(await ev("<<-EOT\n    %{ if true ~}\n    yes $${literal}\n    %{ endif ~}\n  EOT")).toBe(
      "yes ${literal}\n",
    );
  });

  it("reads resources as values: length, legacy splats, for over for_each instances", async () => {
    const ctx = `resource "aws_instance" "web" {
  count = 2
  ami   = "ami-\${count.index}"
}
resource "aws_eip" "ip" {
  for_each = toset(["a", "b"])
  tags     = { Name = each.key }
}`;
    expect(await ev("length(aws_instance.web)", ctx)).toBe(2);
    expect(await ev('element(concat(aws_instance.web.*.ami, [""]), 1)', ctx)).toBe("ami-1");
    expect(await ev("[for k, v in aws_eip.ip : v.tags.Name]", ctx)).toEqual(["a", "b"]);
    expect(await ev('aws_eip.ip["b"].id', ctx)).toBe(UNKNOWN);
  });

  it("evaluates for expressions over lists and maps, with conditions and grouping", async () => {
    const ctx = 'locals {\n  m = { b = 2, a = 1, c = 3 }\n  l = ["x", "y", "x"]\n}';
    expect(await ev("[for v in local.l : upper(v)]", ctx)).toEqual(["X", "Y", "X"]);
    expect(await ev('[for i, v in local.l : i if v == "x"]', ctx)).toEqual([0, 2]);
    expect(await ev("[for k, v in local.m : k]", ctx)).toEqual(["a", "b", "c"]);
    expect(await ev("{ for k, v in local.m : k => v * 10 if v > 1 }", ctx)).toEqual({ b: 20, c: 30 });
    expect(await ev("{ for v in local.l : v => v... }", ctx)).toEqual({ x: ["x", "x"], y: ["y"] });
  });

  it("indexes, reads attributes and splats", async () => {
    const ctx = 'locals {\n  rules = [{ port = 22, cidr = ["0.0.0.0/0"] }, { port = 443, cidr = [] }]\n}';
    expect(await ev("local.rules[1].port", ctx)).toBe(443);
    expect(await ev("local.rules[0].cidr[0]", ctx)).toBe("0.0.0.0/0");
    expect(await ev("local.rules[*].port", ctx)).toEqual([22, 443]);
    expect(await ev("local.rules.*.port", ctx)).toEqual([22, 443]);
    expect(await ev("local.rules.0.port", ctx)).toBe(22);
    expect(await ev('{ a = { b = "c" } }["a"].b')).toBe("c");
  });

  it("is UNKNOWN where a value cannot be known, and never guesses", async () => {
    const ctx = 'variable "unset" {}\nvariable "flag" {\n  type = bool\n}';
    expect(await ev("var.unset")).toBe(UNKNOWN);
    expect(await ev("var.unset", ctx)).toBe(UNKNOWN);
    expect(await ev('"prefix-${var.unset}"', ctx)).toBe(UNKNOWN);
    expect(await ev("var.unset + 1", ctx)).toBe(UNKNOWN);
    expect(await ev("var.unset == 1", ctx)).toBe(UNKNOWN);
    expect(await ev('var.flag ? "a" : "b"', ctx)).toBe(UNKNOWN);
    // Both branches agree: the condition does not matter.
    expect(await ev('var.flag ? "same" : "same"', ctx)).toBe("same");
    expect(await ev("[1, var.unset]", ctx)).toEqual([1, UNKNOWN]);
    expect(await ev("{ a = var.unset }.a", ctx)).toBe(UNKNOWN);
    expect(await ev("[for x in var.unset : x]", ctx)).toBe(UNKNOWN);
    expect(await ev("upper(var.unset)", ctx)).toBe(UNKNOWN);
    expect(await ev("nosuchfunction(1)")).toBe(UNKNOWN);
    expect(await ev("terraform.workspace")).toBe(UNKNOWN);
  });

  it("turns what Terraform rejects into UNKNOWN instead of failing the scan", async () => {
    expect(await ev("[1, 2][5]")).toBe(UNKNOWN);
    expect(await ev("{ a = 1 }.b")).toBe(UNKNOWN);
    expect(await ev('1 + "x"')).toBe(UNKNOWN);
    expect(await ev("1 / 0")).toBe(UNKNOWN);
    expect(await ev("local.missing")).toBe(UNKNOWN);
    expect(await ev("local.self_a", "locals {\n  self_a = local.self_b\n  self_b = local.self_a\n}")).toBe(
      UNKNOWN,
    );
  });

  it("resolves try and can", async () => {
    const ctx = 'variable "unset" {}\nlocals {\n  obj = { a = 1 }\n}';
    expect(await ev('try(local.obj.b, "fallback")', ctx)).toBe("fallback");
    expect(await ev('try(local.obj.a, "fallback")', ctx)).toBe(1);
    expect(await ev("can(local.obj.b)", ctx)).toBe(false);
    expect(await ev("can(local.obj.a)", ctx)).toBe(true);
    expect(await ev('try(var.unset, "fallback")', ctx)).toBe(UNKNOWN);
    expect(await ev('try(regex("^a", "b"), "no match")')).toBe("no match");
  });
});
