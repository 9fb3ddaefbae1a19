import { describe, expect, it } from "vitest";
import { cli, project, startCli } from "../support/cli.js";
import { APPROVAL_PIPELINE, APPROVAL_SUBJECT } from "../fixtures/approval-pipeline.js";

/*
 * A job with `approval` waits, before it starts, until a person approves what it names (here a
 * checksum another job computed) with `slipway approve`, from another terminal on the same store.
 */

/** Runs the pipeline in the background and resolves once a job waits, with the run's number. */
async function startWaiting(dir: string) {
  const child = startCli(dir, ["run", "--plain"]);
  const state = { output: "" };
  child.stdout?.on("data", (chunk: Buffer) => (state.output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (state.output += chunk.toString()));
  const ended = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const waiting = /slipway approve (\d+) apply/.exec(state.output);
    if (waiting) return { state, ended, number: Number(waiting[1]) };
    if (Date.now() > deadline) throw new Error(`no job waits for approval:\n${state.output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("jobs that wait for approval", () => {
  it("start only when a person approves what they name, and fail when rejected", async () => {
    const dir = project(APPROVAL_PIPELINE);
    const first = await startWaiting(dir);
    expect(first.state.output).toContain(
      `slipway approve ${first.number} apply --subject ${APPROVAL_SUBJECT}`,
    );
    expect(first.state.output).not.toContain("APPLIED");

    // A decision about anything else than what the job names is refused, and changes nothing.
    const wrong = cli(dir, ["approve", String(first.number), "apply", "--subject", "0000"]);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain(`waits for approval of ${APPROVAL_SUBJECT}, not 0000`);
    const approved = cli(dir, [
      "approve",
      String(first.number),
      "apply",
      "--subject",
      APPROVAL_SUBJECT,
      "--comment",
      "looks fine",
    ]);
    expect(approved.status, approved.stderr).toBe(0);
    expect(await first.ended).toBe(0);
    expect(first.state.output).toContain("APPLIED");
    expect(first.state.output).toMatch(/approved by local:\S+: looks fine/);
    const again = cli(dir, ["approve", String(first.number), "apply", "--subject", APPROVAL_SUBJECT]);
    expect(again.stderr).toContain("was already approved");

    const second = await startWaiting(dir);
    expect(second.number).toBe(first.number + 1);
    const rejected = cli(dir, [
      "reject",
      String(second.number),
      "apply",
      "--subject",
      APPROVAL_SUBJECT,
      "--comment",
      "not today",
    ]);
    expect(rejected.status, rejected.stderr).toBe(0);
    expect(await second.ended).toBe(1);
    expect(second.state.output).not.toContain("APPLIED");
    expect(second.state.output).toContain("not today");
  }, 90_000);
});
