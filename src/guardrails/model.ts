/**
 * The shared vocabulary of guardrails: rules, findings, where a value came from, suppressions.
 * Every framework (Terraform, Kubernetes, Dockerfiles, CI files, secrets...) loads its files into
 * its own model and runs its own rules, but reports in these terms, so suppressions, baselines
 * and output formats are written once.
 */

export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const FRAMEWORKS = [
  "terraform",
  "cloudformation",
  "kubernetes",
  "dockerfile",
  "github-actions",
  "gitlab-ci",
  "secrets",
] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/** The formats a report is written in. */
export const CHECK_FORMATS = ["text", "json", "sarif", "junit"] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

/** What `--fail-on` and a check step's `fail-on` take: a severity, or none to never fail. */
export const FAIL_ON = [...SEVERITIES, "none"] as const;

/** A range in a scanned file. Lines and columns are 1-based; `file` is relative to the scan root. */
export interface SourceSpan {
  file: string;
  line: number;
  column: number;
  /** Inclusive end line; defaults to `line`. */
  endLine?: number | undefined;
  /** Exclusive end column on `endLine`. */
  endColumn?: number | undefined;
}

/** Where a value a finding depends on was set: "variable "cidr" default", "terraform.tfvars", ... */
export interface Provenance {
  /** What set the value, in the user's words: `var.allowed_cidr from prod.tfvars`. */
  description: string;
  span: SourceSpan;
}

/** A change that resolves a finding, for SARIF `fixes` and editors. */
export interface Fix {
  description: string;
  replacements: readonly { span: Required<SourceSpan>; text: string }[];
}

export interface RuleMeta {
  /** Stable id: framework prefix and number, e.g. `TF-012`, `K8S-003`, `DOCKER-007`. */
  id: string;
  title: string;
  severity: Severity;
  framework: Framework;
  /** Why this matters, one or two sentences. */
  rationale: string;
  /** What to change. */
  remediation: string;
  /** Links and benchmark ids (e.g. "CIS AWS Foundations 2.1.5"). */
  references: readonly string[];
}

/** What a rule reports; the scanner adds the rule's metadata. */
export interface Report {
  message: string;
  span: SourceSpan;
  /** The resource or object, as users address it: `aws_s3_bucket.logs[0]`, `Deployment/web`. */
  resource?: string | undefined;
  provenance?: readonly Provenance[] | undefined;
  fix?: Fix | undefined;
  /**
   * Enclosing places where a suppression also applies: the module calls that created a resource
   * (innermost last), the Kubernetes object a container belongs to.
   */
  enclosing?: readonly SourceSpan[] | undefined;
}

export interface Finding extends Report {
  ruleId: string;
  title: string;
  severity: Severity;
  framework: Framework;
  provenance: readonly Provenance[];
}

export type Reporter = (report: Report) => void;

/** A rule over one framework's model. `check` reports each violation it finds. */
export interface Rule<Model> extends RuleMeta {
  check(model: Model, report: Reporter): void;
}

/** `# slipway:ignore RULE-ID reason` (or an annotation): silences a rule over a range of a file. */
export interface Suppression {
  /** A rule id, or `*` for all rules. */
  ruleId: string;
  reason: string;
  /** ISO date (YYYY-MM-DD) after which the suppression no longer applies. */
  expires?: string | undefined;
  /** The block, object or module call the suppression covers. */
  span: SourceSpan;
}

/** One scanned file. `path` is relative to the scan root, with forward slashes. */
export interface SourceFile {
  path: string;
  absolutePath: string;
  text: string;
}

/** A problem reading a file: it is reported with its position and the scan goes on. */
export interface ScanDiagnostic {
  span: SourceSpan;
  message: string;
  hint?: string | undefined;
}

export interface FrameworkResult {
  findings: Finding[];
  suppressions: Suppression[];
  diagnostics: ScanDiagnostic[];
  /** Things the user should know, e.g. "helm is not installed: chart charts/web not rendered". */
  notes: string[];
  /** Files this framework read (for counts and SARIF artifacts). */
  files: string[];
}

export interface ScanContext {
  /** Absolute directory paths are resolved against. */
  root: string;
  /** Rules that may report; everything else is skipped (`--rule`, `--skip-rule`, custom rules). */
  ruleFilter: (ruleId: string) => boolean;
  /** Terraform input variables from `--var-file`, in the order given. */
  varFiles: readonly string[];
  /** Process environment, for `TF_VAR_*` (tests pass their own). */
  env: Readonly<Record<string, string | undefined>>;
  /** Extra rules loaded from the user's custom rule files, grouped by framework. */
  customRules: readonly CustomRule[];
}

/**
 * One framework: which files it reads and how it checks them. A framework owns its parser,
 * its model and its rules; the scanner only hands it files and collects results.
 */
export interface FrameworkScanner {
  framework: Framework;
  rules: readonly RuleMeta[];
  /** From the file's name and content, whether this framework reads it. */
  claims(file: SourceFile): boolean;
  scan(files: readonly SourceFile[], context: ScanContext): Promise<FrameworkResult>;
}

/**
 * A value read from a model for declarative rules: known with where it was set, or unknown
 * (a variable without value, a data source, an apply-time attribute). Unknown never fails a
 * condition.
 */
export type FieldValue =
  | { known: true; value: unknown; span?: SourceSpan | undefined; provenance: readonly Provenance[] }
  | { known: false };

/** The framework-neutral view of one resource or object, what declarative rules test. */
export interface GenericResource {
  framework: Framework;
  /** `aws_s3_bucket`, `Deployment`, `AWS::S3::Bucket`, `dockerfile-stage`, `github-job`. */
  type: string;
  /** As users address it: `aws_s3_bucket.logs`, `Deployment/web`. */
  address: string;
  span: SourceSpan;
  enclosing?: readonly SourceSpan[] | undefined;
  /** Reads a dotted path (`tags.owner`, `spec.template.spec.hostNetwork`). */
  get(path: string): FieldValue;
}

/** A rule a user wrote: in TypeScript or JavaScript against a framework's model, or in YAML. */
export interface CustomRule extends RuleMeta {
  /** Checks the framework-neutral resources; frameworks call it with theirs. */
  checkResources(resources: readonly GenericResource[], report: Reporter): void;
}
