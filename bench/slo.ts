import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateRules, loadSloFiles, renderRuleFile } from "../src/reliability/index.js";
import { median, report, round } from "./util.js";

/** A Sloth spec with `count` SLOs spread over services of 10 SLOs each. */
export function generatedSpecs(count: number): string {
  const docs: string[] = [];
  for (let s = 0; s < count / 10; s++) {
    const slos = Array.from({ length: 10 }, (_, i) =>
      [
        `  - name: requests-${i}`,
        `    objective: ${i % 2 ? "99.9" : "99.5"}`,
        "    sli:",
        "      events:",
        `        error_query: sum(rate(http_requests_total{job="svc-${s}",route="/r${i}",code=~"5.."}[{{.window}}]))`,
        `        total_query: sum(rate(http_requests_total{job="svc-${s}",route="/r${i}"}[{{.window}}]))`,
        "    alerting:",
        `      name: Svc${s}Route${i}BudgetBurn`,
      ].join("\n"),
    );
    docs.push(`version: prometheus/v1\nservice: svc-${s}\nslos:\n${slos.join("\n")}\n`);
  }
  return docs.join("---\n");
}

/**
 * Rules for 1,000 SLOs: loading and validating the specs plus generating and rendering the rule
 * file, against `promtool check rules` on the same output as the side-by-side reference.
 */
export function benchSlo(rounds = 5, count = 1000): void {
  const text = generatedSpecs(count);
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-bench-slo-"));
  try {
    const times: number[] = [];
    const promtool: number[] = [];
    let rules = 0;
    for (let i = 0; i < rounds; i++) {
      const start = performance.now();
      const file = generateRules(loadSloFiles([{ file: "slos.yaml", text }]));
      const yaml = renderRuleFile(file);
      times.push(performance.now() - start);
      rules = file.groups.reduce((n, g) => n + g.rules.length, 0);
      const out = path.join(dir, "rules.yml");
      writeFileSync(out, yaml);
      const checkStart = performance.now();
      execFileSync("promtool", ["check", "rules", out], { stdio: "ignore" });
      promtool.push(performance.now() - checkStart);
    }
    report({
      case: `slo.generate-${count}`,
      baseline: "promtool check rules (same file)",
      slipway_ms: round(median(times), 1),
      promtool_check_ms: round(median(promtool), 1),
      ratio: round(median(times) / median(promtool), 2),
      rules,
      goal_ms: 1000,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
