import { execFile, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { writeCorpus } from "./check-corpus.js";
import { median, report, round, SLIPWAY } from "./util.js";

/**
 * `npm run bench check`: `slipway check` and checkov on the same generated repository, one after
 * the other in this script, both as the command-line tools users run. Checkov is installed from
 * PyPI into a cache directory on first use (pinned below); it is only ever a yardstick.
 */

const CHECKOV_VERSION = "3.3.30";
const VENV = path.join(os.homedir(), ".cache", "slipway-bench", "checkov-venv");
const CHECKOV = path.join(VENV, "bin", "checkov");
const SLIPWAY_ROUNDS = 5;
const CHECKOV_ROUNDS = 1;

const run = promisify(execFile);

export async function benchCheck(): Promise<void> {
  await ensureCheckov();
  const root = await mkdtemp(path.join(os.tmpdir(), "slipway-check-bench-"));
  try {
    const files = await writeCorpus(root);
    const slipway = measure(SLIPWAY_ROUNDS, () => {
      const result = spawnSync(
        process.execPath,
        [SLIPWAY, "check", ".", "--format", "json", "--fail-on", "none"],
        {
          cwd: root,
          encoding: "utf8",
          maxBuffer: 512 * 1024 * 1024,
        },
      );
      if (result.status !== 0) throw new Error(`slipway check failed (${result.status}): ${result.stderr}`);
      return countSlipway(result.stdout);
    });
    const checkov = measure(CHECKOV_ROUNDS, () => {
      const result = spawnSync(
        CHECKOV,
        [
          "-d",
          ".",
          "-o",
          "json",
          "--quiet",
          "--compact",
          "--skip-download",
          "--framework",
          ...CHECKOV_FRAMEWORKS,
        ],
        {
          cwd: root,
          encoding: "utf8",
          maxBuffer: 1024 * 1024 * 1024,
          env: { ...process.env, LOG_LEVEL: "ERROR" },
        },
      );
      // checkov exits 1 when it finds anything; only a crash is a failure here.
      if (result.status !== 0 && result.status !== 1)
        throw new Error(`checkov failed (${result.status}): ${result.stderr.slice(-2000)}`);
      return countCheckov(result.stdout);
    });
    report({
      bench: "check",
      files,
      slipway_ms: round(slipway.ms, 0),
      checkov_ms: round(checkov.ms, 0),
      slipway_files_per_s: round((files / slipway.ms) * 1000, 0),
      checkov_files_per_s: round((files / checkov.ms) * 1000, 1),
      speedup_vs_checkov: round(checkov.ms / slipway.ms, 1),
      slipway_findings: slipway.findings,
      checkov_findings: checkov.findings,
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** The checkov frameworks that cover what Slipway scans in this corpus. */
const CHECKOV_FRAMEWORKS = ["terraform", "kubernetes", "dockerfile", "github_actions", "secrets"];

function measure(
  rounds: number,
  once: () => Record<string, number>,
): { ms: number; findings: Record<string, number> } {
  const times: number[] = [];
  let findings: Record<string, number> = {};
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    findings = once();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { ms: median(times), findings };
}

function countSlipway(stdout: string): Record<string, number> {
  const parsed = JSON.parse(stdout) as { findings: { framework: string }[] };
  return tally(parsed.findings.map((f) => f.framework));
}

function countCheckov(stdout: string): Record<string, number> {
  const parsed = JSON.parse(stdout) as
    | { check_type: string; results: { failed_checks: unknown[] } }
    | { check_type: string; results: { failed_checks: unknown[] } }[];
  const reports = Array.isArray(parsed) ? parsed : [parsed];
  const counts: Record<string, number> = {};
  for (const r of reports)
    counts[r.check_type] = (counts[r.check_type] ?? 0) + r.results.failed_checks.length;
  return counts;
}

function tally(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

async function ensureCheckov(): Promise<void> {
  if (existsSync(CHECKOV)) return;
  process.stderr.write(`installing checkov ${CHECKOV_VERSION} from PyPI into ${VENV} (first run only)\n`);
  await mkdir(path.dirname(VENV), { recursive: true });
  await run("python3", ["-m", "venv", VENV]);
  await run(path.join(VENV, "bin", "pip"), ["install", "--quiet", `checkov==${CHECKOV_VERSION}`], {
    maxBuffer: 64 * 1024 * 1024,
  });
}
