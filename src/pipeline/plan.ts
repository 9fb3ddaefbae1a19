import type { Job, Pipeline } from "./ir.js";
import { expandMatrix, matrixJobKey } from "./matrix.js";
import type { MatrixCombination } from "./matrix.js";
import { UsageError } from "../errors/index.js";
import { closest } from "../config/suggest.js";

/** One job instance to run: a job, or one child of a matrix job. */
export interface PlannedJob {
  key: string;
  job: Job;
  matrix: MatrixCombination | undefined;
  /** For a matrix child: its index in the job's full expansion and the size of it (GitHub's strategy.job-index, job-total). */
  matrixIndex?: number;
  matrixTotal?: number;
  /** Keys of the instances this one waits for (every child of a needed matrix job). */
  needs: string[];
}

export interface PlanOptions {
  /**
   * Keep only the matrix children whose value of each named axis is the given one (compared as
   * text); a matrix without that axis keeps all its children.
   */
  matrix?: Readonly<Record<string, string>>;
}

export interface Plan {
  pipeline: Pipeline;
  /** In a stable order: declaration order, matrix children in expansion order. */
  jobs: PlannedJob[];
}

/**
 * Expands matrices and resolves `needs` to instances. When the user names jobs to run, the plan
 * keeps those and everything they need, transitively, as `make target` would.
 */
export function planPipeline(
  pipeline: Pipeline,
  selected: readonly string[] = [],
  options: PlanOptions = {},
): Plan {
  const jobsById = new Map(pipeline.jobs.map((job) => [job.id, job]));
  for (const id of selected) {
    if (!jobsById.has(id)) {
      const suggestion = closest(id, [...jobsById.keys()]);
      throw new UsageError(`no job "${id}" in ${pipeline.source.file}`, {
        hint: suggestion ? `did you mean "${suggestion}"?` : `jobs: ${[...jobsById.keys()].join(", ")}`,
      });
    }
  }
  const keep = new Set<string>();
  const include = (id: string): void => {
    if (keep.has(id)) return;
    keep.add(id);
    for (const need of jobsById.get(id)?.needs ?? []) include(need);
  };
  if (selected.length === 0) pipeline.jobs.forEach((job) => keep.add(job.id));
  else selected.forEach(include);

  const instancesOf = new Map<string, PlannedJob[]>();
  for (const job of pipeline.jobs) {
    if (!keep.has(job.id)) continue;
    const used = new Set<string>();
    let instances: PlannedJob[] = [{ key: job.id, job, matrix: undefined, needs: [] }];
    if (job.matrix) {
      const combinations = expandMatrix(job.matrix);
      instances = combinations.map((combination, index) => ({
        key: uniqueKey(matrixJobKey(job.id, combination), used),
        job,
        matrix: combination,
        matrixIndex: index,
        matrixTotal: combinations.length,
        needs: [],
      }));
      if (options.matrix) instances = filterMatrix(job.id, instances, options.matrix);
    }
    instancesOf.set(job.id, instances);
  }
  const jobs = [...instancesOf.values()].flat();
  for (const planned of jobs) {
    planned.needs = planned.job.needs.flatMap((need) => (instancesOf.get(need) ?? []).map((i) => i.key));
  }
  return { pipeline: { ...pipeline, jobs: pipeline.jobs.filter((job) => keep.has(job.id)) }, jobs };
}

function filterMatrix(
  jobId: string,
  instances: PlannedJob[],
  wanted: Readonly<Record<string, string>>,
): PlannedJob[] {
  const axes = Object.entries(wanted).filter(([axis]) => instances.some((i) => i.matrix && axis in i.matrix));
  if (axes.length === 0) return instances;
  const kept = instances.filter((instance) =>
    axes.every(
      ([axis, value]) =>
        !instance.matrix || !(axis in instance.matrix) || text(instance.matrix[axis]) === value,
    ),
  );
  if (kept.length > 0) return kept;
  const values = (axis: string) => [...new Set(instances.map((i) => text(i.matrix?.[axis])))].join(", ");
  throw new UsageError(`--matrix leaves no child of job "${jobId}"`, {
    hint: axes.map(([axis]) => `${axis}: ${values(axis)}`).join("; "),
  });
}

function text(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Two combinations can print alike (`20` and `"20"`, a repeated include entry); each child still
 * needs its own key, so later ones get a counter: `test (20) #2`.
 */
function uniqueKey(key: string, used: Set<string>): string {
  let candidate = key;
  for (let n = 2; used.has(candidate); n++) candidate = `${key} #${n}`;
  used.add(candidate);
  return candidate;
}
