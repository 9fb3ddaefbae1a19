import { afterAll, describe, expect, it } from "vitest";
import { callFunction, type FunctionContext } from "../../../src/guardrails/terraform/functions.js";
import { UNKNOWN, type HclValue } from "../../../src/guardrails/terraform/model.js";
import { EvalError } from "../../../src/guardrails/terraform/values.js";
import { evaluateExpression as ev, load, removeTrees, valueAt } from "./helpers.js";

afterAll(removeTrees);

const NO_FILES: FunctionContext = { readFile: () => undefined, renderTemplate: () => UNKNOWN };
const call = (name: string, ...args: HclValue[]) => callFunction(name, args, NO_FILES);

describe("collection functions", () => {
  it("merge, lookup, concat, coalesce, coalescelist", () => {
    expect(call("merge", { a: 1, b: 1 }, null, { b: 2 })).toEqual({ a: 1, b: 2 });
    expect(call("merge", { a: 1 }, UNKNOWN)).toBe(UNKNOWN);
    expect(call("lookup", { a: 1 }, "a", 0)).toBe(1);
    expect(call("lookup", { a: 1 }, "b", 0)).toBe(0);
    expect(() => call("lookup", { a: 1 }, "b")).toThrow(EvalError);
    expect(call("concat", [1], [2, 3], [])).toEqual([1, 2, 3]);
    expect(call("coalesce", null, "", "x", "y")).toBe("x");
    expect(call("coalesce", UNKNOWN, "x")).toBe(UNKNOWN);
    expect(call("coalescelist", [], ["a"])).toEqual(["a"]);
  });

  it("contains, length, element, index, keys, values", () => {
    expect(call("contains", ["a", "b"], "b")).toBe(true);
    expect(call("contains", ["a"], "z")).toBe(false);
    expect(call("contains", ["a", UNKNOWN], "z")).toBe(UNKNOWN);
    expect(call("length", "héllo")).toBe(5);
    expect(call("length", [1, UNKNOWN])).toBe(2);
    expect(call("length", { a: 1 })).toBe(1);
    expect(call("element", ["a", "b", "c"], 4)).toBe("b");
    expect(call("index", ["a", "b"], "b")).toBe(1);
    expect(call("keys", { b: 1, a: 2 })).toEqual(["a", "b"]);
    expect(call("values", { b: 1, a: 2 })).toEqual([2, 1]);
  });

  it("flatten, distinct, compact, zipmap, range, reverse, slice, sort", () => {
    expect(call("flatten", [[1, [2]], 3])).toEqual([1, 2, 3]);
    expect(call("distinct", ["a", "b", "a"])).toEqual(["a", "b"]);
    expect(call("compact", ["a", "", null, "b"])).toEqual(["a", "b"]);
    expect(call("zipmap", ["a", "b"], [1, 2])).toEqual({ a: 1, b: 2 });
    expect(call("range", 3)).toEqual([0, 1, 2]);
    expect(call("range", 1, 7, 3)).toEqual([1, 4]);
    expect(call("range", 3, 0)).toEqual([3, 2, 1]);
    expect(call("reverse", [1, 2])).toEqual([2, 1]);
    expect(call("slice", [1, 2, 3], 1, 3)).toEqual([2, 3]);
    expect(call("sort", ["b", "a"])).toEqual(["a", "b"]);
  });

  it("tolist, toset (sorted as Terraform's sets), tomap, setunion", () => {
    expect(call("toset", ["b", "a", "b"])).toEqual(["a", "b"]);
    expect(call("tolist", ["x"])).toEqual(["x"]);
    expect(call("tomap", { a: "1" })).toEqual({ a: "1" });
    expect(call("setunion", ["b"], ["a", "b"])).toEqual(["a", "b"]);
    expect(call("setsubtract", ["a", "b"], ["a"])).toEqual(["b"]);
    expect(call("setintersection", ["a", "b"], ["b", "c"])).toEqual(["b"]);
  });
});

describe("string and number functions", () => {
  it("format and formatlist follow Go's verbs", () => {
    expect(call("format", "%s-%03d", "web", 7)).toBe("web-007");
    expect(call("format", "%v|%q|%t|%.2f|%x|%5s|%-5s|", "a", "b", true, 3.14159, 255, "r", "l")).toBe(
      'a|"b"|true|3.14|ff|    r|l    |',
    );
    expect(call("format", "100%% %[2]s %[1]s", "a", "b")).toBe("100% b a");
    expect(call("formatlist", "%s:%d", ["a", "b"], [1, 2])).toEqual(["a:1", "b:2"]);
    expect(call("formatlist", "arn:%s", ["x", "y"])).toEqual(["arn:x", "arn:y"]);
    expect(call("format", "%s", UNKNOWN)).toBe(UNKNOWN);
  });

  it("join, split, lower, upper, replace, trimspace, trim*, substr, startswith, endswith", () => {
    expect(call("join", ",", ["a", "b"], ["c"])).toBe("a,b,c");
    expect(call("split", ",", "a,b")).toEqual(["a", "b"]);
    expect(call("lower", "AbC")).toBe("abc");
    expect(call("upper", "abc")).toBe("ABC");
    expect(call("replace", "a-b-c", "-", "_")).toBe("a_b_c");
    expect(call("replace", "hello world", "/o(\\w)/", "0$1")).toBe("hello w0rld");
    expect(call("replace", "ab12", "/(?P<d>\\d+)/", "<${d}>")).toBe("ab<12>");
    expect(call("trimspace", "  x \n")).toBe("x");
    expect(call("trimprefix", "app-web", "app-")).toBe("web");
    expect(call("trimsuffix", "web.tf", ".tf")).toBe("web");
    expect(call("trim", "?!hi!?", "!?")).toBe("hi");
    expect(call("substr", "hello world", 1, 4)).toBe("ello");
    expect(call("substr", "hello", -3, -1)).toBe("llo");
    expect(call("startswith", "arn:aws:s3", "arn:")).toBe(true);
    expect(call("endswith", "x.tf", ".json")).toBe(false);
  });

  it("regex and regexall with RE2 syntax", () => {
    expect(call("regex", "[a-z]+", "53453453.345345aaabbbccc23454")).toBe("aaabbbccc");
    expect(call("regex", "^(\\d+)\\.(\\d+)$", "10.20")).toEqual(["10", "20"]);
    expect(call("regex", "(?P<major>\\d+)\\.(?P<minor>\\d+)", "v1.2")).toEqual({ major: "1", minor: "2" });
    expect(call("regex", "(?i)^ABC$", "abc")).toBe("abc");
    expect(call("regexall", "\\d", "a1b2")).toEqual(["1", "2"]);
    expect(() => call("regex", "x", "y")).toThrow(EvalError);
  });

  it("tostring, tonumber, tobool, min, max, abs, ceil, floor", () => {
    expect(call("tostring", 5)).toBe("5");
    expect(call("tonumber", "22")).toBe(22);
    expect(call("tobool", "true")).toBe(true);
    expect(call("tostring", null)).toBe(null);
    expect(call("min", 3, 1, 2)).toBe(1);
    expect(call("max", 3, 1, 2)).toBe(3);
    expect(call("abs", -4)).toBe(4);
    expect(call("ceil", 4.1)).toBe(5);
    expect(call("floor", 4.9)).toBe(4);
  });
});

describe("encoding and network functions", () => {
  it("jsonencode sorts keys and escapes like Terraform; jsondecode; base64", () => {
    expect(call("jsonencode", { b: 1, a: ["<x>"] })).toBe('{"a":["\\u003cx\\u003e"],"b":1}');
    expect(call("jsonencode", { a: UNKNOWN })).toBe(UNKNOWN);
    expect(call("jsondecode", '{"Statement":[{"Effect":"Allow"}]}')).toEqual({
      Statement: [{ Effect: "Allow" }],
    });
    expect(() => call("jsondecode", "{")).toThrow(EvalError);
    expect(call("base64encode", "hello")).toBe("aGVsbG8=");
    expect(call("base64decode", "aGVsbG8=")).toBe("hello");
  });

  it("cidrsubnet, cidrhost, cidrnetmask, cidrsubnets for IPv4 and IPv6", () => {
    expect(call("cidrsubnet", "10.0.0.0/16", 8, 2)).toBe("10.0.2.0/24");
    expect(call("cidrsubnet", "172.16.0.0/12", 4, 15)).toBe("172.31.0.0/16");
    expect(call("cidrsubnet", "fd00:fd12:3456:7890::/56", 16, 162)).toBe("fd00:fd12:3456:7800:a200::/72");
    expect(call("cidrhost", "10.12.112.0/20", 16)).toBe("10.12.112.16");
    expect(call("cidrhost", "10.12.112.0/20", -1)).toBe("10.12.127.255");
    expect(call("cidrnetmask", "172.16.0.0/12")).toBe("255.240.0.0");
    expect(call("cidrsubnets", "10.1.0.0/16", 4, 4, 8, 4)).toEqual([
      "10.1.0.0/20",
      "10.1.16.0/20",
      "10.1.32.0/24",
      "10.1.48.0/20",
    ]);
    expect(() => call("cidrsubnet", "10.0.0.0/30", 4, 0)).toThrow(EvalError);
  });

  it("leaves functions that depend on the machine or the clock UNKNOWN", () => {
    expect(call("timestamp")).toBe(UNKNOWN);
    expect(call("uuid")).toBe(UNKNOWN);
    expect(call("provider::aws::arn_parse", "arn:aws:s3:::b")).toBe(UNKNOWN);
  });
});

describe("file functions", () => {
  it("reads files relative to the module and renders templatefile", async () => {
    const result = await load({
      "main.tf": `module "app" {\n  source = "./app"\n}\n`,
      "app/main.tf": `resource "aws_iam_policy" "p" {
  policy  = file("\${path.module}/policy.json")
  direct  = jsondecode(file("policy.json")).Statement[0].Effect
  missing = file("nope.json")
  rendered = templatefile("\${path.module}/user_data.tpl", { port = 22, names = ["a", "b"] })
}
`,
      "app/policy.json": '{"Statement":[{"Effect":"Allow"}]}',
      "app/user_data.tpl": "listen ${port}\n%{ for n in names ~}\nuser ${n}\n%{ endfor ~}\n",
    });
    const address = "module.app.aws_iam_policy.p";
    expect(valueAt(result, address, "policy")).toBe('{"Statement":[{"Effect":"Allow"}]}');
    expect(valueAt(result, address, "direct")).toBe("Allow");
    expect(valueAt(result, address, "missing")).toBe(UNKNOWN);
    expect(valueAt(result, address, "rendered")).toBe("listen 22\nuser a\nuser b\n");
  });

  it("evaluates function calls in configurations, with expanded arguments", async () => {
    expect(await ev("max([3, 9, 2]...)")).toBe(9);
    expect(await ev('join("-", ["a", "b"])')).toBe("a-b");
    expect(await ev("cidrsubnet(local.cidr, 8, 1)", 'locals {\n  cidr = "10.0.0.0/16"\n}')).toBe(
      "10.0.1.0/24",
    );
  });
});
