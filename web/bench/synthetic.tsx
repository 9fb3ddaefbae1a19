import type { Job, RunDetail, Step } from "../src/api/types.js";
import type { LogLine } from "../src/components/logs/index.js";

/** A small seeded generator: every page load draws the same run and the same log. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const START = 1_700_000_000_000;
const OSES = ["linux", "mac", "windows", "alpine"];
const NODES = [18, 20, 22];
const SHARDS = ["1/4", "2/4", "3/4", "4/4"];

/**
 * A run of `size` job instances in about 12 stages, as the server would answer GET /api/runs/ID:
 * plain jobs and matrix jobs (2 to 12 children), each needing one to three jobs of earlier stages
 * (resolved to instance keys as the planner does). The first stages have finished, the middle
 * one is running and the rest wait, as in a run being watched live.
 */
export function syntheticRun(size = 500, seed = 7): RunDetail {
  const next = random(seed);
  const pick = <T,>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const stages: string[][] = [];
  const instances = new Map<string, string[]>();
  const jobs: Job[] = [];
  const stageCount = 12;
  let id = 0;
  while (jobs.length < size) {
    const stage = Math.min(stageCount - 1, Math.floor((jobs.length / size) * stageCount));
    const jobId = `job-${String(id++).padStart(3, "0")}`;
    const earlier = stages.slice(Math.max(0, stage - 2), stage).flat();
    const needIds =
      earlier.length === 0
        ? []
        : [...new Set([pick(earlier), pick(earlier), pick(earlier)])].slice(0, 1 + Math.floor(next() * 3));
    const needs = needIds.flatMap((n) => instances.get(n) ?? []);
    const matrixKind = next();
    const combos: Record<string, unknown>[] =
      matrixKind < 0.6
        ? [{}]
        : matrixKind < 0.8
          ? OSES.slice(0, 2 + Math.floor(next() * 3)).flatMap((os) => NODES.map((node) => ({ os, node })))
          : SHARDS.slice(0, 2 + Math.floor(next() * 3)).map((shard) => ({ shard }));
    const keys: string[] = [];
    for (const combo of combos.slice(0, size - jobs.length)) {
      const values = Object.values(combo);
      const key = values.length === 0 ? jobId : `${jobId} (${values.join(", ")})`;
      keys.push(key);
      const status = stage < 5 ? (next() < 0.04 ? "failure" : "success") : stage < 7 ? "running" : "queued";
      const startedAt =
        status === "queued" ? undefined : START + stage * 60_000 + Math.floor(next() * 20_000);
      const finishedAt =
        startedAt !== undefined && status !== "running"
          ? startedAt + 5_000 + Math.floor(next() * 50_000)
          : undefined;
      const cacheHit = status === "success" && next() < 0.2;
      const steps: Step[] = ["checkout", "install", "run"].map((name, index) => ({
        runId: "bench",
        jobKey: key,
        index,
        name,
        status,
        attempts:
          startedAt === undefined
            ? []
            : [{ attempt: 1, status, startedAt: startedAt + index * 1_000, finishedAt, cacheHit }],
      }));
      jobs.push({
        runId: "bench",
        key,
        jobId,
        name: values.length === 0 ? `Job ${jobId.slice(4)}` : key.replace(jobId, `Job ${jobId.slice(4)}`),
        needs,
        ...(values.length === 0 ? {} : { matrix: combo }),
        status,
        ...(startedAt === undefined ? {} : { startedAt }),
        ...(finishedAt === undefined ? {} : { finishedAt }),
        cacheHit,
        outputs: {},
        steps,
        attempts: [],
      });
    }
    instances.set(jobId, keys);
    (stages[stage] ??= []).push(jobId);
  }
  return {
    run: {
      id: "bench",
      number: 1,
      pipelineName: "bench",
      file: "slipway.yaml",
      frontEnd: "native",
      projectDir: "/bench",
      workspace: "/bench",
      dirty: false,
      trigger: "manual",
      actor: "bench",
      status: "running",
      queuedAt: START,
      startedAt: START,
    },
    jobs,
  };
}

/** The clock the synthetic run is watched at: its running stage a minute in. */
export const SYNTHETIC_NOW = START + 7 * 60_000;

const COLOURS = ["\u001b[32m", "\u001b[33m", "\u001b[36m", "\u001b[1;31m"];
const RESET = "\u001b[0m";

/**
 * `count` lines of a test run's output: four set-up groups of 150 lines (closed, as a finished
 * step shows them), then the tests' output, all of it visible: ANSI colours on a fifth of the
 * lines, an error now and then, line lengths from 20 to 200 characters.
 */
export function syntheticLog(count = 50_000, seed = 11): LogLine[] {
  const next = random(seed);
  const lines: LogLine[] = [];
  const push = (text: string, stream: LogLine["stream"] = "stdout") =>
    lines.push({ seq: lines.length, at: START + lines.length * 7, stream, text });
  for (const name of ["Set up job", "Checkout", "Install dependencies", "Build"]) {
    push(`##[group]${name}`);
    for (let i = 0; i < 148; i++) push(`${name.toLowerCase()}: step ${i} ${"done ".repeat(1 + (i % 9))}`);
    push("##[endgroup]");
  }
  for (let i = 0; lines.length < count; i++) {
    const filler = "lorem ipsum dolor sit amet ".repeat(1 + Math.floor(next() * 7));
    const roll = next();
    if (roll < 0.002)
      push(`##[error]expected 200, received 500 at src/module-${i % 97}.ts:${i % 300}`, "stderr");
    else if (roll < 0.2)
      push(`${COLOURS[i % COLOURS.length]}✓${RESET} case ${i} ${filler}(${Math.floor(next() * 90)} ms)`);
    else push(`  at step ${i}: ${filler}`);
  }
  return lines.slice(0, count);
}
