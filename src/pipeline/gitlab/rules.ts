import picomatch from "picomatch";
import type { Diagnostic, SourcePosition } from "../../errors/index.js";
import { ExpressionError, isTrue, parseExpression, toRegExp } from "./expression.js";
import type { Expr } from "./expression.js";
import type { GitState, LocalGit } from "./git-state.js";
import type { Rule, When } from "./schema.js";
import { at, positionIn } from "./tree.js";
import type { Node } from "./tree.js";
import { expandPlain } from "./variables.js";
import type { PipelineRef } from "./variables.js";

/** Variables as `rules:if` sees them: the values as written, by name. */
export type PlainVariables = Readonly<Record<string, string | undefined>>;

export interface RuleMatch {
  /** The index of the rule that matched, or undefined when none did. */
  index: number | undefined;
  rule: Rule | undefined;
  when: When | undefined;
}

type OnlyExcept =
  | string
  | string[]
  | {
      refs?: string[] | undefined;
      variables?: string[] | undefined;
      changes?: unknown;
      kubernetes?: "active" | undefined;
    };

/**
 * Decides, when the pipeline is created, which jobs and includes are part of it: `rules`,
 * `only`/`except` and `workflow:rules`, against the local git state.
 * https://docs.gitlab.com/ci/yaml/#rules
 */
export class RuleEvaluator {
  private readonly parsed = new Map<string, Expr | undefined>();
  private defaultChanges: Promise<string[] | undefined> | undefined;

  constructor(
    private readonly git: LocalGit,
    private readonly state: GitState,
    private readonly ref: PipelineRef,
    private readonly overrides: Readonly<Record<string, string>>,
    private readonly diagnostics: Diagnostic[],
  ) {}

  /** Parses an expression once, reporting a syntax error at its position. */
  expression(text: string, node: Node | undefined): Expr | undefined {
    if (this.parsed.has(text)) return this.parsed.get(text);
    let expr: Expr | undefined;
    try {
      expr = parseExpression(text);
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      this.diagnostics.push({
        position: node ? textPosition(node, error.offset) : { file: "", line: 1, column: 1 },
        message: `invalid expression "${text}": ${error.message}`,
        hint:
          error.hint ??
          'GitLab expressions compare variables: $CI_COMMIT_BRANCH == "main" && $CI_COMMIT_TITLE =~ /^release/',
      });
    }
    this.parsed.set(text, expr);
    return expr;
  }

  condition(text: string, node: Node | undefined, variables: PlainVariables): boolean {
    const expr = this.expression(text, node);
    return expr ? isTrue(expr, variables) : false;
  }

  /** Checks the syntax of every `if` of a rules list, reached or not, as GitLab does. */
  checkRules(rules: readonly Rule[], rulesNode: Node | undefined): void {
    rules.forEach((rule, i) => {
      if (rule.if !== undefined) this.expression(rule.if, at(rulesNode, [i, "if"]));
    });
  }

  /** The first rule whose if, changes and exists all hold. */
  async firstMatch(
    rules: readonly Rule[],
    rulesNode: Node | undefined,
    variables: PlainVariables,
  ): Promise<RuleMatch> {
    this.checkRules(rules, rulesNode);
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (!rule) continue;
      if (rule.if !== undefined && !this.condition(rule.if, at(rulesNode, [i, "if"]), variables)) continue;
      if (
        rule.changes !== undefined &&
        !(await this.changed(rule.changes, at(rulesNode, [i, "changes"]), variables))
      ) {
        continue;
      }
      if (
        rule.exists !== undefined &&
        !(await this.exists(rule.exists, at(rulesNode, [i, "exists"]), variables))
      ) {
        continue;
      }
      return { index: i, rule, when: rule.when };
    }
    return { index: undefined, rule: undefined, when: undefined };
  }

  /**
   * `changes`: any listed path changed. Without a push to compare (tags, schedules, API...)
   * GitLab answers true, and so does this; `compare_to` always compares.
   */
  async changed(
    spec: NonNullable<Rule["changes"]>,
    node: Node | undefined,
    variables: PlainVariables,
  ): Promise<boolean> {
    const patterns = (Array.isArray(spec) ? spec : spec.paths).map((p) => expandPlain(p, variables));
    const compareTo = Array.isArray(spec) ? undefined : spec.compare_to;
    let files: string[] | undefined;
    if (compareTo !== undefined) {
      const target = expandPlain(compareTo, variables);
      if (!(await this.git.resolves(target))) {
        this.diagnostics.push({
          position: node ? positionIn(node, ["compare_to"]) : { file: "", line: 1, column: 1 },
          message: `rules:changes:compare_to: "${target}" is not a branch, tag or commit of this repository`,
          hint: "fetch it (git fetch origin <branch>) or name a ref that exists locally",
        });
        return false;
      }
      const base = (await this.git.mergeBase(target)) ?? target;
      files = await this.git.changedSince(base);
    } else {
      files = await this.changedFiles();
    }
    if (files === undefined) return true;
    const matchers = patterns.map((p) => this.matcher(p));
    return files.some((file) => matchers.some((m) => m(file)));
  }

  /** Compiled once per pattern: the same globs are tested for every job's rules. */
  private matcher(pattern: string): (file: string) => boolean {
    let match = this.matchers.get(pattern);
    if (!match) {
      match = picomatch(pattern, { dot: true });
      this.matchers.set(pattern, match);
    }
    return match;
  }

  private readonly matchers = new Map<string, (file: string) => boolean>();

  async exists(
    spec: NonNullable<Rule["exists"]>,
    node: Node | undefined,
    variables: PlainVariables,
  ): Promise<boolean> {
    if (!Array.isArray(spec) && spec.project !== undefined) {
      this.diagnostics.push({
        position: node ? positionIn(node, ["project"], { key: true }) : { file: "", line: 1, column: 1 },
        message: "not supported: rules:exists:project",
        hint: "another project's files are on the GitLab server; a local run sees this repository only",
      });
      return false;
    }
    const patterns = (Array.isArray(spec) ? spec : spec.paths).map((p) => expandPlain(p, variables));
    const files = await this.git.files();
    return patterns.some((pattern) => {
      if (pattern.endsWith("/")) return files.some((f) => f.startsWith(pattern));
      const match = this.matcher(pattern);
      return files.some((f) => match(f));
    });
  }

  /**
   * The files this pipeline changes. A merge request compares with its target; a branch other
   * than the default one with where it left the default branch (what the branch changes, as its
   * merge request would show); the default branch with its previous commit. The working tree's
   * uncommitted and untracked files count as changed: they are what the run will see.
   * `--env CI_COMMIT_BEFORE_SHA=<sha>` compares with that commit instead.
   */
  changedFiles(): Promise<string[] | undefined> {
    this.defaultChanges ??= this.computeChanges();
    return this.defaultChanges;
  }

  private async computeChanges(): Promise<string[] | undefined> {
    const before = this.overrides.CI_COMMIT_BEFORE_SHA;
    if (before !== undefined && !/^0+$/.test(before)) return this.git.changedSince(before);
    if (this.ref.mergeRequest) {
      const base = await this.git.mergeBase(this.ref.mergeRequest.target);
      return base ? this.git.changedSince(base) : undefined;
    }
    if (this.ref.source !== "push" || this.ref.tag !== undefined || this.ref.branch === undefined)
      return undefined;
    if (this.ref.branch !== this.state.defaultBranch) {
      const base = await this.git.mergeBase(this.state.defaultBranch);
      if (base) return this.git.changedSince(base);
    }
    return this.state.beforeSha ? this.git.changedSince(this.state.beforeSha) : undefined;
  }

  /**
   * `only`/`except`: refs (keywords like branches, tags, merge_requests, names, /regex/,
   * `ref@group/project`), variables, changes and kubernetes. Each given part must hold for
   * `only`; any part that holds excludes the job for `except`.
   * https://docs.gitlab.com/ci/yaml/deprecated_keywords/#only--except
   */
  async policy(
    spec: OnlyExcept,
    node: Node | undefined,
    kind: "only" | "except",
    variables: PlainVariables,
  ): Promise<boolean> {
    const parts = typeof spec === "string" || Array.isArray(spec) ? { refs: [spec].flat() } : spec;
    const results: boolean[] = [];
    if (parts.refs !== undefined)
      results.push(parts.refs.some((pattern) => this.refMatches(pattern, variables)));
    if (parts.variables !== undefined) {
      results.push(
        parts.variables.some((text, i) => this.condition(text, at(node, ["variables", i]), variables)),
      );
    }
    if (parts.changes !== undefined) {
      const branchLike = this.ref.branch !== undefined || this.ref.mergeRequest !== undefined;
      results.push(
        branchLike
          ? await this.changed(
              parts.changes as NonNullable<Rule["changes"]>,
              at(node, ["changes"]),
              variables,
            )
          : true,
      );
    }
    // The Kubernetes integration is a GitLab server feature: never active for a local run.
    if (parts.kubernetes !== undefined) results.push(variables.CI_KUBERNETES_ACTIVE !== undefined);
    return kind === "only" ? results.every(Boolean) : results.some(Boolean);
  }

  private refMatches(entry: string, variables: PlainVariables): boolean {
    const at = entry.indexOf("@");
    const pattern = at === -1 ? entry : entry.slice(0, at);
    const project = at === -1 ? undefined : entry.slice(at + 1);
    if (project !== undefined && project !== variables.CI_PROJECT_PATH) return false;
    const { ref } = this;
    if (ref.tag !== undefined && pattern === "tags") return true;
    if (ref.branch !== undefined && pattern === "branches") return true;
    const source = ref.mergeRequest ? "merge_request" : ref.source;
    if (pattern === source || pattern === pluralize(source)) return true;
    if (ref.branch === undefined && ref.tag === undefined) return false;
    const regex = /^\/(.+)\/([ismU]*)$/s.exec(pattern);
    if (regex) {
      try {
        return toRegExp(regex[1] ?? "", regex[2] ?? "").test(ref.name);
      } catch {
        return false;
      }
    }
    return pattern === ref.name;
  }
}

/** Ruby's pluralize for GitLab's source names: push -> pushes, schedule -> schedules. */
function pluralize(word: string): string {
  if (word.endsWith("s")) return word;
  return /(sh|ch|x|z)$/.test(word) ? `${word}es` : `${word}s`;
}

/** Where offset `offset` of a one-line string value is in the file; the value's start otherwise. */
export function textPosition(node: Node, offset: number): SourcePosition {
  if (
    node.kind === "scalar" &&
    node.textPos &&
    typeof node.value === "string" &&
    !node.value.includes("\n")
  ) {
    return { ...node.textPos, column: node.textPos.column + offset };
  }
  return node.pos;
}
