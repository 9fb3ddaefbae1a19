import { closest } from "../config/suggest.js";

export interface GraphProblem {
  jobId: string;
  /** The offending entry of `needs`, when the problem is one. */
  need: string | undefined;
  message: string;
  hint: string | undefined;
}

/**
 * Checks the `needs` graph before anything runs: every need names a job, no job needs itself,
 * and there is no cycle. Each cycle is reported once, with its path, at the job that closes it.
 */
export function checkGraph(jobs: readonly { id: string; needs: readonly string[] }[]): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const ids = jobs.map((job) => job.id);
  const byId = new Map(jobs.map((job) => [job.id, job]));
  for (const job of jobs) {
    for (const need of job.needs) {
      if (need === job.id) {
        problems.push({
          jobId: job.id,
          need,
          message: `job "${job.id}" needs itself`,
          hint: "remove it from needs",
        });
      } else if (!byId.has(need)) {
        const suggestion = closest(need, ids);
        problems.push({
          jobId: job.id,
          need,
          message: `job "${job.id}" needs "${need}", which is not a job of this pipeline`,
          hint: suggestion ? `did you mean "${suggestion}"?` : `jobs: ${ids.join(", ")}`,
        });
      }
    }
  }

  // Depth-first search with colours; a grey node reached again closes a cycle.
  const colour = new Map<string, "grey" | "black">();
  const stack: string[] = [];
  const visit = (id: string): void => {
    colour.set(id, "grey");
    stack.push(id);
    for (const need of byId.get(id)?.needs ?? []) {
      if (need === id || !byId.has(need)) continue;
      const c = colour.get(need);
      if (c === "grey") {
        const cycle = [...stack.slice(stack.indexOf(need)), need];
        problems.push({
          jobId: id,
          need,
          message: `needs form a cycle: ${cycle.join(" -> ")}`,
          hint: "a job can only need jobs that do not (directly or indirectly) need it",
        });
      } else if (c === undefined) {
        visit(need);
      }
    }
    stack.pop();
    colour.set(id, "black");
  };
  for (const id of ids) if (!colour.has(id)) visit(id);
  return problems;
}
