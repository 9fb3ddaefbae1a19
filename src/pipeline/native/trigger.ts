import { ignored, included } from "../github/filters.js";
import { NATIVE_EVENTS, nativeEventOf } from "./on.js";
import type { NativeOn, PatternList, RefFilters } from "./on.js";

/** What the filters of `on:` are checked against; files are asked for only when a paths filter needs them. */
export interface TriggerFacts {
  /** The server's event: push, poll, pull_request, merge_request_event, schedule, api, ... */
  event: string;
  /** The run's ref: refs/heads/NAME, refs/tags/NAME (for a pull request, its head branch). */
  ref: string;
  /** The branch a pull request merges into. */
  baseBranch(): Promise<string>;
  /** Files the push or pull request changed, relative to the repository root. */
  changedFiles(): Promise<string[]>;
}

/**
 * Why `on:` does not start the pipeline for this event, or undefined when it does. Filters
 * follow GitHub Actions' rules, with the same pattern matcher as the GitHub front-end: the base
 * branch of a pull request is filtered, tags and branches of a push each by their own filters,
 * and paths filters are not applied to tag pushes. Without `on:` every event starts it.
 */
export async function triggerExclusion(
  on: NativeOn | undefined,
  facts: TriggerFacts,
): Promise<string | undefined> {
  if (on === undefined) return undefined;
  const event = nativeEventOf(facts.event);
  const listed = NATIVE_EVENTS.filter((e) => on[e] !== undefined);
  const named = event === undefined || event === facts.event ? facts.event : `${event} (${facts.event})`;
  if (event === undefined || on[event] === undefined) {
    return `the pipeline does not run on ${named}: its on: lists ${listed.join(", ") || "no event"}`;
  }
  if (event === "push") return push(on.push ?? { position: on.position }, facts);
  if (event === "pull_request") {
    const filters = on.pull_request ?? { position: on.position };
    const base = await facts.baseBranch();
    return (
      refExclusion("base branch", base, filters.branches, filters["branches-ignore"], "branches") ??
      (await pathExclusion(filters, facts))
    );
  }
  return undefined;
}

async function push(filters: RefFilters, facts: TriggerFacts): Promise<string | undefined> {
  const tag = facts.ref.startsWith("refs/tags/");
  const name = facts.ref.replace(/^refs\/(heads|tags)\//, "");
  const branchFilters = filters.branches !== undefined || filters["branches-ignore"] !== undefined;
  const tagFilters = filters.tags !== undefined || filters["tags-ignore"] !== undefined;
  // GitHub: filters on one kind of ref only mean pushes of the other kind do not run.
  if (tag) {
    if (branchFilters && !tagFilters) return `on.push filters branches only, and ${name} is a tag`;
    return refExclusion("tag", name, filters.tags, filters["tags-ignore"], "tags");
  }
  if (tagFilters && !branchFilters) return `on.push filters tags only, and ${name} is a branch`;
  return (
    refExclusion("branch", name, filters.branches, filters["branches-ignore"], "branches") ??
    (await pathExclusion(filters, facts))
  );
}

function refExclusion(
  kind: string,
  name: string,
  only: PatternList | undefined,
  ignore: PatternList | undefined,
  filter: string,
): string | undefined {
  if (only && !included(name, only.patterns)) {
    return `${kind} "${name}" is not matched by ${filter} (${only.patterns.join(", ")})`;
  }
  if (ignore && ignored(name, ignore.patterns)) {
    return `${kind} "${name}" is matched by ${filter}-ignore (${ignore.patterns.join(", ")})`;
  }
  return undefined;
}

async function pathExclusion(filters: RefFilters, facts: TriggerFacts): Promise<string | undefined> {
  const { paths, "paths-ignore": pathsIgnore } = filters;
  if (!paths && !pathsIgnore) return undefined;
  const files = await facts.changedFiles();
  const shown = files.length > 5 ? `${files.slice(0, 5).join(", ")}, ...` : files.join(", ");
  if (paths && !files.some((file) => included(file, paths.patterns))) {
    return files.length === 0
      ? `no file changed, so paths (${paths.patterns.join(", ")}) matches nothing`
      : `none of the ${files.length} changed file(s) (${shown}) is matched by paths (${paths.patterns.join(", ")})`;
  }
  if (pathsIgnore && files.every((file) => ignored(file, pathsIgnore.patterns))) {
    return files.length === 0
      ? "no file changed"
      : `every changed file (${shown}) is matched by paths-ignore (${pathsIgnore.patterns.join(", ")})`;
  }
  return undefined;
}
