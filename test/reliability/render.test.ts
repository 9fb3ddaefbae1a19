import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { renderRuleFile } from "../../src/reliability/render-rules.js";
import type { PrometheusRuleFile } from "../../src/reliability/generate-rules.js";

describe("renderRuleFile", () => {
  it("writes YAML that reads back as exactly the same rules, whatever the strings hold", () => {
    const tricky = [
      "plain",
      "5m",
      "30",
      "1e3",
      "0x1F",
      "1:20",
      "2001-12-14",
      "yes",
      "Off",
      "null",
      "~",
      "",
      " leading",
      "trailing ",
      "a: b",
      "a #b",
      "- dash",
      "[x]",
      "{y}",
      "'single'",
      '"double"',
      "back\\slash",
      "tab\there",
      "ünïcødé",
      "ends:",
      "vector(28)",
      "{{ $labels.x }}",
    ];
    const file: PrometheusRuleFile = {
      groups: [
        {
          name: "g",
          rules: [
            ...tricky.map((value, i) => ({ record: `r${i}`, expr: value || "x", labels: { v: value } })),
            {
              alert: "A",
              expr: "(sum(rate(x[5m])))\n/\n(sum(rate(y[5m])))\n",
              labels: {},
              annotations: { summary: value(tricky) },
            },
            { alert: "B", expr: "  indented\nsecond", labels: { z: "1", a: "2" }, annotations: {} },
            { alert: "C", expr: "two trailing\n\n", labels: {}, annotations: {} },
          ],
        },
      ],
    };
    expect(parse(renderRuleFile(file))).toEqual(file);
  });
});

function value(parts: string[]): string {
  return parts.join(" | ");
}
