/**
 * Turns parsed YAML documents into Kubernetes objects. A document is an object when its root is
 * a mapping with string `apiVersion` and `kind`; anything else in the same file (a GitHub
 * workflow, a CloudFormation template, docker-compose) is not Kubernetes and is left alone.
 */
import type { SourceSpan } from "../model.js";
import { addressOf, CLUSTER_SCOPED_KINDS, type K8sObject } from "./model.js";
import { at, items, str, text, type LFile, type LNode } from "./yaml-tree.js";

/** Tool configuration that looks like an object but is never applied to a cluster. */
const NOT_APPLIED = new Set(["Kustomization", "Component", "Config"]);

export function objectsOf(file: LFile): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of file.docs) collect(doc.root, doc.span, out, 0);
  return out;
}

function collect(node: LNode | undefined, span: SourceSpan, out: K8sObject[], depth: number): void {
  if (node?.kind !== "map") return;
  const apiVersion = str(at(node, "apiVersion"));
  const kind = str(at(node, "kind"));
  if (!apiVersion || !kind || NOT_APPLIED.has(kind)) return;
  // `kind: List` (and `PodList`, `DeploymentList`, ... from `kubectl get -o yaml`) wraps objects.
  if (kind.endsWith("List") && at(node, "items")?.kind === "seq") {
    if (depth < 4) for (const item of items(at(node, "items"))) collect(item, item.span, out, depth + 1);
    return;
  }
  const name = text(at(node, "metadata", "name"));
  const declared = text(at(node, "metadata", "namespace"));
  const namespace = CLUSTER_SCOPED_KINDS.has(kind) || declared === "" ? undefined : declared;
  out.push({
    apiVersion,
    kind,
    name,
    namespace,
    root: node,
    span,
    address: addressOf(kind, namespace, name),
    file: span.file,
  });
}

/** True when the text may hold a Kubernetes object: cheap, before any parsing. */
const API_VERSION = /(?:^|[\s{,"])apiVersion"?\s*:/m;
const KIND = /(?:^|[\s{,"])kind"?\s*:/m;
export function mayHoldObjects(text: string): boolean {
  return API_VERSION.test(text) && KIND.test(text);
}
