import type { GenericResource } from "../model.js";
import { yamlResource } from "../github-actions/generic.js";
import type { GitlabPipeline } from "./model.js";

/**
 * Each job as a `gitlab-job` resource, read after includes, `extends`, `!reference`, `default:`
 * and global variables are applied: `get("image")`, `get("variables.DOCKER_TLS_CERTDIR")`,
 * `get("rules.0.if")`. Spans point where each value is written, in whichever file.
 */
export function jobResources(pipeline: GitlabPipeline): GenericResource[] {
  return pipeline.jobs.map((job) =>
    yamlResource({
      framework: "gitlab-ci",
      type: "gitlab-job",
      address: job.name,
      spanOf: (node) => pipeline.spanOf(node),
      node: job.config,
      span: job.entry.span,
    }),
  );
}
