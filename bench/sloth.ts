import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { Server } from "node:http";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments, stringify } from "yaml";
import { sloGenerate } from "../src/reliability/index.js";
import { startPrometheus } from "../test/support/prometheus.js";
import type { PrometheusServer } from "../test/support/prometheus.js";
import { median, report, ROOT, round } from "./util.js";
import { generatedSpecs } from "./slo.js";

/**
 * `npm run bench sloth`: Slipway's `slo generate` side by side with the real Sloth (built from the
 * Go module proxy into a cache directory). For each spec it compares the two rule files
 * structurally (rule by rule), then loads each into its own real Prometheus (the two record the
 * same series, so they cannot share one server), both scraping one in-process exporter whose
 * counters grow at known, constant error ratios, and compares every `slo:*`/`sloth_slo_info`
 * series and the `ALERTS` of the two servers, plus each server's own rule-evaluation cost.
 */

const SLOTH_VERSION = "v0.16.0";
const CACHE_BIN = path.join(os.homedir(), ".cache", "slipway-bench", "bin");
const SLOTH = path.join(CACHE_BIN, "sloth");
/** Labels that name the generator, not the SLO; ignored when pairing rules and series. */
const GENERATOR_LABELS = new Set(["sloth_version", "sloth_mode"]);
const WAIT_MS = 20_000;
const REL_TOLERANCE = 1e-6;
/** Values this close are equal whatever their ratio: `1 - burn` near 0 cancels catastrophically. */
const ABS_TOLERANCE = 1e-12;

const run = promisify(execFile);

interface Rule {
  kind: "record" | "alert";
  name: string;
  group: string;
  expr: string;
  labels: Record<string, string>;
  for?: string;
  annotations?: Record<string, string>;
}

interface Case {
  name: string;
  spec: string;
}

/** Builds Sloth unless the cached binary exists; returns the build's wall time (0 when cached). */
async function ensureSloth(): Promise<number> {
  if (existsSync(SLOTH)) return 0;
  await mkdir(CACHE_BIN, { recursive: true });
  const start = performance.now();
  try {
    await run("go", ["install", `github.com/slok/sloth/cmd/sloth@${SLOTH_VERSION}`], {
      env: { ...process.env, GOBIN: CACHE_BIN },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    process.stderr.write(`building sloth ${SLOTH_VERSION} failed:\n${e.stderr ?? e.message}\n`);
    throw new Error(`go install github.com/slok/sloth/cmd/sloth@${SLOTH_VERSION} failed`, { cause: error });
  }
  return performance.now() - start;
}

// ---------------------------------------------------------------------------------------------
// Structural comparison of the two rule files.

type RuleDoc = { groups?: Array<{ name: string; rules?: Array<Record<string, unknown>> }> } | null;

/** YAML documents holding rule groups: Sloth writes one per spec document, `---`-separated. */
function ruleDocuments(text: string): RuleDoc[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as RuleDoc)
    .filter((d) => d !== null && d !== undefined);
}

/** Rules of every document (Prometheus itself reads only the first; see `yaml_documents`). */
function readRules(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const group of ruleDocuments(text).flatMap((d) => d?.groups ?? [])) {
    for (const r of group.rules ?? []) {
      const kind = typeof r["record"] === "string" ? "record" : "alert";
      const rule: Rule = {
        kind,
        name: String(r[kind]),
        group: group.name,
        expr: String(r["expr"]),
        labels: (r["labels"] as Record<string, string> | undefined) ?? {},
      };
      if (r["for"] !== undefined) rule.for = String(r["for"]);
      if (r["annotations"] !== undefined) rule.annotations = r["annotations"] as Record<string, string>;
      rules.push(rule);
    }
  }
  return rules;
}

function labelKey(labels: Record<string, string>): string {
  return Object.entries(labels)
    .filter(([k]) => !GENERATOR_LABELS.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",");
}

const ruleKey = (r: Rule) => `${r.kind}:${r.name}{${labelKey(r.labels)}}`;
/** Whitespace runs collapsed to one space. */
const normalise = (expr: string) => expr.replace(/\s+/g, " ").trim();
/** All whitespace removed: differs from `normalise` only in layout such as `on(x)` vs `on (x)`. */
const squeeze = (expr: string) => expr.replace(/\s+/g, "");
/** Also tolerant of redundant parentheses around the whole expression and float spelling. */
const loose = (expr: string) => {
  let s = squeeze(expr);
  while (s.startsWith("(") && s.endsWith(")") && balanced(s.slice(1, -1))) s = s.slice(1, -1);
  return s.replace(/\d+\.\d{12,}/g, (n) => String(Number(Number(n).toPrecision(12))));
};

function balanced(s: string): boolean {
  let depth = 0;
  for (const c of s) {
    if (c === "(") depth++;
    else if (c === ")" && --depth < 0) return false;
  }
  return depth === 0;
}

interface Structural {
  yaml_documents_slipway: number;
  yaml_documents_sloth: number;
  rules_slipway: number;
  rules_sloth: number;
  groups_slipway: number;
  groups_sloth: number;
  structural_matches: number;
  matches_ignoring_layout: number;
  matches_loose: number;
  only_slipway: number;
  only_sloth: number;
  differing: number;
  generator_labels_sloth: string[];
  generator_labels_slipway: string[];
  differences: Array<Record<string, unknown>>;
}

function compareStructure(slipwayText: string, slothText: string): Structural {
  const mine = readRules(slipwayText);
  const theirs = readRules(slothText);
  const byKey = (rules: Rule[]) => {
    const m = new Map<string, Rule>();
    for (const r of rules) m.set(ruleKey(r), r);
    return m;
  };
  const a = byKey(mine);
  const b = byKey(theirs);
  const differences: Array<Record<string, unknown>> = [];
  let exact = 0;
  let layout = 0;
  let looseMatches = 0;
  let differing = 0;
  for (const [key, r] of a) {
    const s = b.get(key);
    if (!s) {
      differences.push({ rule: key, only: "slipway", group: r.group });
      continue;
    }
    const diffs: Record<string, unknown> = {};
    const sameExpr = normalise(r.expr) === normalise(s.expr);
    if (!sameExpr) {
      diffs["expr_slipway"] = normalise(r.expr);
      diffs["expr_sloth"] = normalise(s.expr);
      diffs["expr_equal_ignoring_layout"] = squeeze(r.expr) === squeeze(s.expr);
      diffs["expr_equal_loose"] = loose(r.expr) === loose(s.expr);
    }
    if (r.group !== s.group) diffs["group"] = { slipway: r.group, sloth: s.group };
    if ((r.for ?? "") !== (s.for ?? "")) diffs["for"] = { slipway: r.for, sloth: s.for };
    if (JSON.stringify(sortObj(r.annotations)) !== JSON.stringify(sortObj(s.annotations)))
      diffs["annotations"] = { slipway: r.annotations, sloth: s.annotations };
    const otherThanExpr = Object.keys(diffs).some((k) => !k.startsWith("expr_"));
    if (Object.keys(diffs).length === 0) exact++;
    else {
      differing++;
      differences.push({ rule: key, ...diffs });
    }
    if (!otherThanExpr && squeeze(r.expr) === squeeze(s.expr)) layout++;
    if (!otherThanExpr && loose(r.expr) === loose(s.expr)) looseMatches++;
  }
  for (const [key, s] of b) if (!a.has(key)) differences.push({ rule: key, only: "sloth", group: s.group });
  const generatorLabels = (rules: Rule[]) => [
    ...new Set(
      rules.flatMap((r) =>
        Object.entries(r.labels)
          .filter(([k]) => GENERATOR_LABELS.has(k))
          .map(([k, v]) => `${k}=${v}`),
      ),
    ),
  ];
  return {
    yaml_documents_slipway: ruleDocuments(slipwayText).length,
    yaml_documents_sloth: ruleDocuments(slothText).length,
    rules_slipway: mine.length,
    rules_sloth: theirs.length,
    groups_slipway: new Set(mine.map((r) => r.group)).size,
    groups_sloth: new Set(theirs.map((r) => r.group)).size,
    structural_matches: exact,
    matches_ignoring_layout: layout,
    matches_loose: looseMatches,
    only_slipway: differences.filter((d) => d["only"] === "slipway").length,
    only_sloth: differences.filter((d) => d["only"] === "sloth").length,
    differing,
    generator_labels_sloth: generatorLabels(theirs),
    generator_labels_slipway: generatorLabels(mine),
    differences,
  };
}

function sortObj(o: Record<string, string> | undefined): Array<[string, string]> {
  return Object.entries(o ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// The exporter: counters proportional to elapsed time, so every error ratio is a known constant
// whatever the scrape and evaluation timing.

function exporterText(seconds: number): string {
  const lines: string[] = [];
  const counter = (name: string, labels: string, value: number) => lines.push(`${name}{${labels}} ${value}`);
  const total = 100 * seconds;
  lines.push("# TYPE http_requests_total counter");
  // checkout: 0.5% 5xx, 0.5% 429 (same/sloth.yaml sees 0.5%, checkout.yaml sees 1%).
  counter("http_requests_total", 'job="checkout",code="200"', total * 0.99);
  counter("http_requests_total", 'job="checkout",code="500"', total * 0.005);
  counter("http_requests_total", 'job="checkout",code="429"', total * 0.005);
  // svc-S route /rI: (I+1.3) per mille 5xx, so that no burn rate sits exactly on an alert
  // threshold (1, 3, 6, 14.4), where rounding in the evaluation alone decides whether it fires.
  for (let s = 0; s < 5; s++) {
    for (let i = 0; i < 10; i++) {
      const bad = (i + 1.3) / 1000;
      counter("http_requests_total", `job="svc-${s}",route="/r${i}",code="200"`, 10 * seconds * (1 - bad));
      counter("http_requests_total", `job="svc-${s}",route="/r${i}",code="503"`, 10 * seconds * bad);
    }
  }
  // Latency: 98% within 0.3s.
  lines.push("# TYPE http_request_duration_seconds histogram");
  counter("http_request_duration_seconds_bucket", 'job="checkout",le="0.1"', total * 0.9);
  counter("http_request_duration_seconds_bucket", 'job="checkout",le="0.3"', total * 0.98);
  counter("http_request_duration_seconds_bucket", 'job="checkout",le="+Inf"', total);
  counter("http_request_duration_seconds_sum", 'job="checkout"', total * 0.08);
  counter("http_request_duration_seconds_count", 'job="checkout"', total);
  // payments-worker: 0.2% failed jobs.
  lines.push("# TYPE worker_jobs_total counter");
  counter("worker_jobs_total", 'job="payments-worker"', 10 * seconds);
  lines.push("# TYPE worker_jobs_failed_total counter");
  counter("worker_jobs_failed_total", 'job="payments-worker"', 10 * seconds * 0.002);
  return `${lines.join("\n")}\n`;
}

async function startExporter(): Promise<{ server: Server; target: string }> {
  const t0 = performance.now();
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(exporterText((performance.now() - t0) / 1000 + 1));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { server, target: `127.0.0.1:${port}` };
}

// ---------------------------------------------------------------------------------------------
// Querying and comparing the two servers.

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function queryAt(server: PrometheusServer, expr: string, time: number): Promise<Sample[]> {
  const response = await fetch(
    `${server.url}/api/v1/query?${new URLSearchParams({ query: expr, time: String(time) })}`,
  );
  const body = (await response.json()) as { status: string; error?: string; data?: { result: Sample[] } };
  if (body.status !== "success") throw new Error(`query ${expr} on ${server.url} failed: ${body.error}`);
  return body.data?.result ?? [];
}

const seriesKey = (m: Record<string, string>) =>
  `${m["__name__"] ?? ""}{${labelKey(Object.fromEntries(Object.entries(m).filter(([k]) => k !== "__name__")))}}`;

interface ValueComparison {
  series_slipway: number;
  series_sloth: number;
  series_paired: number;
  series_only_slipway: string[];
  series_only_sloth: string[];
  value_max_rel_diff: number;
  value_max_abs_diff: number;
  values_over_tolerance: Array<Record<string, unknown>>;
  alerts_slipway: number;
  alerts_sloth: number;
  alerts_only_slipway: string[];
  alerts_only_sloth: string[];
}

function relDiff(x: number, y: number): number {
  if (x === y || (Number.isNaN(x) && Number.isNaN(y))) return 0;
  return Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y));
}

async function compareValues(mine: PrometheusServer, theirs: PrometheusServer): Promise<ValueComparison> {
  const time = Math.floor(Date.now() / 1000) - 1;
  const expr = '{__name__=~"slo:.*|sloth_slo_info"}';
  const [a, b] = await Promise.all([queryAt(mine, expr, time), queryAt(theirs, expr, time)]);
  const mapOf = (samples: Sample[]) => new Map(samples.map((s) => [seriesKey(s.metric), Number(s.value[1])]));
  const ma = mapOf(a);
  const mb = mapOf(b);
  let max = 0;
  let maxAbs = 0;
  let paired = 0;
  const over: Array<Record<string, unknown>> = [];
  for (const [key, x] of ma) {
    const y = mb.get(key);
    if (y === undefined) continue;
    paired++;
    const d = relDiff(x, y);
    max = Math.max(max, d);
    maxAbs = Math.max(maxAbs, Number.isNaN(x - y) ? 0 : Math.abs(x - y));
    if (d > REL_TOLERANCE && !(Math.abs(x - y) <= ABS_TOLERANCE))
      over.push({ series: key, slipway: x, sloth: y, rel_diff: d });
  }
  const alerts = async (server: PrometheusServer) =>
    (await queryAt(server, "ALERTS", time)).map((s) => seriesKey(s.metric)).sort();
  const [alertsA, alertsB] = await Promise.all([alerts(mine), alerts(theirs)]);
  return {
    series_slipway: ma.size,
    series_sloth: mb.size,
    series_paired: paired,
    series_only_slipway: [...ma.keys()].filter((k) => !mb.has(k)),
    series_only_sloth: [...mb.keys()].filter((k) => !ma.has(k)),
    value_max_rel_diff: max,
    value_max_abs_diff: maxAbs,
    values_over_tolerance: over,
    alerts_slipway: alertsA.length,
    alerts_sloth: alertsB.length,
    alerts_only_slipway: alertsA.filter((k) => !alertsB.includes(k)),
    alerts_only_sloth: alertsB.filter((k) => !alertsA.includes(k)),
  };
}

/** Rules `promtool check rules` finds in a file, i.e. what Prometheus would load from it. */
async function promtoolRuleCount(file: string): Promise<number> {
  const { stdout } = await run("promtool", ["check", "rules", file]);
  const found = /SUCCESS: (\d+) rules found/.exec(stdout);
  if (!found) throw new Error(`unexpected promtool output for ${file}:\n${stdout}`);
  return Number(found[1]);
}

/** Sum over groups of `prometheus_rule_group_last_duration_seconds`, and of the rule counts. */
async function ruleCost(server: PrometheusServer): Promise<{ seconds: number; rules: number }> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  let seconds = 0;
  let rules = 0;
  for (const line of text.split("\n")) {
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (line.startsWith("prometheus_rule_group_last_duration_seconds{")) seconds += value;
    else if (line.startsWith("prometheus_rule_group_rules{")) rules += value;
  }
  return { seconds, rules };
}

// ---------------------------------------------------------------------------------------------

export async function benchSloth(): Promise<void> {
  const buildMs = await ensureSloth();
  const { stdout: versionOut } = await run(SLOTH, ["version"]).catch(() => ({ stdout: "unknown" }));
  report({
    case: "sloth.build",
    sloth: SLOTH,
    version: versionOut.trim(),
    build_ms: round(buildMs, 0),
    cached: buildMs === 0,
  });

  const dir = await mkdtemp(path.join(os.tmpdir(), "slipway-bench-sloth-"));
  const servers: PrometheusServer[] = [];
  let exporter: Server | undefined;
  try {
    const generated = path.join(dir, "generated-50.yaml");
    await writeFile(generated, generatedSpecs(50));
    const cases: Case[] = [
      { name: "same-sloth", spec: path.join(ROOT, "test/fixtures/slo/same/sloth.yaml") },
      { name: "checkout", spec: path.join(ROOT, "test/fixtures/slo/checkout.yaml") },
      { name: "generated-50", spec: generated },
    ];

    // Generate with both, a few rounds each, interleaved.
    const outputs = new Map<
      string,
      {
        slipway: string;
        sloth: string;
        slothMerged: string;
        slothLoadedAsWritten: number;
        slipwayMs: number;
        slothMs: number;
      }
    >();
    for (const c of cases) {
      const slipwayFile = path.join(dir, `${c.name}.slipway.yaml`);
      const slothFile = path.join(dir, `${c.name}.sloth.yaml`);
      const mineMs: number[] = [];
      const theirsMs: number[] = [];
      let text = "";
      for (let i = 0; i < 5; i++) {
        let start = performance.now();
        text = await sloGenerate([c.spec]);
        mineMs.push(performance.now() - start);
        start = performance.now();
        try {
          await run(SLOTH, ["generate", "-i", c.spec, "-o", slothFile], { maxBuffer: 64 * 1024 * 1024 });
        } catch (error) {
          const e = error as { stderr?: string; message: string };
          throw new Error(`sloth generate -i ${c.spec} failed:\n${e.stderr ?? e.message}`, { cause: error });
        }
        theirsMs.push(performance.now() - start);
      }
      await writeFile(slipwayFile, text);
      // Sloth writes one `---`-separated YAML document per spec document, and Prometheus reads
      // only the first. Its server gets all groups in one document, so that every SLO's values
      // are compared; how many rules the file loads as written is reported separately.
      const slothText = await readFile(slothFile, "utf8");
      const slothMerged = path.join(dir, `${c.name}.sloth.merged.yaml`);
      await writeFile(
        slothMerged,
        stringify({ groups: ruleDocuments(slothText).flatMap((d) => d?.groups ?? []) }),
      );
      outputs.set(c.name, {
        slipway: slipwayFile,
        sloth: slothFile,
        slothMerged,
        slothLoadedAsWritten: await promtoolRuleCount(slothFile),
        slipwayMs: median(mineMs),
        slothMs: median(theirsMs),
      });
    }

    const started = await startExporter();
    exporter = started.server;
    const configExtra = {
      scrape_configs: [
        { job_name: "bench", honor_labels: true, static_configs: [{ targets: [started.target] }] },
      ],
    };
    // One pair of servers per case, all started together so they run under the same load.
    const pairs = await Promise.all(
      cases.map(async (c) => {
        const out = outputs.get(c.name)!;
        const [mine, theirs] = await Promise.all([
          startPrometheus({ rulesFile: out.slipway, configExtra }).then((s) => (servers.push(s), s)),
          startPrometheus({ rulesFile: out.slothMerged, configExtra }).then((s) => (servers.push(s), s)),
        ]);
        return { c, out, mine, theirs };
      }),
    );
    // Sample the evaluation cost during the last part of the wait (after scraping has started).
    const cost = new Map<PrometheusServer, number[]>();
    const waitEnd = Date.now() + WAIT_MS;
    while (Date.now() < waitEnd) {
      await new Promise((r) => setTimeout(r, 1000));
      if (waitEnd - Date.now() > 10_000) continue;
      for (const p of pairs) {
        for (const s of [p.mine, p.theirs]) {
          const list = cost.get(s) ?? [];
          list.push((await ruleCost(s)).seconds);
          cost.set(s, list);
        }
      }
    }

    for (const { c, out, mine, theirs } of pairs) {
      const structural = compareStructure(
        await readFile(out.slipway, "utf8"),
        await readFile(out.sloth, "utf8"),
      );
      const values = await compareValues(mine, theirs);
      const [costMine, costTheirs] = await Promise.all([ruleCost(mine), ruleCost(theirs)]);
      const { differences, ...summary } = structural;
      const evalMine = median(cost.get(mine) ?? [costMine.seconds]);
      const evalTheirs = median(cost.get(theirs) ?? [costTheirs.seconds]);
      report({
        case: `sloth.equivalence.${c.name}`,
        specs: [
          path.relative(ROOT, c.spec).startsWith("..") ? path.basename(c.spec) : path.relative(ROOT, c.spec),
        ],
        ...summary,
        differences: differences.slice(0, 6),
        differences_total: differences.length,
        generate_ms_slipway: round(out.slipwayMs, 2),
        generate_ms_sloth_process: round(out.slothMs, 1),
        ...values,
        series_only_slipway: values.series_only_slipway.slice(0, 6),
        series_only_sloth: values.series_only_sloth.slice(0, 6),
        values_over_tolerance: values.values_over_tolerance.slice(0, 6),
        values_over_tolerance_total: values.values_over_tolerance.length,
        tolerance: { rel: REL_TOLERANCE, abs: ABS_TOLERANCE },
        eval_seconds_slipway: round(evalMine, 6),
        eval_seconds_sloth: round(evalTheirs, 6),
        eval_ratio: round(evalMine / evalTheirs, 2),
        eval_us_per_rule_slipway: round((evalMine / costMine.rules) * 1e6, 1),
        eval_us_per_rule_sloth: round((evalTheirs / costTheirs.rules) * 1e6, 1),
        prom_rules_slipway: costMine.rules,
        prom_rules_sloth_merged: costTheirs.rules,
        sloth_rules_loaded_as_written: out.slothLoadedAsWritten,
      });
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    if (exporter) {
      const e = exporter;
      await new Promise<void>((resolve) => e.close(() => resolve()));
    }
    await rm(dir, { recursive: true, force: true });
  }
}
