import { ConfigError, UsageError } from "../../errors/index.js";
import type { SourcePosition } from "../../errors/index.js";
import { ignored, included } from "./filters.js";
import { changedFiles, mergeBase } from "./git.js";
import type { GitFacts } from "./git.js";
import type { EventTrigger, FilterList, WorkflowMeta } from "./meta.js";

/** The events `slipway run --workflow` can play from the local repository. */
export const SIMULATED_EVENTS = ["push", "pull_request", "workflow_dispatch", "schedule"] as const;
export type SimulatedEvent = (typeof SIMULATED_EVENTS)[number];

/** The pull request actions a local branch can stand for, in order of preference. */
const PULL_REQUEST_ACTIONS = ["opened", "synchronize", "reopened"];

export interface Trigger {
  event: SimulatedEvent;
  /** GitHub's GITHUB_REF: refs/heads/main, refs/tags/v1, refs/pull/0/merge. */
  ref: string;
  refName: string;
  refType: "branch" | "tag";
  /** Pull requests: the head (this branch) and base (the default branch). */
  headRef: string;
  baseRef: string;
  baseSha: string | undefined;
  /** push: the commit before (HEAD's parent). */
  before: string | undefined;
  /** pull_request: the action the run stands for. */
  action: string | undefined;
  /** schedule: the first cron of the workflow. */
  cron: string | undefined;
  /** Files changed, when a paths filter needed them. */
  changedFiles: string[] | undefined;
  /** Why the event would not run the workflow, when --force-trigger runs it anyway. */
  forcedPast: string[];
}

export interface TriggerOptions {
  event?: string | undefined;
  /** Run even when the workflow is not triggered by the event as filtered. */
  force?: boolean | undefined;
  /** Check filters (a run); validate and graph only need the event's facts. */
  check: boolean;
}

/** The workflow's `on:` does not take the event: not a broken file, a workflow that does not run now. */
export class TriggerExcluded extends ConfigError {}

interface Exclusion {
  position: SourcePosition;
  message: string;
}

/**
 * Picks the event a run plays and checks the workflow's filters for it against the local
 * repository, as GitHub would for the same push or pull request: a push of the current branch
 * (or of a tag on HEAD when the workflow filters on tags only), a pull request from the current
 * branch into the default branch. A workflow the event would not trigger is an error naming the
 * filter that excluded it, unless forced.
 */
export async function resolveTrigger(
  meta: WorkflowMeta,
  facts: GitFacts,
  cwd: string,
  options: TriggerOptions,
): Promise<Trigger> {
  const declared = Object.keys(meta.on);
  if (options.event !== undefined && !(SIMULATED_EVENTS as readonly string[]).includes(options.event)) {
    throw new UsageError(`--event ${options.event}: Slipway cannot play this event`, {
      hint: `events: ${SIMULATED_EVENTS.join(", ")}`,
    });
  }
  const event = (options.event ?? SIMULATED_EVENTS.find((e) => e in meta.on)) as SimulatedEvent | undefined;
  if (event === undefined) {
    if (options.check && !options.force) {
      throw new TriggerExcluded([
        {
          position: meta.onPosition,
          message: `the workflow runs on ${declared.join(", ") || "no event"}, none of which slipway run can play`,
          hint: `add one of ${SIMULATED_EVENTS.join(", ")} to on:, or pass --event with --force-trigger`,
        },
      ]);
    }
  }
  const chosen: SimulatedEvent = event ?? "push";
  const exclusions: Exclusion[] = [];
  if (!(chosen in meta.on)) {
    exclusions.push({
      position: meta.onPosition,
      message: `the workflow does not run on ${chosen}: it runs on ${declared.join(", ")}`,
    });
  }
  const trigger = meta.on[chosen] ?? { position: meta.onPosition };
  const branch = facts.branch ?? facts.defaultBranch;
  const base: Trigger = {
    event: chosen,
    ref: `refs/heads/${branch}`,
    refName: branch,
    refType: "branch",
    headRef: "",
    baseRef: "",
    baseSha: undefined,
    before: facts.parent,
    action: undefined,
    cron: trigger.crons?.[0],
    changedFiles: undefined,
    forcedPast: [],
  };

  if (chosen === "push") await push(base, trigger, facts, cwd, options.check, exclusions);
  if (chosen === "pull_request") await pullRequest(base, trigger, facts, cwd, options.check, exclusions);

  if (exclusions.length > 0 && options.check) {
    if (!options.force) {
      throw new TriggerExcluded(
        exclusions.map((e) => ({
          position: e.position,
          message: e.message,
          hint: "run from a state the workflow triggers on, pick another --event, or pass --force-trigger",
        })),
      );
    }
    base.forcedPast = exclusions.map(
      (e) => `${e.position.file}:${e.position.line}:${e.position.column}: ${e.message}`,
    );
  }
  return base;
}

async function push(
  result: Trigger,
  trigger: EventTrigger,
  facts: GitFacts,
  cwd: string,
  check: boolean,
  exclusions: Exclusion[],
): Promise<void> {
  const branchFilters = trigger.branches !== undefined || trigger["branches-ignore"] !== undefined;
  const tagFilters = trigger.tags !== undefined || trigger["tags-ignore"] !== undefined;
  // GitHub: filters on one kind of ref only mean pushes of the other kind do not run.
  const branchPush = !tagFilters || branchFilters;
  const tagPush = !branchFilters || tagFilters;
  const reasons: Exclusion[] = [];

  if (branchPush) {
    const excluded = refExclusion(
      "branch",
      result.refName,
      trigger.branches,
      trigger["branches-ignore"],
      "branches",
    );
    if (!excluded) {
      if (check)
        await pathExclusion(trigger, await changedFiles(cwd, facts.parent), result, reasons, "since HEAD~1");
      if (reasons.length === 0) return;
    } else reasons.push(excluded);
  } else {
    reasons.push({
      position: (trigger.tags ?? trigger["tags-ignore"] ?? { position: trigger.position }).position,
      message: `the workflow runs on pushes of tags only, and ${result.refName} is a branch`,
    });
  }

  if (tagPush) {
    for (const tag of facts.tags) {
      if (!refExclusion("tag", tag, trigger.tags, trigger["tags-ignore"], "tags")) {
        Object.assign(result, { ref: `refs/tags/${tag}`, refName: tag, refType: "tag" });
        return;
      }
    }
    if (tagFilters) {
      const filter = trigger.tags ?? trigger["tags-ignore"];
      reasons.push({
        position: filter?.position ?? trigger.position,
        message:
          facts.tags.length === 0
            ? "the workflow runs on pushes of matching tags, and no tag points at HEAD"
            : `no tag on HEAD (${facts.tags.join(", ")}) matches the tag filter`,
      });
    }
  }
  exclusions.push(...reasons.slice(0, 1));
}

async function pullRequest(
  result: Trigger,
  trigger: EventTrigger,
  facts: GitFacts,
  cwd: string,
  check: boolean,
  exclusions: Exclusion[],
): Promise<void> {
  const allowed = trigger.types?.patterns ?? PULL_REQUEST_ACTIONS;
  result.action = PULL_REQUEST_ACTIONS.find((a) => allowed.includes(a));
  if (result.action === undefined) {
    result.action = PULL_REQUEST_ACTIONS[0];
    exclusions.push({
      position: trigger.types?.position ?? trigger.position,
      message: `types (${allowed.join(", ")}) include none of ${PULL_REQUEST_ACTIONS.join(", ")}, the actions a local branch stands for`,
    });
  }
  result.headRef = facts.branch ?? "HEAD";
  result.baseRef = facts.defaultBranch;
  result.ref = "refs/pull/0/merge";
  result.refName = "0/merge";
  const excluded = refExclusion(
    "base branch",
    result.baseRef,
    trigger.branches,
    trigger["branches-ignore"],
    "branches",
  );
  if (excluded) exclusions.push(excluded);
  result.baseSha = await mergeBase(cwd, "HEAD", result.baseRef);
  if (check && !excluded) {
    await pathExclusion(
      trigger,
      await changedFiles(cwd, result.baseSha),
      result,
      exclusions,
      result.baseSha ? `since the merge base with ${result.baseRef}` : "(no merge base: every file)",
    );
  }
}

function refExclusion(
  kind: string,
  name: string,
  only: FilterList | undefined,
  ignore: FilterList | undefined,
  filter: string,
): Exclusion | undefined {
  if (only && !included(name, only.patterns)) {
    return {
      position: only.position,
      message: `${kind} "${name}" is not matched by ${filter} (${only.patterns.join(", ")})`,
    };
  }
  if (ignore && ignored(name, ignore.patterns)) {
    return {
      position: ignore.position,
      message: `${kind} "${name}" is matched by ${filter}-ignore (${ignore.patterns.join(", ")})`,
    };
  }
  return undefined;
}

async function pathExclusion(
  trigger: EventTrigger,
  files: string[],
  result: Trigger,
  exclusions: Exclusion[],
  since: string,
): Promise<void> {
  const paths = trigger.paths;
  const pathsIgnore = trigger["paths-ignore"];
  if (!paths && !pathsIgnore) return;
  result.changedFiles = files;
  const shown = files.length > 5 ? `${files.slice(0, 5).join(", ")}, ...` : files.join(", ");
  if (paths && !files.some((file) => included(file, paths.patterns))) {
    exclusions.push({
      position: paths.position,
      message:
        files.length === 0
          ? `no file changed ${since}, so paths (${paths.patterns.join(", ")}) matches nothing`
          : `none of the ${files.length} file(s) changed ${since} (${shown}) is matched by paths (${paths.patterns.join(", ")})`,
    });
  } else if (pathsIgnore && files.every((file) => ignored(file, pathsIgnore.patterns))) {
    exclusions.push({
      position: pathsIgnore.position,
      message:
        files.length === 0
          ? `no file changed ${since}`
          : `every file changed ${since} (${shown}) is matched by paths-ignore (${pathsIgnore.patterns.join(", ")})`,
    });
  }
}
