import { writeFile } from "node:fs/promises";
import { sloGenerate } from "../../reliability/index.js";

/** `slipway slo generate FILE... [-o rules.yml]`: Sloth-compatible Prometheus rules for the SLOs. */
export async function sloGenerateCommand(files: string[], flags: { output?: string }): Promise<void> {
  const rules = await sloGenerate(files);
  if (flags.output) {
    await writeFile(flags.output, rules);
    process.stderr.write(`wrote ${flags.output}\n`);
  } else {
    process.stdout.write(rules);
  }
}
