import { openLocalStore } from "../../pipeline/index.js";
import { colours, formatDuration, statusIcon } from "../render/format.js";
import { dataDirFor } from "./load.js";

export async function runsCommand(flags: { limit: number; json?: boolean; dataDir?: string }): Promise<void> {
  const store = await openLocalStore(dataDirFor(flags.dataDir));
  try {
    const runs = await store.listRuns({ limit: flags.limit });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      return;
    }
    if (runs.length === 0) {
      process.stdout.write("no runs yet: start one with `slipway run`\n");
      return;
    }
    const c = colours(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
    for (const run of runs) {
      const duration = run.finishedAt && run.startedAt ? formatDuration(run.finishedAt - run.startedAt) : "";
      const commit = run.commit ? `${run.commit.slice(0, 8)}${run.dirty ? "+dirty" : ""}` : "no commit";
      process.stdout.write(
        `${statusIcon(run.status, c)} #${String(run.number).padEnd(4)} ${run.status.padEnd(11)} ${duration.padEnd(7)} ${new Date(run.queuedAt).toISOString().slice(0, 19).replace("T", " ")}  ${run.pipelineName} ${c.dim(`${run.file} · ${commit} · ${run.id}`)}\n`,
      );
    }
  } finally {
    await store.close();
  }
}
