import { closest } from "../../config/suggest.js";
import type { SourcePosition } from "../../errors/index.js";
import { diagnostic } from "./diagnostics.js";
import type { Draft, NeedRef } from "./draft.js";
import { formatDuration } from "./duration.js";
import { childName } from "./matrix.js";
import type { Report } from "./report.js";
import { positionIn } from "./tree.js";
import { describeRef } from "./variables.js";
import type { PipelineRef } from "./variables.js";

export interface JobPlan {
  /** The jobs that run, by stage then declaration order. */
  runs: Draft[];
  /** What each job that runs waits for. */
  needs: Map<string, string[]>;
  /** The jobs each takes artifacts (and dotenv variables) from. */
  artifactSources: Map<string, string[]>;
  byName: Map<string, Draft>;
  /** Jobs with an `artifacts:reports:dotenv`. */
  dotenv: Set<string>;
}

export interface PlanContext {
  report: Report;
  ref: PipelineRef;
  file: string;
  /** Jobs named on the command line. */
  named: readonly string[];
  /** Jobs of the file that could not be read (reported); needs of them are not reported again. */
  unreadable: ReadonlySet<string>;
}

type Status = "run" | "manual" | "manual-blocking" | "blocked" | "skipped";

/**
 * Which jobs run, and what each waits for. Without `needs`, a job waits for every job of the
 * earlier stages; a manual job runs only when named on the command line (or needed by a named
 * job), and what waits for it then does not run either, as in a GitLab pipeline whose manual
 * job nobody played: a job waiting on a blocking manual job is held back, a job that `needs` a
 * manual job is skipped (Gitlab::Ci::Status::Composite).
 */
export function planJobs(drafts: Draft[], ctx: PlanContext): JobPlan {
  const { report } = ctx;
  const byName = new Map(drafts.map((d) => [d.name, d]));
  const included = drafts
    .filter((d) => d.included)
    .sort((a, b) => a.stageIndex - b.stageIndex || drafts.indexOf(a) - drafts.indexOf(b));
  const explicit = new Map<string, NeedRef[]>();
  for (const draft of included) {
    if (draft.needs) explicit.set(draft.name, resolveNeeds(draft, byName, ctx));
  }
  for (const draft of included) checkDependencies(draft, byName, ctx);

  const isManual = (d: Draft) => d.when === "manual";
  const blocking = (d: Draft) => isManual(d) && !d.allowFailure;
  const earlier = (d: Draft) => included.filter((t) => t.stageIndex < d.stageIndex);
  const deps = (d: Draft): Draft[] =>
    explicit.has(d.name)
      ? (explicit.get(d.name) ?? []).map((n) => byName.get(n.job) as Draft)
      : earlier(d).filter((t) => !isManual(t) || blocking(t));

  const chosen = new Set<string>();
  const choose = (d: Draft): void => {
    if (chosen.has(d.name)) return;
    chosen.add(d.name);
    deps(d).forEach(choose);
  };
  for (const name of ctx.named) {
    const d = byName.get(name);
    if (d?.included) choose(d);
  }

  const status = new Map<string, Status>();
  const visiting = new Set<string>();
  const statusOf = (d: Draft): Status => {
    const known = status.get(d.name);
    if (known) return known;
    // A cycle of needs is reported by the graph check; here it only must not loop.
    if (visiting.has(d.name)) return "run";
    visiting.add(d.name);
    let result: Status = "run";
    if (isManual(d) && !chosen.has(d.name)) result = blocking(d) ? "manual-blocking" : "manual";
    else if (explicit.has(d.name)) {
      const states = deps(d).map(statusOf);
      if (states.some((s) => s === "manual" || s === "skipped")) result = "skipped";
      else if (states.some((s) => s === "manual-blocking" || s === "blocked")) result = "blocked";
    } else if (earlier(d).some((t) => ["manual-blocking", "blocked"].includes(statusOf(t)))) {
      result = "blocked";
    }
    visiting.delete(d.name);
    status.set(d.name, result);
    return result;
  };
  const runs = included.filter((d) => statusOf(d) === "run");
  for (const d of included) {
    const s = statusOf(d);
    if (s === "manual" || s === "manual-blocking") {
      report.warn(
        `manual job "${d.name}" does not run; name it to run it (slipway run --gitlab ${shellWord(d.name)})`,
        d.keyPos,
      );
    } else if (s === "blocked" || s === "skipped") {
      const waitsFor = deps(d).find((t) => statusOf(t) !== "run");
      report.warn(
        `"${d.name}" does not run: it waits for ${waitsFor ? `"${waitsFor.name}"` : "a manual job"}, which does not run`,
        d.keyPos,
      );
    } else if (d.when === "delayed" && d.startIn !== undefined) {
      report.warn(
        `delayed job "${d.name}" waits ${formatDuration(d.startIn)} before it starts (when: delayed, start_in)`,
        d.keyPos,
      );
    }
  }
  checkSomethingRuns(runs, included, ctx);

  const running = new Set(runs.map((d) => d.name));
  const needs = new Map<string, string[]>();
  const artifactSources = new Map<string, string[]>();
  for (const d of runs) {
    const own = explicit.get(d.name);
    if (own) {
      needs.set(d.name, unique(own.map((n) => n.job)));
      artifactSources.set(d.name, unique(own.filter((n) => n.artifacts).map((n) => n.job)));
    } else {
      const waits = earlier(d)
        .filter((t) => running.has(t.name))
        .map((t) => t.name);
      needs.set(d.name, waits);
      const dependencies = d.config.dependencies;
      artifactSources.set(
        d.name,
        dependencies === undefined ? waits : waits.filter((w) => dependencies.includes(w)),
      );
    }
  }
  const dotenv = new Set(
    runs.filter((d) => d.config.artifacts?.reports?.dotenv !== undefined).map((d) => d.name),
  );
  return { runs, needs, artifactSources, byName, dotenv };
}

/** The needs GitLab would accept, each reported when it names no job, a later one, or one not created. */
function resolveNeeds(draft: Draft, byName: Map<string, Draft>, ctx: PlanContext): NeedRef[] {
  const { report } = ctx;
  const resolved: NeedRef[] = [];
  for (const need of draft.needs ?? []) {
    const target = byName.get(need.job);
    if (!target) {
      if (ctx.unreadable.has(need.job)) continue;
      const suggestion = closest(need.job, [...byName.keys()]);
      report.error(
        diagnostic(
          need.position,
          `${draft.name}: needs "${need.job}", which is not a job of the pipeline`,
          suggestion
            ? `did you mean "${suggestion}"?`
            : "needs names jobs of this pipeline (hidden .jobs are templates, not jobs)",
        ),
      );
    } else if (target.stageIndex > draft.stageIndex) {
      report.error(
        diagnostic(
          need.position,
          `${draft.name}: needs "${need.job}" of the later stage "${target.stage}"`,
          `a job can need jobs of its own stage (${draft.stage}) or earlier ones`,
        ),
      );
    } else if (!target.included) {
      if (!need.optional) {
        report.error(
          diagnostic(
            need.position,
            `${draft.name}: needs "${need.job}", but "${need.job}" is not in the pipeline for ${describeRef(ctx.ref)} (its rules or only/except exclude it)`,
            "add optional: true to the need, or make the rules agree",
          ),
        );
      }
    } else {
      if (need.matrix) checkMatrixNeed(draft, need, target, report);
      resolved.push(need);
    }
  }
  return resolved;
}

function checkMatrixNeed(draft: Draft, need: NeedRef, target: Draft, report: Report): void {
  if (target.children?.kind !== "matrix") {
    report.error(
      diagnostic(
        need.position,
        `${draft.name}: needs:parallel:matrix names "${target.name}", which has no parallel:matrix`,
      ),
    );
    return;
  }
  for (const combination of need.matrix ?? []) {
    if (
      !target.children.all.some(
        (c) => JSON.stringify(Object.entries(c)) === JSON.stringify(Object.entries(combination)),
      )
    ) {
      report.error(
        diagnostic(
          need.position,
          `${draft.name}: needs "${childName(target.name, "matrix", combination, 0)}", which ${target.name}'s parallel:matrix does not make`,
          "the values, and their order, must be those of the needed job's matrix",
        ),
      );
    }
  }
  // The IR waits for a whole job; a subset of matrix children cannot be named.
  report.warn(
    `${draft.name}: needs:parallel:matrix waits for every child of "${target.name}", not only the named ones`,
    need.position,
  );
}

function checkDependencies(draft: Draft, byName: Map<string, Draft>, ctx: PlanContext): void {
  (draft.config.dependencies ?? []).forEach((dependency, i) => {
    const target = byName.get(dependency);
    if (!target && ctx.unreadable.has(dependency)) return;
    const position = positionIn(draft.node, ["dependencies", i]);
    if (!target) {
      const suggestion = closest(dependency, [...byName.keys()]);
      ctx.report.error(
        diagnostic(
          position,
          `${draft.name}: dependency "${dependency}" is not a job of the pipeline`,
          suggestion ? `did you mean "${suggestion}"?` : undefined,
        ),
      );
    } else if (draft.needs === undefined && target.stageIndex >= draft.stageIndex) {
      ctx.report.error(
        diagnostic(
          position,
          `${draft.name}: dependency "${dependency}" is not in an earlier stage`,
          "dependencies names jobs of earlier stages",
        ),
      );
    }
  });
}

/** GitLab creates no pipeline without jobs, or with jobs of .pre and .post only. */
function checkSomethingRuns(runs: Draft[], included: Draft[], ctx: PlanContext): void {
  if (ctx.report.failed) return;
  const start: SourcePosition = { file: ctx.file, line: 1, column: 1 };
  if (runs.length === 0) {
    ctx.report.error(
      diagnostic(
        start,
        `no job runs for ${describeRef(ctx.ref)}: the rules and only/except of every job exclude it${included.length > 0 ? ", or it is manual" : ""}`,
        "name manual jobs to run them, or simulate another ref: --env CI_COMMIT_BRANCH=main, --env CI_COMMIT_TAG=v1.0.0",
      ),
    );
  } else if (runs.every((d) => d.stage === ".pre" || d.stage === ".post")) {
    ctx.report.error(
      diagnostic(
        runs[0]?.keyPos ?? start,
        "the pipeline has only .pre and .post jobs, and GitLab does not run such a pipeline",
        "add a job in another stage",
      ),
    );
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
