/**
 * The framework-neutral view of Terraform resources that custom rules test: `type` is the
 * resource type (data sources as `data.<type>`), `address` the instance address, and `get`
 * reads a dotted path through attributes and nested blocks. When several nested blocks match
 * (`ingress.cidr_blocks` over three `ingress` blocks), the value is the list of each block's
 * value, so a condition can look at all of them.
 */
import type { FieldValue, GenericResource } from "../model.js";
import { containsUnknown, lookupAll, type HclValue, type TfResource } from "./model.js";

export function genericResource(resource: TfResource): GenericResource {
  return {
    framework: "terraform",
    type: resource.mode === "data" ? `data.${resource.type}` : resource.type,
    address: resource.address,
    span: resource.span,
    enclosing: resource.enclosing,
    get(path: string): FieldValue {
      const found = lookupAll(resource, path);
      const [first] = found;
      if (!first) return { known: true, value: undefined, span: resource.span, provenance: [] };
      const value: HclValue = found.length === 1 ? first.value : found.map((f) => f.value);
      if (containsUnknown(value)) return { known: false };
      return {
        known: true,
        value,
        span: first.span,
        provenance: found.flatMap((f) => f.provenance),
      };
    },
  };
}
