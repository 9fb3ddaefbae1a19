import type { Matrix } from "../ir.js";
import type { PlannedJob } from "../plan.js";
import type { JobConfig } from "./schema.js";

/** GitLab's limit on the jobs one `parallel` creates. */
export const MAX_PARALLEL = 200;
/** The matrix axis that numbers the children of `parallel: N`. */
export const NODE_INDEX = "CI_NODE_INDEX";

export interface ParallelChildren {
  kind: "parallel" | "matrix";
  /** Each child's variables, in GitLab's order (matrix entries, then each entry's product). */
  combinations: Record<string, string>[];
}

/**
 * `parallel: N` makes N children numbered 1..N; `parallel:matrix` makes, for each entry, the
 * product of its variables' values (the first variable varying slowest), entries in order.
 * https://docs.gitlab.com/ci/yaml/#parallelmatrix
 */
export function parallelChildren(parallel: NonNullable<JobConfig["parallel"]>): ParallelChildren {
  if (typeof parallel === "number") {
    return {
      kind: "parallel",
      combinations: Array.from({ length: parallel }, (_, i) => ({ [NODE_INDEX]: String(i + 1) })),
    };
  }
  const combinations: Record<string, string>[] = [];
  for (const entry of parallel.matrix) {
    let product: Record<string, string>[] = [{}];
    for (const [name, value] of Object.entries(entry)) {
      const values = Array.isArray(value) ? value : [value];
      product = product.flatMap((combination) => values.map((v) => ({ ...combination, [name]: v })));
    }
    combinations.push(...product);
  }
  return { kind: "matrix", combinations };
}

/** The name GitLab gives a child: `test 2/3`, or `deploy: [aws, monitoring]`. */
export function childName(
  job: string,
  kind: ParallelChildren["kind"],
  combination: Record<string, string>,
  total: number,
): string {
  return kind === "parallel"
    ? `${job} ${combination[NODE_INDEX] ?? "?"}/${total}`
    : `${job}: [${Object.values(combination).join(", ")}]`;
}

/**
 * The IR matrix: the children listed as include entries, so the engine runs exactly GitLab's
 * children (the rules may have removed some) and one failing child does not cancel the others,
 * which GitLab never does.
 */
export function irMatrix(kind: ParallelChildren["kind"], combinations: Record<string, string>[]): Matrix {
  if (kind === "parallel") {
    return {
      axes: { [NODE_INDEX]: combinations.map((c) => c[NODE_INDEX] ?? "") },
      include: [],
      exclude: [],
      failFast: false,
    };
  }
  return { axes: {}, include: combinations, exclude: [], failFast: false };
}

/**
 * A planned job's name as GitLab shows it. The engine keys matrix children `job (a, b)`;
 * this gives `job: [a, b]` and `job 1/3` back for messages and comparisons with GitLab.
 */
export function gitlabJobName(planned: Pick<PlannedJob, "job" | "matrix">): string {
  const { job, matrix } = planned;
  if (!matrix) return job.id;
  const values = Object.fromEntries(Object.entries(matrix).map(([k, v]) => [k, String(v)]));
  const total = Number(job.env.CI_NODE_TOTAL ?? "0");
  const kind = Object.keys(values).length === 1 && NODE_INDEX in values ? "parallel" : "matrix";
  return childName(job.id, kind, values, total);
}
