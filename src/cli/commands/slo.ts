import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  formatGateDecision,
  formatStatusTable,
  readSloFiles,
  sloAlertmanagerConfig,
  sloDashboard,
  sloGate,
  sloGenerate,
  sloStatus,
} from "../../reliability/index.js";

interface SloInputFlags {
  slothPeriod?: string;
}

export interface SloGateFlags extends SloInputFlags {
  prometheus: string;
  minBudgetRemaining?: number;
  blockOnPageAlert: boolean;
  slo?: string[];
  overrideReason?: string;
  json?: boolean;
}

function inputOptions(flags: SloInputFlags): { slothPeriod?: string } {
  return flags.slothPeriod === undefined ? {} : { slothPeriod: flags.slothPeriod };
}

async function emit(text: string, output: string | undefined): Promise<void> {
  if (output) {
    await writeFile(output, text);
    process.stderr.write(`wrote ${output}\n`);
  } else {
    process.stdout.write(text);
  }
}

/** `slipway slo generate FILE... [-o rules.yml]`: Sloth-compatible Prometheus rules for the SLOs. */
export async function sloGenerateCommand(
  files: string[],
  flags: SloInputFlags & { output?: string },
): Promise<void> {
  await emit(await sloGenerate(files, inputOptions(flags)), flags.output);
}

/** `slipway slo dashboard FILE... [-o DIR]`: one Grafana dashboard per service. */
export async function sloDashboardCommand(
  files: string[],
  flags: SloInputFlags & { output?: string },
): Promise<void> {
  const dashboards = sloDashboard(await readSloFiles(files, inputOptions(flags)));
  if (!flags.output) {
    process.stdout.write(
      `${JSON.stringify(dashboards.length === 1 ? dashboards[0] : dashboards, null, 2)}\n`,
    );
    return;
  }
  await mkdir(flags.output, { recursive: true });
  for (const dashboard of dashboards) {
    const file = path.join(flags.output, `${dashboard.uid}.json`);
    await writeFile(file, `${JSON.stringify(dashboard, null, 2)}\n`);
    process.stderr.write(`wrote ${file}\n`);
  }
}

/** `slipway slo alertmanager FILE...`: the route and receivers for page and ticket alerts. */
export async function sloAlertmanagerCommand(
  files: string[],
  flags: SloInputFlags & { output?: string; full?: boolean; pageReceiver?: string; ticketReceiver?: string },
): Promise<void> {
  const set = await readSloFiles(files, inputOptions(flags));
  const config = sloAlertmanagerConfig(set, {
    full: flags.full ?? false,
    ...(flags.pageReceiver ? { pageReceiver: flags.pageReceiver } : {}),
    ...(flags.ticketReceiver ? { ticketReceiver: flags.ticketReceiver } : {}),
  });
  await emit(config, flags.output);
}

/** `slipway slo status FILE... --prometheus URL`: SLI, budget left, burn rates and alerts, live. */
export async function sloStatusCommand(
  files: string[],
  flags: SloInputFlags & { prometheus: string; json?: boolean },
): Promise<void> {
  const statuses = await sloStatus(await readSloFiles(files, inputOptions(flags)), flags.prometheus);
  process.stdout.write(flags.json ? `${JSON.stringify(statuses, null, 2)}\n` : formatStatusTable(statuses));
}

/**
 * `slipway slo gate FILE... --prometheus URL`: exit 0 when a deploy may go ahead, 1 when an error
 * budget is below the threshold, a page alert fires or data is missing (fails closed). An
 * override reason lets a blocked deploy through and is printed, so the run's log records it.
 */
export async function sloGateCommand(files: string[], flags: SloGateFlags): Promise<void> {
  const decision = await sloGate(await readSloFiles(files, inputOptions(flags)), flags.prometheus, {
    blockOnPageAlert: flags.blockOnPageAlert,
    ...(flags.minBudgetRemaining !== undefined ? { minBudgetRemaining: flags.minBudgetRemaining } : {}),
    ...(flags.slo ? { slos: flags.slo } : {}),
    ...(flags.overrideReason !== undefined ? { overrideReason: flags.overrideReason } : {}),
  });
  process.stdout.write(
    flags.json ? `${JSON.stringify(decision, null, 2)}\n` : `${formatGateDecision(decision)}\n`,
  );
  if (!decision.allowed) process.exitCode = 1;
}
