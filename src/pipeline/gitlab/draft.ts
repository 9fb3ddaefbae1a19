import { closest } from "../../config/suggest.js";
import type { SourcePosition } from "../../errors/index.js";
import { diagnostic, suggestKey, validateNode } from "./diagnostics.js";
import { parseDuration } from "./duration.js";
import { childName, MAX_PARALLEL, parallelChildren } from "./matrix.js";
import type { ParallelChildren } from "./matrix.js";
import type { Report } from "./report.js";
import type { PlainVariables, RuleEvaluator, RuleMatch } from "./rules.js";
import { DEFAULT_KEYWORDS, GLOBAL_KEYWORDS, JOB_KEYWORDS, jobSchema } from "./schema.js";
import type { JobConfig, Rule, When } from "./schema.js";
import { at, flattenSeq, positionIn, toJS, withEntry } from "./tree.js";
import type { Entry, MapNode } from "./tree.js";
import { plainOf, raw } from "./variables.js";
import type { VariableDef } from "./variables.js";

export interface NeedRef {
  job: string;
  artifacts: boolean;
  optional: boolean;
  matrix: Record<string, string>[] | undefined;
  position: SourcePosition;
}

/** A job of the GitLab file once its defaults, templates, rules and only/except are applied. */
export interface Draft {
  name: string;
  keyPos: SourcePosition;
  node: MapNode;
  config: JobConfig;
  stage: string;
  stageIndex: number;
  /** GitLab creates the job for this pipeline (its rules or only/except hold). */
  included: boolean;
  when: When;
  rule: Rule | undefined;
  /** The `rules` entry that decided, for messages. */
  rulePosition: SourcePosition | undefined;
  allowFailure: boolean;
  exitCodes: number[] | undefined;
  startIn: number | undefined;
  /** Explicit `needs` (the job ignores stage order); undefined for stage order. */
  needs: NeedRef[] | undefined;
  /** `parallel` children: those the rules keep, and all of them (which number CI_NODE_INDEX). */
  children: (ParallelChildren & { all: Record<string, string>[]; total: number }) | undefined;
  /** Variables from `variables:` at the top level and workflow rules, after inherit:variables. */
  inheritedVariables: Map<string, VariableDef>;
  jobVariables: Map<string, VariableDef>;
}

export interface DraftContext {
  report: Report;
  rules: RuleEvaluator;
  stages: string[];
  defaults: Map<string, Entry>;
  globalVariables: Map<string, VariableDef>;
  predefinedPlain: PlainVariables;
  /** Variables of the run (`--env`), over everything. */
  runVariables: Readonly<Record<string, string>>;
  /** Jobs whose extends could not be resolved (already reported). */
  brokenExtends: ReadonlySet<string>;
}

/** Lists that may nest through `!reference` and are flattened, as GitLab does. */
const SCRIPT_KEYS = ["before_script", "script", "after_script", "rules"];

/** A job after default:, inherit:, rules and only/except: what GitLab would create. */
export async function draftJob(
  name: string,
  entry: Entry,
  written: MapNode,
  ctx: DraftContext,
): Promise<Draft | undefined> {
  const { report } = ctx;
  const inherit = toJS(
    written.entries.get("inherit")?.value ?? { kind: "scalar", pos: written.pos, value: null },
  ) as {
    default?: unknown;
    variables?: unknown;
  } | null;
  const node = withDefaults(name, written, inherit?.default ?? true, ctx);

  const { data: config, diagnostics } = validateNode(jobSchema, node, name, JOB_KEYWORDS);
  diagnostics.forEach((d) => report.error(d));
  if (!config) return undefined;

  const runnable = config.script !== undefined || config.trigger !== undefined || config.run !== undefined;
  // A job whose template could not be found is already reported; its missing script is that.
  if (!runnable && !ctx.brokenExtends.has(name)) {
    report.error(
      diagnostic(
        entry.keyPos,
        `job "${name}" has no script`,
        `every job needs script: (or trigger:); a template without one must be hidden: .${name}`,
      ),
    );
  }
  const stage = config.stage ?? "test";
  const stageIndex = ctx.stages.indexOf(stage);
  if (stageIndex === -1) {
    const suggestion = closest(stage, ctx.stages);
    report.error(
      diagnostic(
        positionIn(node, ["stage"]),
        `${name}: stage "${stage}" is not defined in stages`,
        `${suggestion ? `did you mean "${suggestion}"? ` : ""}stages: ${ctx.stages.join(", ")}`,
      ),
    );
  }
  checkWhen(name, node, config, report);

  const inheritVariables = inherit?.variables ?? true;
  const inheritedVariables = new Map(
    [...ctx.globalVariables].filter(
      ([key]) =>
        inheritVariables === true || (Array.isArray(inheritVariables) && inheritVariables.includes(key)),
    ),
  );
  const jobVariables = new Map<string, VariableDef>(
    Object.entries(config.variables ?? {}).map(([key, value]) => [
      key,
      typeof value === "string" ? raw(value) : raw(value.value ?? "", value.expand ?? true),
    ]),
  );
  const plain: PlainVariables = {
    ...ctx.predefinedPlain,
    CI_JOB_NAME: name,
    CI_JOB_STAGE: stage,
    ...plainOf(inheritedVariables),
    ...plainOf(jobVariables),
    ...ctx.runVariables,
  };

  let children = parallel(name, node, config, report);
  const rulesNode = at(node, ["rules"]);
  let match: RuleMatch | undefined;
  let included: boolean;
  if (config.rules !== undefined) {
    if (config.only !== undefined || config.except !== undefined) {
      report.error(
        diagnostic(
          positionIn(node, ["rules"], { key: true }),
          `${name}: rules may not be used with ${[config.only && "only", config.except && "except"].filter(Boolean).join(" and ")}`,
          "keep rules: (only/except are deprecated) and move their conditions into it",
        ),
      );
    }
    if (children?.kind === "matrix") {
      // GitLab evaluates the rules of each matrix child with its variables.
      const outcomes: { combination: Record<string, string>; match: RuleMatch }[] = [];
      for (const combination of children.all) {
        const m = await ctx.rules.firstMatch(config.rules, rulesNode, { ...plain, ...combination });
        if (m.index !== undefined && (m.when ?? config.when ?? "on_success") !== "never") {
          outcomes.push({ combination, match: m });
        }
      }
      children = { ...children, combinations: outcomes.map((o) => o.combination) };
      match = outcomes[0]?.match ?? { index: undefined, rule: undefined, when: undefined };
      if (outcomes.some((o) => !sameOutcome(o.match.rule, match?.rule))) {
        report.error(
          diagnostic(
            positionIn(node, ["rules"], { key: true }),
            `not supported: rules that give the children of the parallel:matrix job "${name}" different when, allow_failure, variables, needs or start_in`,
            "Slipway runs a matrix job's children with one configuration; split the job, or move the differences into variables of the matrix",
          ),
        );
      }
      included = outcomes.length > 0;
    } else {
      match = await ctx.rules.firstMatch(config.rules, rulesNode, plain);
      included = match.index !== undefined;
    }
  } else {
    const only = config.only ?? ["branches", "tags"];
    included =
      (await ctx.rules.policy(only, at(node, ["only"]), "only", plain)) &&
      !(
        config.except !== undefined &&
        (await ctx.rules.policy(config.except, at(node, ["except"]), "except", plain))
      );
  }
  const rule = match?.rule;
  const when: When = rule?.when ?? config.when ?? "on_success";
  if (when === "never") included = false;

  let allowFailure: boolean;
  let exitCodes: number[] | undefined;
  if (rule?.allow_failure !== undefined) allowFailure = rule.allow_failure;
  else if (typeof config.allow_failure === "boolean") allowFailure = config.allow_failure;
  else if (config.allow_failure !== undefined) {
    allowFailure = false;
    exitCodes = [config.allow_failure.exit_codes].flat();
  } else {
    // A manual job may fail by default, unless rules made it manual (GitLab's "blocking" manual job).
    allowFailure = when === "manual" && rule?.when !== "manual";
  }

  const rulePosition = match?.index === undefined ? undefined : positionIn(node, ["rules", match.index]);
  const startIn =
    when === "delayed" ? delay(name, node, config, rule, match, rulePosition, report) : undefined;
  const needsValue = rule?.needs ?? config.needs;
  const needsPath = rule?.needs !== undefined ? ["rules", match?.index ?? 0, "needs"] : ["needs"];
  const needs = Array.isArray(needsValue) ? needRefs(needsValue, node, needsPath) : undefined;

  return {
    name,
    keyPos: entry.keyPos,
    node,
    config,
    stage,
    stageIndex: Math.max(stageIndex, 0),
    included,
    when,
    rule,
    rulePosition,
    allowFailure,
    exitCodes,
    startIn,
    needs,
    children,
    inheritedVariables,
    jobVariables,
  };
}

/** A misspelt global keyword looks like a job without script: say so, instead of listing its keys. */
export function misspeltKeyword(name: string, entry: Entry): string | undefined {
  if (entry.value.kind !== "map") return undefined;
  const job = entry.value;
  if (["script", "trigger", "run", "extends"].some((key) => job.entries.has(key))) return undefined;
  return closest(name, [...GLOBAL_KEYWORDS]);
}

/** The job with the `default:` keywords it inherits, and its script lists flattened. */
function withDefaults(name: string, written: MapNode, inheritDefault: unknown, ctx: DraftContext): MapNode {
  let node = written;
  if (Array.isArray(inheritDefault)) {
    inheritDefault.forEach((key, i) => {
      if (typeof key === "string" && !DEFAULT_KEYWORDS.includes(key)) {
        ctx.report.error(
          diagnostic(
            positionIn(node, ["inherit", "default", i]),
            `${name}:inherit:default: "${key}" is not a default keyword`,
            suggestKey(key, DEFAULT_KEYWORDS),
          ),
        );
      }
    });
  }
  for (const [key, def] of ctx.defaults) {
    const wanted = inheritDefault === true || (Array.isArray(inheritDefault) && inheritDefault.includes(key));
    if (wanted && !node.entries.has(key)) node = withEntry(node, def);
  }
  for (const key of SCRIPT_KEYS) {
    const e = node.entries.get(key);
    if (e) node = withEntry(node, { ...e, value: flattenSeq(e.value) });
  }
  const hooks = node.entries.get("hooks");
  if (hooks?.value.kind === "map") {
    const pre = hooks.value.entries.get("pre_get_sources_script");
    if (pre)
      node = withEntry(node, {
        ...hooks,
        value: withEntry(hooks.value, { ...pre, value: flattenSeq(pre.value) }),
      });
  }
  return node;
}

function parallel(name: string, node: MapNode, config: JobConfig, report: Report): Draft["children"] {
  if (config.parallel === undefined) return undefined;
  const expanded = parallelChildren(config.parallel);
  const total = expanded.combinations.length;
  if (total > MAX_PARALLEL) {
    report.error(
      diagnostic(
        positionIn(node, ["parallel"]),
        `${name}: parallel:matrix makes ${total} jobs, more than GitLab's ${MAX_PARALLEL}`,
      ),
    );
  }
  const seen = new Set<string>();
  for (const combination of expanded.combinations) {
    const child = childName(name, expanded.kind, combination, total);
    if (seen.has(child)) {
      report.error(
        diagnostic(
          positionIn(node, ["parallel", "matrix"]),
          `${name}: parallel:matrix makes the job "${child}" twice`,
          "GitLab names matrix jobs by their values only, so the second would replace the first; make the values differ",
        ),
      );
    }
    seen.add(child);
  }
  return { ...expanded, all: expanded.combinations, total };
}

function checkWhen(name: string, node: MapNode, config: JobConfig, report: Report): void {
  if (config.when === "never") {
    report.error(
      diagnostic(
        positionIn(node, ["when"]),
        `${name}: when: never is only allowed in rules and workflow:rules`,
        "use rules: - when: never",
      ),
    );
  }
  if (config.rules !== undefined && config.start_in !== undefined) {
    report.error(
      diagnostic(
        positionIn(node, ["start_in"], { key: true }),
        `${name}: start_in may not be used with rules`,
        "put when: delayed and start_in in the rule",
      ),
    );
  }
  if (config.rules === undefined && config.start_in !== undefined && config.when !== "delayed") {
    report.error(
      diagnostic(positionIn(node, ["start_in"], { key: true }), `${name}: start_in needs when: delayed`),
    );
  }
}

/** `start_in` of a delayed job, in seconds: from one second to one week, as GitLab allows. */
function delay(
  name: string,
  node: MapNode,
  config: JobConfig,
  rule: Rule | undefined,
  match: RuleMatch | undefined,
  rulePosition: SourcePosition | undefined,
  report: Report,
): number | undefined {
  const written = rule?.start_in ?? config.start_in;
  if (written === undefined) {
    report.error(
      diagnostic(
        rulePosition ?? positionIn(node, ["when"]),
        `${name}: when: delayed needs start_in`,
        'add start_in: "30 minutes"',
      ),
    );
    return undefined;
  }
  const seconds = parseDuration(written);
  if (seconds === undefined || seconds < 1 || seconds > 604_800) {
    report.error(
      diagnostic(
        rule?.start_in !== undefined
          ? positionIn(node, ["rules", match?.index ?? 0, "start_in"])
          : positionIn(node, ["start_in"]),
        `${name}: start_in "${written}" is not a duration from 1 second to 1 week`,
        'e.g. start_in: "30 minutes"',
      ),
    );
    return undefined;
  }
  return seconds;
}

function needRefs(
  value: Exclude<JobConfig["needs"], undefined | { pipeline: string }>,
  node: MapNode,
  needsPath: (string | number)[],
): NeedRef[] {
  const refs: NeedRef[] = [];
  value.forEach((need, i) => {
    const position = positionIn(node, [...needsPath, i]);
    if (typeof need === "string") {
      refs.push({ job: need, artifacts: true, optional: false, matrix: undefined, position });
    } else if (need.project === undefined && need.pipeline === undefined) {
      // Other projects' and pipelines' jobs are rejected with the job's other unsupported keywords.
      refs.push({
        job: need.job,
        artifacts: need.artifacts ?? true,
        optional: need.optional ?? false,
        matrix: need.parallel ? parallelChildren({ matrix: need.parallel.matrix }).combinations : undefined,
        position,
      });
    }
  });
  return refs;
}

function sameOutcome(a: Rule | undefined, b: Rule | undefined): boolean {
  const pick = (r: Rule | undefined) =>
    JSON.stringify([r?.when, r?.allow_failure, r?.variables ?? {}, r?.needs, r?.start_in]);
  return pick(a) === pick(b);
}
