import type { SourceSpan } from "../model.js";
import { parseShell, type ShellScript } from "../dockerfile/shell.js";
import { textSpan, type PositionedText } from "../source-text.js";
import { expressionSources, findExpressions, type ContextPath } from "./expressions.js";
import {
  child,
  isYMap,
  isYSeq,
  nodeSpan,
  pairOf,
  pairSpan,
  scalarText,
  stringList,
  stringValue,
  type YamlFile,
  type YMap,
  type YNode,
  type YPair,
  type YScalar,
} from "./yaml-tree.js";

/**
 * A workflow (`.github/workflows/*.yml`) or a composite/Docker action (`action.yml`) as rules
 * read it: triggers, permissions, jobs, steps, and every `${{ }}` expression with its position
 * and the context values it passes on. A composite action's steps form one job named `runs`.
 */
export interface Workflow {
  file: YamlFile;
  kind: "workflow" | "action";
  root: YMap;
  triggers: Trigger[];
  /** The `on:` pair (workflows). */
  on: YPair | undefined;
  permissions: Permissions | undefined;
  env: EnvVar[];
  jobs: Job[];
  /** `workflow_dispatch`/`workflow_call` inputs, or an action's inputs. */
  inputs: Map<string, Input>;
  /** `runs.image` of a Docker action. */
  image: { value: string; node: YScalar } | undefined;
}

export interface Trigger {
  event: string;
  span: SourceSpan;
  config: YNode | undefined;
}

export interface Input {
  name: string;
  /** `string` (the default), `boolean`, `number`, `choice`, `environment`. */
  type: string;
  span: SourceSpan;
}

export interface Permissions {
  pair: YPair;
  span: SourceSpan;
  /** `write-all`, `read-all`, `{}` (none), or individual scopes. */
  all: "write-all" | "read-all" | undefined;
  scopes: Map<string, { value: string; span: SourceSpan }>;
}

export interface EnvVar {
  name: string;
  pair: YPair;
  span: SourceSpan;
  /** The value as text, with the expressions in it. */
  value: string;
  expressions: Expression[];
}

export interface Expression {
  /** Inside `${{ }}`, trimmed. */
  source: string;
  span: SourceSpan;
  /** Offsets in the text it was found in. */
  start: number;
  end: number;
  /** Context values that may flow into its result. */
  sources: ContextPath[];
}

export interface Job {
  id: string;
  pair: YPair;
  node: YMap;
  span: SourceSpan;
  /** `jobs.build` */
  address: string;
  permissions: Permissions | undefined;
  env: EnvVar[];
  runsOn: YNode | undefined;
  steps: Step[];
  /** A reusable workflow call: `uses: org/repo/.github/workflows/x.yml@ref`. */
  uses: Uses | undefined;
  secrets: YPair | undefined;
  strategy: YNode | undefined;
}

export interface Uses {
  value: string;
  node: YScalar;
  span: SourceSpan;
  kind: "local" | "docker" | "remote";
  /** `actions/checkout` for `actions/checkout@v4` and `actions/cache/save@v4`. */
  repository: string;
  owner: string;
  ref: string | undefined;
}

export interface Step {
  index: number;
  job: Job;
  node: YMap;
  span: SourceSpan;
  /** `jobs.build.steps[2]` */
  address: string;
  name: string | undefined;
  uses: Uses | undefined;
  run: Script | undefined;
  with: Map<
    string,
    { pair: YPair; value: string; text: PositionedText | undefined; expressions: Expression[] }
  >;
  env: EnvVar[];
}

export interface Script {
  node: YScalar;
  text: PositionedText;
  expressions: Expression[];
  /** Tokenized on first use. */
  shell(): ShellScript;
}

export function buildWorkflow(file: YamlFile, root: YMap, kind: "workflow" | "action"): Workflow {
  const workflow: Workflow = {
    file,
    kind,
    root,
    triggers: [],
    on: undefined,
    permissions: readPermissions(file, pairOf(root, "permissions")),
    env: readEnv(file, child(root, "env")),
    jobs: [],
    inputs: new Map(),
    image: undefined,
  };
  if (kind === "workflow") {
    workflow.on = pairOf(root, "on") ?? pairOf(root, "true");
    workflow.triggers = readTriggers(file, workflow.on);
    for (const trigger of workflow.triggers)
      if (trigger.event === "workflow_dispatch" || trigger.event === "workflow_call")
        readInputs(file, child(trigger.config, "inputs"), workflow.inputs);
    const jobs = child(root, "jobs");
    if (isYMap(jobs))
      for (const pair of jobs.pairs)
        if (isYMap(pair.value)) workflow.jobs.push(readJob(file, pair, pair.value));
  } else {
    readInputs(file, child(root, "inputs"), workflow.inputs);
    const runs = pairOf(root, "runs");
    if (runs && isYMap(runs.value)) {
      const image = child(runs.value, "image");
      const imageValue = stringValue(image);
      if (imageValue !== undefined && image?.kind === "scalar")
        workflow.image = { value: imageValue, node: image };
      if (isYSeq(child(runs.value, "steps"))) workflow.jobs.push(readJob(file, runs, runs.value, "runs"));
    }
  }
  return workflow;
}

function readTriggers(file: YamlFile, on: YPair | undefined): Trigger[] {
  if (!on) return [];
  const value = on.value;
  if (isYMap(value))
    return value.pairs.map((pair) => ({
      event: pair.key,
      span: file.lines.span(pair.keyStart, pair.keyEnd),
      config: pair.value,
    }));
  return stringList(value).map(({ value: event, node }) => ({
    event,
    span: nodeSpan(file, node),
    config: undefined,
  }));
}

function readInputs(file: YamlFile, node: YNode | undefined, into: Map<string, Input>): void {
  if (!isYMap(node)) return;
  for (const pair of node.pairs)
    into.set(pair.key.toLowerCase(), {
      name: pair.key,
      type: stringValue(child(pair.value, "type")) ?? "string",
      span: file.lines.span(pair.keyStart, pair.keyEnd),
    });
}

function readPermissions(file: YamlFile, pair: YPair | undefined): Permissions | undefined {
  if (!pair) return undefined;
  const scopes = new Map<string, { value: string; span: SourceSpan }>();
  const value = stringValue(pair.value);
  if (isYMap(pair.value))
    for (const scope of pair.value.pairs)
      scopes.set(scope.key, { value: stringValue(scope.value) ?? "", span: pairSpan(file, scope) });
  return {
    pair,
    span: pairSpan(file, pair),
    all: value === "write-all" || value === "read-all" ? value : undefined,
    scopes,
  };
}

export function readExpressions(file: YamlFile, text: PositionedText): Expression[] {
  return findExpressions(text.text).map((segment) => ({
    source: segment.source,
    span: textSpan(file.lines, text, segment.start, segment.end),
    start: segment.start,
    end: segment.end,
    sources: expressionSources(segment.source),
  }));
}

function readEnv(file: YamlFile, node: YNode | undefined): EnvVar[] {
  if (!isYMap(node)) return [];
  return node.pairs.map((pair) => {
    const value = pair.value.kind === "scalar" ? scalarText(file, pair.value) : undefined;
    return {
      name: pair.key,
      pair,
      span: pairSpan(file, pair),
      value: value?.text ?? "",
      expressions: value ? readExpressions(file, value) : [],
    };
  });
}

function readJob(file: YamlFile, pair: YPair, node: YMap, id = pair.key): Job {
  const job: Job = {
    id,
    pair,
    node,
    span: pairSpan(file, pair),
    address: id === "runs" && !pairOf(node, "runs-on") ? "runs" : `jobs.${id}`,
    permissions: readPermissions(file, pairOf(node, "permissions")),
    env: readEnv(file, child(node, "env")),
    runsOn: child(node, "runs-on"),
    steps: [],
    uses: readUses(file, child(node, "uses")),
    secrets: pairOf(node, "secrets"),
    strategy: child(node, "strategy"),
  };
  const steps = child(node, "steps");
  if (isYSeq(steps))
    steps.items.forEach((item, index) => {
      if (isYMap(item)) job.steps.push(readStep(file, job, item, index));
    });
  return job;
}

function readUses(file: YamlFile, node: YNode | undefined): Uses | undefined {
  const value = stringValue(node);
  if (value === undefined || node?.kind !== "scalar") return undefined;
  const span = nodeSpan(file, node);
  if (value.startsWith("./") || value.startsWith(".\\"))
    return { value, node, span, kind: "local", repository: value, owner: "", ref: undefined };
  if (value.startsWith("docker://"))
    return { value, node, span, kind: "docker", repository: value.slice(9), owner: "", ref: undefined };
  const at = value.lastIndexOf("@");
  const path = at >= 0 ? value.slice(0, at) : value;
  const [owner = "", repo = ""] = path.split("/");
  return {
    value,
    node,
    span,
    kind: "remote",
    repository: `${owner}/${repo}`.toLowerCase(),
    owner: owner.toLowerCase(),
    ref: at >= 0 ? value.slice(at + 1) : undefined,
  };
}

function readStep(file: YamlFile, job: Job, node: YMap, index: number): Step {
  const withNode = child(node, "with");
  const inputs: Step["with"] = new Map();
  if (isYMap(withNode))
    for (const pair of withNode.pairs) {
      const text = pair.value.kind === "scalar" ? scalarText(file, pair.value) : undefined;
      inputs.set(pair.key.toLowerCase(), {
        pair,
        value: text?.text ?? "",
        text,
        expressions: text ? readExpressions(file, text) : [],
      });
    }
  const run = child(node, "run");
  return {
    index,
    job,
    node,
    span: nodeSpan(file, node),
    address: `${job.address}.steps[${index}]`,
    name: stringValue(child(node, "name")),
    uses: readUses(file, child(node, "uses")),
    run: run?.kind === "scalar" ? readScript(file, run) : undefined,
    with: inputs,
    env: readEnv(file, child(node, "env")),
  };
}

export function readScript(file: YamlFile, node: YScalar): Script {
  const text = scalarText(file, node);
  let shell: ShellScript | undefined;
  return {
    node,
    text,
    expressions: readExpressions(file, text),
    shell: () => (shell ??= parseShell(text.text)),
  };
}

/** The value of an env variable as a step sees it: the step's, else the job's, else the workflow's. */
export function resolveEnv(
  workflow: Workflow,
  job: Job,
  step: Step | undefined,
  name: string,
): EnvVar | undefined {
  const lower = name.toLowerCase();
  for (const scope of [step?.env ?? [], job.env, workflow.env]) {
    const found = scope.find((v) => v.name.toLowerCase() === lower);
    if (found) return found;
  }
  return undefined;
}

/** The `runs-on` labels, including a matrix value it expands from. */
export function runnerLabels(job: Job): { value: string; node: YScalar }[] {
  const runsOn = job.runsOn;
  const labels = isYMap(runsOn) ? stringList(child(runsOn, "labels")) : stringList(runsOn);
  const out: { value: string; node: YScalar }[] = [];
  for (const label of labels) {
    const matrixKey = /^\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}$/.exec(label.value)?.[1];
    const values = matrixKey ? child(child(job.strategy, "matrix"), matrixKey) : undefined;
    if (matrixKey && values) {
      if (isYSeq(values))
        for (const item of values.items) {
          // `os: [[self-hosted, linux], ubuntu-latest]`: each entry is a label or a list of labels.
          out.push(...stringList(item));
        }
      continue;
    }
    out.push(label);
  }
  return out;
}

/** The step's `with` input as text, lower-cased key. */
export function withValue(step: Step, key: string): string | undefined {
  return step.with.get(key.toLowerCase())?.value;
}

export function isAction(uses: Uses | undefined, ...repositories: string[]): boolean {
  return uses?.kind === "remote" && repositories.includes(uses.repository);
}
