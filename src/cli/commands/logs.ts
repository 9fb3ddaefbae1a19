import { UsageError } from "../../errors/index.js";
import { openLocalStore } from "../../pipeline/index.js";
import { colours } from "../render/format.js";
import { displayLogText, RunNotes } from "../render/workflow.js";
import { dataDirFor } from "./load.js";

export async function logsCommand(
  runRef: string,
  jobKey: string | undefined,
  flags: { json?: boolean; timestamps?: boolean; dataDir?: string },
): Promise<void> {
  const store = await openLocalStore(dataDirFor(flags.dataDir));
  try {
    const run = await store.getRun(runRef);
    if (!run) throw new UsageError(`no run "${runRef}"`, { hint: "`slipway runs` lists the runs" });
    const jobs = await store.listJobs(run.id);
    if (jobKey !== undefined && !jobs.some((j) => j.key === jobKey)) {
      throw new UsageError(`run #${run.number} has no job "${jobKey}"`, {
        hint: `jobs: ${jobs.map((j) => j.key).join(", ")}`,
      });
    }
    const lines = await store.readLogs({ runId: run.id, ...(jobKey !== undefined ? { jobKey } : {}) });
    const steps = await store.listSteps(run.id, jobKey);
    const stepName = new Map(steps.map((s) => [`${s.jobKey}\u0000${s.index}`, s.name]));
    const c = colours(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
    let current = "";
    for (const line of lines) {
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(line)}\n`);
        continue;
      }
      const header = `${line.jobKey}\u0000${line.stepIndex}\u0000${line.attempt}`;
      if (header !== current) {
        current = header;
        const name = stepName.get(`${line.jobKey}\u0000${line.stepIndex}`) ?? `step ${line.stepIndex + 1}`;
        process.stdout.write(
          `── ${line.jobKey} › ${name}${line.attempt > 1 ? ` (attempt ${line.attempt})` : ""}\n`,
        );
      }
      const time = flags.timestamps ? `${new Date(line.at).toISOString()} ` : "";
      const text = line.stream === "system" ? `[slipway] ${line.text}` : displayLogText(line.text, c);
      if (text !== undefined) process.stdout.write(`${time}${text}\n`);
    }
    // Annotations and step summaries live in the run's event log.
    const notes = new RunNotes();
    notes.names(
      jobs.map((j) => ({
        key: j.key,
        jobId: j.jobId,
        name: j.name,
        needs: j.needs,
        matrix: j.matrix,
        steps: steps.filter((s) => s.jobKey === j.key).map((s) => ({ index: s.index, name: s.name })),
      })),
    );
    for (const event of await store.listEvents(run.id)) {
      if (event.type !== "step.annotation" && event.type !== "step.summary") continue;
      if (jobKey !== undefined && event.jobKey !== jobKey) continue;
      if (flags.json) process.stdout.write(`${JSON.stringify(event)}\n`);
      else notes.observe(event);
    }
    if (!flags.json) process.stdout.write(notes.render(c));
  } finally {
    await store.close();
  }
}
