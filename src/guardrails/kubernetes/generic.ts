/**
 * The framework-neutral view custom rules read: one resource per object (type = its kind,
 * paths from the object root such as `spec.template.spec.hostNetwork`) and one per container
 * (type `Container`, paths from the container such as `securityContext.privileged`).
 */
import type { FieldValue, GenericResource, SourceSpan } from "../model.js";
import type { K8sModel } from "./model.js";
import { toPlain, type LNode } from "./yaml-tree.js";

export function genericResources(model: K8sModel): GenericResource[] {
  const out: GenericResource[] = model.objects.map((object) => ({
    framework: "kubernetes",
    type: object.kind,
    address: object.address,
    span: object.span,
    get: (path) => read(object.root, path, object.span),
  }));
  for (const workload of model.workloads)
    for (const container of workload.containers)
      out.push({
        framework: "kubernetes",
        type: "Container",
        address: `${workload.object.address} container ${container.name}`,
        span: container.span,
        enclosing: [workload.object.span],
        get: (path) => read(container.node, path, container.span),
      });
  return out;
}

/** A missing path is known to be absent (value undefined): "must be set" rules can fire on it. */
function read(root: LNode, path: string, fallback: SourceSpan): FieldValue {
  let node: LNode | undefined = root;
  let span: SourceSpan = fallback;
  for (const segment of path.split(".").filter(Boolean)) {
    if (node?.kind === "map") {
      const pair = node.index.get(segment);
      node = pair?.value;
      if (pair) span = pair.span;
    } else if (node?.kind === "seq" && /^\d+$/.test(segment)) {
      node = node.items[Number(segment)];
      if (node) span = node.span;
    } else node = undefined;
    if (!node) return { known: true, value: undefined, span, provenance: [] };
  }
  return { known: true, value: toPlain(node), span, provenance: [] };
}
