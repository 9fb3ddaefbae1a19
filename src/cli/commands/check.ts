import { existsSync } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../../config/atomic-write.js";
import {
  FRAMEWORK_SCANNERS,
  atLeast,
  baselineOf,
  formatJson,
  formatJunit,
  formatSarif,
  formatText,
  loadCustomRules,
  readBaseline,
  scan,
  writeBaseline,
  type Baseline,
  type Framework,
  type ScanResult,
  type Severity,
} from "../../guardrails/index.js";
import { UsageError } from "../../errors/index.js";
import { EXIT } from "../exit-codes.js";
import type { CheckFormat } from "../../guardrails/model.js";

export interface CheckFlags {
  format: CheckFormat;
  output?: string;
  failOn: Severity | "none";
  framework?: Framework[];
  rule?: string[];
  skipRule?: string[];
  exclude?: string[];
  varFile?: string[];
  baseline?: string;
  writeBaseline?: string | true;
  rulesDir?: string[];
  color?: boolean;
  listRules?: boolean;
  /** Check the live objects of this kubeconfig's cluster instead of files. */
  kubeconfig?: string;
  context?: string;
  namespace?: string[];
}

/** Where `slipway check` looks for an accepted-findings baseline when none is named. */
export const DEFAULT_BASELINE = ".slipway/check-baseline.json";

/**
 * `slipway check [PATH...]`: scans infrastructure code and pipelines, prints the findings, and
 * exits 1 when one is at or above `--fail-on`, 2 when a file could not be read as what it claims
 * to be (a file that cannot be parsed cannot be vouched for).
 */
export async function checkCommand(paths: string[], flags: CheckFlags): Promise<void> {
  const root = process.cwd();
  const customRules = await loadCustomRules(root, flags.rulesDir);
  if (flags.listRules) {
    process.stdout.write(listRules(customRules));
    return;
  }
  if (flags.kubeconfig === undefined && (flags.context !== undefined || flags.namespace !== undefined))
    throw new UsageError("--context and --namespace choose what to read from a cluster", {
      hint: "add --kubeconfig FILE to check the cluster's live objects",
    });
  const baselinePath = flags.baseline ?? (existsSync(DEFAULT_BASELINE) ? DEFAULT_BASELINE : undefined);
  const writingBaseline = flags.writeBaseline !== undefined;
  // A new baseline records everything that is found, not only what the old one missed.
  const baseline = baselinePath && !writingBaseline ? await readBaseline(baselinePath) : undefined;
  const result =
    flags.kubeconfig === undefined
      ? await scan({
          root,
          paths: paths.length > 0 ? paths : ["."],
          exclude: flags.exclude,
          frameworks: flags.framework,
          rules: flags.rule,
          skipRules: flags.skipRule,
          varFiles: flags.varFile,
          customRules,
          baseline,
        })
      : await scanLive(paths, flags, { root, customRules, baseline });

  if (writingBaseline) {
    const file = flags.writeBaseline === true ? DEFAULT_BASELINE : (flags.writeBaseline as string);
    await writeBaseline(file, baselineOf(result).findings);
    process.stderr.write(`wrote ${result.findings.length} finding(s) to ${file}\n`);
    return;
  }

  const color = flags.color ?? (process.stdout.isTTY && !process.env.NO_COLOR);
  const rendered = render(result, flags.format, color && !flags.output);
  if (flags.output) {
    await writeFileAtomic(flags.output, rendered);
    process.stdout.write(flags.format === "text" ? "" : formatText(result, { color }));
    process.stderr.write(
      `wrote ${flags.format} report to ${path.relative(root, path.resolve(flags.output))}\n`,
    );
  } else {
    process.stdout.write(rendered);
  }
  process.exitCode = exitCode(result, flags.failOn);
}

/**
 * `--kubeconfig`: the cluster's live objects instead of files. Paths are refused rather than
 * scanned alongside: in one model, cross-object rules would relate manifests to live objects (a
 * Service in a file "selecting" pods in the cluster), findings true of neither.
 */
async function scanLive(
  paths: string[],
  flags: CheckFlags,
  options: {
    root: string;
    customRules: Awaited<ReturnType<typeof loadCustomRules>>;
    baseline: Baseline | undefined;
  },
): Promise<ScanResult> {
  if (paths.length > 0)
    throw new UsageError(`--kubeconfig checks a cluster, not files: ${paths.join(" ")} given too`, {
      hint: "run `slipway check PATH...` and `slipway check --kubeconfig FILE` separately",
    });
  if (flags.exclude?.length || flags.varFile?.length)
    throw new UsageError("--exclude and --var-file select files; --kubeconfig reads no files", {
      hint: "limit a cluster check with --namespace NS",
    });
  if (flags.framework && !flags.framework.includes("kubernetes"))
    throw new UsageError("--kubeconfig checks Kubernetes objects, but --framework leaves kubernetes out");
  // Loaded only here: the Kubernetes client is a large module that file checks never need.
  const { scanCluster } = await import("../../guardrails/kubernetes/live.js");
  return scanCluster({
    kubeconfig: flags.kubeconfig ?? "",
    context: flags.context,
    namespaces: flags.namespace,
    root: options.root,
    rules: flags.rule,
    skipRules: flags.skipRule,
    customRules: options.customRules,
    baseline: options.baseline,
  });
}

function render(result: ScanResult, format: CheckFormat, color: boolean): string {
  switch (format) {
    case "json":
      return formatJson(result);
    case "sarif":
      return formatSarif(result);
    case "junit":
      return formatJunit(result);
    default:
      return formatText(result, { color });
  }
}

export function exitCode(result: ScanResult, failOn: Severity | "none"): number {
  if (result.diagnostics.length > 0) return EXIT.invalid;
  if (failOn === "none") return EXIT.ok;
  return result.findings.some((finding) => atLeast(finding, failOn)) ? EXIT.failed : EXIT.ok;
}

function listRules(
  custom: readonly { id: string; severity: Severity; framework: Framework; title: string }[],
): string {
  const rules = [...FRAMEWORK_SCANNERS.flatMap((s) => s.rules), ...custom];
  const width = Math.max(...rules.map((r) => r.id.length));
  return `${rules
    .map((r) => `${r.id.padEnd(width)}  ${r.severity.padEnd(8)}  ${r.framework.padEnd(14)}  ${r.title}`)
    .join("\n")}\n${rules.length} rules\n`;
}
