import { readFile } from "node:fs/promises";
import { EnvironmentError, UsageError } from "../errors/index.js";
import { parsePromDuration } from "./duration.js";
import { generateRules } from "./generate-rules.js";
import type { GenerateOptions } from "./generate-rules.js";
import { loadSloFiles } from "./load-slo-files.js";
import type { SloFile } from "./load-slo-files.js";
import type { SloSet } from "./model.js";
import { renderRuleFile } from "./render-rules.js";
import { builtInWindows } from "./windows.js";

export interface SloGenerateOptions extends GenerateOptions {
  /**
   * Period of Sloth specs, which have none of their own: "30d" (default) or "28d", as
   * `sloth generate --default-slo-period`. OpenSLO and native SLOs carry their own period.
   */
  slothPeriod?: string;
}

/**
 * `slipway slo generate FILE...`: reads SLO files (Sloth prometheus/v1, OpenSLO v1 or Slipway's
 * native `slos:`, told apart by content) and returns one Prometheus rule file for all of them.
 * Every file is read and checked before anything is generated, so one run reports the problems
 * of all files.
 */
export async function sloGenerate(files: string[], options: SloGenerateOptions = {}): Promise<string> {
  const { slothPeriod, ...generateOptions } = options;
  const set = await readSloFiles(files, slothPeriod === undefined ? {} : { slothPeriod });
  return renderRuleFile(generateRules(set, generateOptions));
}

/** Reads and checks SLO files of any supported format (every problem of every file at once). */
export async function readSloFiles(files: string[], options: { slothPeriod?: string } = {}): Promise<SloSet> {
  const { slothPeriod } = options;
  const slothWindows =
    slothPeriod === undefined ? undefined : builtInWindows(parsePromDuration(slothPeriod) ?? 0);
  if (slothPeriod !== undefined && !slothWindows) {
    throw new UsageError(`unsupported Sloth SLO period "${slothPeriod}"`, {
      hint: "Sloth specs can use 30d or 28d; other periods need a windows definition in Slipway's native slos: format",
    });
  }
  const inputs: SloFile[] = [];
  for (const file of files) {
    try {
      inputs.push({ file, text: await readFile(file, "utf8") });
    } catch (error) {
      throw new EnvironmentError(`cannot read ${file}: ${(error as Error).message}`, {
        cause: error,
        hint: "pass the paths of SLO files (Sloth prometheus/v1, OpenSLO v1 or Slipway slos:)",
      });
    }
  }
  return loadSloFiles(inputs, slothWindows ? { slothWindows } : {});
}
