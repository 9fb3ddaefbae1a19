import path from "node:path";
import { closest } from "../../config/suggest.js";
import { UsageError } from "../../errors/index.js";
import type { SourcePosition } from "../../errors/index.js";
import { checkGraph } from "../graph-check.js";
import { pipelineSchema } from "../ir.js";
import type { Job, Pipeline } from "../ir.js";
import { diagnostic } from "./diagnostics.js";
import { draftJob, misspeltKeyword } from "./draft.js";
import type { Draft } from "./draft.js";
import { resolveExtends, resolveReferences } from "./extends.js";
import { LocalGit } from "./git-state.js";
import { readDefaults, readGlobalVariables, readStages, readWorkflow } from "./globals.js";
import { planJobs } from "./graph.js";
import { resolveIncludes } from "./includes.js";
import { buildJob } from "./job.js";
import { parseGitlabYaml } from "./parse.js";
import { Report } from "./report.js";
import type { GitlabNotice } from "./report.js";
import { RuleEvaluator } from "./rules.js";
import { GLOBAL_KEYWORDS } from "./schema.js";
import { checkSupport, imageWarnings } from "./support.js";
import { describeRef, pipelineRef, plainOf, predefinedVariables, raw } from "./variables.js";
import type { PipelineRef } from "./variables.js";

export type { GitlabNotice } from "./report.js";

export interface GitlabCompileInput {
  text: string;
  /** The pipeline file as shown in messages. */
  file: string;
  absoluteFile: string;
  projectDir: string;
  /** Jobs named on the command line: manual jobs among them (and those they need) run. */
  jobs: readonly string[];
  /** Variables of this run (`--env`), over everything the file defines. */
  variables: Readonly<Record<string, string>>;
  /** The name an included file is shown with, from its absolute path. */
  display(absolute: string): string;
  now?: Date;
}

export interface GitlabCompileResult {
  pipeline: Pipeline;
  sources: Map<string, string>;
  /** Where the run differs from what GitLab would do: manual jobs not run, images not used... */
  warnings: GitlabNotice[];
  /** Keywords accepted without effect in a local run, and why. */
  notes: GitlabNotice[];
}

const isGlobal = (key: string) => (GLOBAL_KEYWORDS as readonly string[]).includes(key);

/**
 * Compiles a GitLab CI file for the local git state: includes, extends and `!reference` merged,
 * rules and only/except decided, each job compiled to the IR. Throws ConfigError with every
 * problem found, UsageError for a job named on the command line that is not in the pipeline.
 */
export async function compileGitlabPipeline(input: GitlabCompileInput): Promise<GitlabCompileResult> {
  const report = new Report(input.file);
  const sources = new Map([[input.file, input.text]]);
  const parsed = parseGitlabYaml(input.file, input.text);
  parsed.diagnostics.forEach((d) => report.error(d));
  if (!parsed.root || parsed.root.kind !== "map") {
    if (parsed.root || !report.failed) {
      report.error(
        diagnostic(
          parsed.root?.pos ?? { file: input.file, line: 1, column: 1 },
          "a GitLab CI file is a mapping of keywords (stages, variables...) and jobs",
          "e.g. build: {script: [make]}",
        ),
      );
    }
    throw report.failure();
  }

  const git = new LocalGit(input.projectDir);
  const state = await git.state();
  const overrides = input.variables;
  const ref = pipelineRef(state, overrides);
  const predefined = predefinedVariables({
    git: state,
    ref,
    projectDir: input.projectDir,
    configPath: path.relative(input.projectDir, input.absoluteFile),
    now: input.now ?? new Date(),
  });
  const predefinedPlain = plainOf(predefined);
  const rules = new RuleEvaluator(git, state, ref, overrides, report.diagnostics);
  if (!state.isRepo) {
    report.warn(
      `${input.projectDir} is not a git repository: CI_COMMIT_* variables are not set and rules:changes always match`,
      undefined,
    );
  } else if (ref.branch === undefined && ref.tag === undefined && ref.mergeRequest === undefined) {
    report.warn(
      "HEAD is detached and no tag points at it: CI_COMMIT_BRANCH is not set",
      undefined,
      "simulate a ref with --env CI_COMMIT_BRANCH=<branch> or --env CI_COMMIT_TAG=<tag>",
    );
  }

  let root = await resolveIncludes(parsed.root, input.file, {
    projectDir: input.projectDir,
    display: (absolute) => {
      const shown = input.display(absolute);
      if (!report.files.includes(shown)) report.files.push(shown);
      return shown;
    },
    files: () => git.files(),
    rules,
    variables: { ...predefinedPlain, ...overrides },
    diagnostics: report.diagnostics,
    sources,
  });
  const brokenExtends = new Set<string>();
  root = resolveExtends(root, report.diagnostics, brokenExtends);
  root = resolveReferences(root, report.diagnostics);

  const stages = readStages(root, report);
  const globalVariables = readGlobalVariables(root, report);
  const defaults = readDefaults(root, report);
  const workflow = await readWorkflow(
    root,
    rules,
    ref,
    { ...predefinedPlain, ...plainOf(globalVariables), ...overrides },
    report,
  );
  for (const [key, def] of workflow.variables) globalVariables.set(key, def);
  predefined.set("CI_PIPELINE_NAME", raw(workflow.name ?? "", false));

  const drafts: Draft[] = [];
  const unreadable = new Set<string>();
  for (const [name, entry] of root.entries) {
    if (isGlobal(name) || name.startsWith(".")) continue;
    const keyword = misspeltKeyword(name, entry);
    if (entry.value.kind !== "map" || keyword) {
      report.error(
        entry.value.kind !== "map"
          ? diagnostic(
              entry.keyPos,
              `"${name}" is not a GitLab keyword, and a job must be a mapping`,
              suggestGlobal(name),
            )
          : diagnostic(
              entry.keyPos,
              `job "${name}" has no script`,
              `did you mean the keyword "${keyword}"? Otherwise add script: (hidden jobs, named .${name}, can be templates without one)`,
            ),
      );
      unreadable.add(name);
      continue;
    }
    const draft = await draftJob(name, entry, entry.value, {
      report,
      rules,
      stages,
      defaults,
      globalVariables,
      predefinedPlain: { ...predefinedPlain, CI_PIPELINE_NAME: workflow.name },
      runVariables: overrides,
      brokenExtends,
    });
    if (draft) drafts.push(draft);
    else unreadable.add(name);
  }
  // Without a pipeline there is nothing to plan; the jobs were still checked, as GitLab's lint does.
  if (workflow.none) throw report.failure();
  if (drafts.length === 0 && !report.failed) {
    report.error(
      diagnostic(
        root.pos,
        "the file defines no job",
        "a job is a top-level key (not starting with .) with a script:",
      ),
    );
  }

  // Planning goes on after errors in some jobs, so that one report has every problem; jobs
  // that could not be read are left out without their dependents being reported for it.
  const plan = planJobs(drafts, { report, ref, file: input.file, named: input.jobs, unreadable });
  const secrets = new Set<string>();
  const images = new Map<string, { jobs: string[]; position: SourcePosition }>();
  const jobs: Job[] = plan.runs.map((draft, i) =>
    buildJob(draft, {
      predefined,
      overrides,
      needs: plan.needs.get(draft.name) ?? [],
      artifactSources: plan.artifactSources.get(draft.name) ?? [],
      hasDotenv: (job) => plan.dotenv.has(job),
      diagnostics: report.diagnostics,
      warn: (message, position, hint) => report.warn(message, position, hint),
      note: (keyword, job, reason, position) => report.note(keyword, job, reason, position),
      secrets,
      number: i + 1,
      image: (image, position) => {
        const found = images.get(image) ?? { jobs: [], position };
        found.jobs.push(draft.name);
        images.set(image, found);
      },
    }),
  );
  for (const draft of plan.runs) checkSupport(draft, plan.byName, report);
  imageWarnings(images, report);
  for (const problem of checkGraph(jobs)) {
    const draft = plan.byName.get(problem.jobId);
    const need = draft?.needs?.find((n) => n.job === problem.need);
    report.error(diagnostic(need?.position ?? draft?.keyPos ?? root.pos, problem.message, problem.hint));
  }
  if (report.failed) throw report.failure();
  checkNamedJobs(input, drafts, ref);

  const pipeline: Pipeline = {
    name: workflow.name || (predefinedPlain.CI_PROJECT_NAME ?? "gitlab-ci"),
    source: { file: input.file, frontEnd: "gitlab" },
    env: {},
    secrets: [...secrets].sort(),
    jobs,
    meta: { stages, ref: ref.name, source: ref.source },
  };
  return {
    pipeline: pipelineSchema.parse(pipeline),
    sources,
    warnings: report.warnings,
    notes: report.notes(),
  };
}

function suggestGlobal(name: string): string {
  const close = closest(name, [...GLOBAL_KEYWORDS]);
  return close
    ? `did you mean "${close}"?`
    : `top-level keywords: ${GLOBAL_KEYWORDS.join(", ")}; anything else is a job`;
}

/** Jobs named on the command line must be jobs of this pipeline. */
function checkNamedJobs(input: GitlabCompileInput, drafts: Draft[], ref: PipelineRef): void {
  for (const name of input.jobs) {
    const draft = drafts.find((d) => d.name === name);
    if (!draft) {
      const suggestion = closest(
        name,
        drafts.map((d) => d.name),
      );
      throw new UsageError(`no job "${name}" in ${input.file}`, {
        hint: suggestion ? `did you mean "${suggestion}"?` : `jobs: ${drafts.map((d) => d.name).join(", ")}`,
      });
    }
    if (!draft.included) {
      throw new UsageError(
        `job "${name}" is not in the pipeline for ${describeRef(ref)}: its rules or only/except exclude it`,
        {
          hint: "simulate the ref it runs for, e.g. --env CI_COMMIT_BRANCH=main or --env CI_COMMIT_TAG=v1.0.0",
        },
      );
    }
  }
}
