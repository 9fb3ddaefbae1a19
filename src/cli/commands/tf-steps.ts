import { appendFile } from "node:fs/promises";
import { SlipwayError, UsageError } from "../../errors/index.js";
import {
  DRIFT_REPORT_KIND,
  PLAN_REPORT_KIND,
  TerraformFailure,
  configurationDir,
  driftStepReport,
  driftSummaryMarkdown,
  driftSummaryText,
  planSummaryMarkdown,
  planStepReport,
  planSummaryText,
  terraformApply,
  terraformDrift,
  terraformPlan,
} from "../../terraform/index.js";
import type { TerraformOutput } from "../../terraform/index.js";
import { EXIT } from "../exit-codes.js";

/**
 * `slipway tf plan|apply|drift`: what the terraform-plan, terraform-apply and terraform-drift
 * steps of slipway.yaml run. Terraform's output streams into the step's log; the summary goes to
 * the log and the step summary, values for later steps to the step's outputs file, and what a
 * server records as the configuration's drift status to the step's report file.
 */

interface CommonFlags {
  dir: string;
  initArg?: string[];
  binary?: string;
}

export interface TfPlanFlags extends CommonFlags {
  workspace?: string;
  varFile?: string[];
  var?: string[];
  out?: string;
}

export interface TfApplyFlags extends CommonFlags {
  plan?: string;
  checksum?: string;
}

export interface TfDriftFlags extends CommonFlags {
  workspace?: string[];
  varFile?: string[];
  var?: string[];
  report?: string;
  failOnDrift: boolean;
}

/** `slipway tf drift` exits with this when a workspace has drifted (and fail-on-drift is on). */
export const EXIT_DRIFTED = 3;

const output: TerraformOutput = {
  write: (stream, text) => void (stream === "stdout" ? process.stdout : process.stderr).write(text),
};

export async function tfPlanCommand(flags: TfPlanFlags): Promise<void> {
  await verdict(async () => {
    const result = await terraformPlan({
      ...common(flags),
      workspace: flags.workspace,
      varFiles: flags.varFile,
      vars: parseVars(flags.var),
      out: flags.out,
    });
    const context = { dir: flags.dir, workspace: result.meta.workspace, checksum: result.meta.checksum };
    process.stdout.write(`\n${planSummaryText(result.summary, context)}`);
    await appendStepSummary(planSummaryMarkdown(result.summary, context));
    await writeStepOutputs({
      add: result.summary.add,
      change: result.summary.change,
      destroy: result.summary.destroy,
      replace: result.summary.replace,
      "has-changes": result.summary.hasChanges,
      checksum: result.meta.checksum,
      workspace: result.meta.workspace,
      plan: result.planFile,
      json: result.jsonFile,
    });
    await writeStepReport(PLAN_REPORT_KIND, planStepReport(result, reportedDir(flags.dir)));
    return EXIT.ok;
  });
}

export async function tfApplyCommand(flags: TfApplyFlags): Promise<void> {
  await verdict(async () => {
    const result = await terraformApply({ ...common(flags), plan: flags.plan, checksum: flags.checksum });
    process.stdout.write(
      `\napplied the plan with SHA-256 ${result.checksum} to ${flags.dir} (workspace ${result.workspace})\n`,
    );
    await writeStepOutputs({ checksum: result.checksum, workspace: result.workspace });
    return EXIT.ok;
  });
}

/** Exit 0 clean, 3 drifted (unless --no-fail-on-drift), 1 when terraform failed or could not run. */
export async function tfDriftCommand(flags: TfDriftFlags): Promise<void> {
  await verdict(async () => {
    const { report, reportFile } = await terraformDrift({
      ...common(flags),
      workspaces: flags.workspace,
      varFiles: flags.varFile,
      vars: parseVars(flags.var),
      report: flags.report,
    });
    process.stdout.write(`\n${driftSummaryText(report, reportFile)}`);
    await appendStepSummary(driftSummaryMarkdown(report, reportFile));
    await writeStepOutputs({
      drifted: report.drifted,
      "drifted-workspaces": report.workspaces
        .filter((w) => w.drifted)
        .map((w) => w.workspace)
        .join(","),
      report: reportFile,
    });
    await writeStepReport(DRIFT_REPORT_KIND, driftStepReport(report, reportedDir(flags.dir)));
    return report.drifted && flags.failOnDrift ? EXIT_DRIFTED : EXIT.ok;
  }, EXIT.failed);
}

function common(flags: CommonFlags) {
  return {
    dir: flags.dir,
    initArgs: flags.initArg,
    binary: flags.binary,
    cwd: process.cwd(),
    env: process.env,
    output,
  };
}

/**
 * A refusal or a failed terraform is the step's verdict (exit 1) with its reason; other errors go
 * to the CLI's usual handling, except for drift, where they too exit 1 so that exit 3 always means
 * "drifted" to a scheduled job.
 */
async function verdict(body: () => Promise<number>, environmentExit?: number): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (error) {
    const mapped =
      error instanceof TerraformFailure
        ? EXIT.failed
        : environmentExit !== undefined && error instanceof SlipwayError && !(error instanceof UsageError)
          ? environmentExit
          : undefined;
    if (mapped === undefined) throw error;
    const failure = error as SlipwayError;
    process.stderr.write(`error: ${failure.message}\n${failure.hint ? `hint: ${failure.hint}\n` : ""}`);
    process.exitCode = mapped;
  }
}

function parseVars(values: readonly string[] | undefined): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const value of values ?? []) {
    const equals = value.indexOf("=");
    if (equals <= 0) throw new UsageError(`--var ${value}: expected NAME=VALUE`);
    vars[value.slice(0, equals)] = value.slice(equals + 1);
  }
  return vars;
}

/** The native step files, or GitHub's when the command runs in a GitHub workflow. */
async function writeStepOutputs(values: Record<string, string | number | boolean>): Promise<void> {
  const file = process.env.SLIPWAY_OUTPUT || process.env.GITHUB_OUTPUT;
  if (!file) return;
  const lines = Object.entries(values).map(
    ([name, value]) => `${name}=${String(value).replaceAll("\n", " ")}\n`,
  );
  await appendFile(file, lines.join(""));
}

/** One line of the step's report file (`$SLIPWAY_REPORT`), which the engine turns into an event. */
async function writeStepReport(kind: string, body: unknown): Promise<void> {
  const file = process.env.SLIPWAY_REPORT;
  if (file) await appendFile(file, `${JSON.stringify({ kind, body })}\n`);
}

function reportedDir(dir: string): string {
  return configurationDir(dir, process.cwd(), process.env.SLIPWAY_WORKSPACE);
}

async function appendStepSummary(markdown: string): Promise<void> {
  const file = process.env.SLIPWAY_STEP_SUMMARY || process.env.GITHUB_STEP_SUMMARY;
  if (file) await appendFile(file, markdown);
}
