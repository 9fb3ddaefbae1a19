import type { SourcePosition } from "../../errors/index.js";
import { diagnostic } from "./diagnostics.js";
import type { Draft } from "./draft.js";
import { JOB_KEYWORD_SUPPORT } from "./keywords.js";
import { listJobs } from "./report.js";
import type { Report } from "./report.js";
import { positionIn } from "./tree.js";

/**
 * Keywords that cannot run here are errors at their position, and keywords with nothing to act
 * on here are notes; both only for the jobs that would run, so that a tag-only release job does
 * not stop a branch's run.
 */
export function checkSupport(draft: Draft, byName: ReadonlyMap<string, Draft>, report: Report): void {
  const { node, config, name } = draft;
  for (const [key, value] of Object.entries(config)) {
    const support = JOB_KEYWORD_SUPPORT[key];
    // `services: []` and the like switch a keyword off (often a default's): nothing to run.
    if (!support || support.status === "supported" || isEmpty(value)) continue;
    const position = positionIn(node, [key], { key: true });
    if (support.status === "unsupported")
      report.error(diagnostic(position, `${name}: not supported: ${key}`, support.hint));
    else report.note(key, name, support.reason, position);
  }
  const environment = config.environment;
  if (typeof environment === "object") {
    if (environment.kubernetes !== undefined) {
      report.error(
        diagnostic(
          positionIn(node, ["environment", "kubernetes"], { key: true }),
          `${name}: not supported: environment:kubernetes`,
          "the GitLab agent for Kubernetes gives the job its cluster access; use a kubeconfig from --secret-file instead",
        ),
      );
    }
    if (environment.on_stop !== undefined && !byName.has(environment.on_stop)) {
      report.error(
        diagnostic(
          positionIn(node, ["environment", "on_stop"]),
          `${name}: environment:on_stop names "${environment.on_stop}", which is not a job`,
        ),
      );
    }
  }
  if (config.artifacts?.untracked) {
    report.error(
      diagnostic(
        positionIn(node, ["artifacts", "untracked"], { key: true }),
        `${name}: not supported: artifacts:untracked`,
        "list the files in artifacts:paths",
      ),
    );
  }
  for (const [type, value] of Object.entries(config.artifacts?.reports ?? {})) {
    if (value === undefined || type === "junit" || type === "dotenv") continue;
    report.note(
      `artifacts:reports:${type}`,
      name,
      "the report is not read (its files stay in the workspace)",
      positionIn(node, ["artifacts", "reports", type], { key: true }),
    );
  }
  for (const key of ["expire_in", "expose_as", "name", "public", "access"] as const) {
    if (config.artifacts?.[key] !== undefined) {
      report.note(
        `artifacts:${key}`,
        name,
        "artifacts are kept with the run in Slipway's store",
        positionIn(node, ["artifacts", key], { key: true }),
      );
    }
  }
  const needs = draft.rule?.needs ?? config.needs;
  if (needs !== undefined && !Array.isArray(needs)) {
    report.error(
      diagnostic(
        positionIn(node, ["needs"], { key: true }),
        `${name}: not supported: needs:pipeline`,
        "another pipeline's status lives on the GitLab server",
      ),
    );
    return;
  }
  (needs ?? []).forEach((need, i) => {
    if (typeof need === "object" && (need.project !== undefined || need.pipeline !== undefined)) {
      report.error(
        diagnostic(
          positionIn(node, ["needs", i]),
          `${name}: not supported: needs:${need.project !== undefined ? "project" : "pipeline:job"}`,
          "artifacts of other pipelines are stored on the GitLab server; download them in the script",
        ),
      );
    }
  });
}

/** One warning per image: jobs run on this machine, so what the image provided must be here. */
export function imageWarnings(
  images: ReadonlyMap<string, { jobs: string[]; position: SourcePosition }>,
  report: Report,
): void {
  for (const [image, { jobs, position }] of images) {
    report.warn(
      `jobs run on this machine, not in the image ${image} (${listJobs(jobs)}): the tools they use must be installed here`,
      position,
      "Slipway has no container runtime for GitLab jobs; use GitLab Runner's docker executor to run them in images",
    );
  }
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value).length === 0;
}
