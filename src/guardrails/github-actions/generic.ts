import type { FieldValue, Framework, GenericResource, SourceSpan } from "../model.js";
import type { Workflow } from "./model.js";
import { isYMap, isYSeq, nodeSpan, pairOf, toPlain, type YNode } from "./yaml-tree.js";

/**
 * A GenericResource over a YAML node: `get("permissions.contents")` walks maps by key and lists
 * by index (`steps.0.uses`) and returns the value with the span where it is written.
 */
export function yamlResource(options: {
  framework: Framework;
  type: string;
  address: string;
  /** Where a node is written (nodes of merged configurations come from several files). */
  spanOf: (node: YNode) => SourceSpan;
  node: YNode;
  span: SourceSpan;
  enclosing?: readonly SourceSpan[] | undefined;
}): GenericResource {
  const { spanOf, node } = options;
  return {
    framework: options.framework,
    type: options.type,
    address: options.address,
    span: options.span,
    enclosing: options.enclosing,
    get(path: string): FieldValue {
      let current: YNode | undefined = node;
      for (const segment of path.split(".").filter((s) => s !== "")) {
        if (isYMap(current)) {
          current = pairOf(current, segment)?.value;
        } else if (isYSeq(current) && /^\d+$/.test(segment)) current = current.items[Number(segment)];
        else current = undefined;
        if (!current) return { known: true, value: undefined, span: options.span, provenance: [] };
      }
      return { known: true, value: toPlain(current), span: spanOf(current ?? node), provenance: [] };
    },
  };
}

/**
 * `github-workflow` (address: the file path), `github-job` (`jobs.build`) and `github-step`
 * (`jobs.build.steps[0]`) resources, read with the keys of the workflow file. An action file is
 * a `github-action` with its `runs` steps as `github-step`s.
 */
export function workflowResources(workflow: Workflow): GenericResource[] {
  const file = workflow.file;
  const spanOf = (node: YNode): SourceSpan => nodeSpan(file, node);
  const out: GenericResource[] = [
    yamlResource({
      framework: "github-actions",
      type: workflow.kind === "workflow" ? "github-workflow" : "github-action",
      address: file.path,
      spanOf,
      node: workflow.root,
      span: nodeSpan(file, workflow.root),
    }),
  ];
  for (const job of workflow.jobs) {
    if (workflow.kind === "workflow")
      out.push(
        yamlResource({
          framework: "github-actions",
          type: "github-job",
          address: job.address,
          spanOf,
          node: job.node,
          span: job.span,
        }),
      );
    for (const step of job.steps)
      out.push(
        yamlResource({
          framework: "github-actions",
          type: "github-step",
          address: step.address,
          spanOf,
          node: step.node,
          span: step.span,
          enclosing: [job.span],
        }),
      );
  }
  return out;
}
