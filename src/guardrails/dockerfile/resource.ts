import type { FieldValue, Framework, GenericResource, Provenance, SourceSpan } from "../model.js";

/** Where a field of an object resource was set. */
export interface FieldOrigin {
  span: SourceSpan;
  provenance?: readonly Provenance[] | undefined;
}

/**
 * A GenericResource over a plain object: `get("env.NODE_ENV")` walks the object, and reports
 * the span recorded for the longest matching path (or the resource's own span). Absent paths
 * are known to be absent (`undefined`), not unknown.
 */
export function objectResource(options: {
  framework: Framework;
  type: string;
  address: string;
  span: SourceSpan;
  enclosing?: readonly SourceSpan[] | undefined;
  value: Record<string, unknown>;
  origins: ReadonlyMap<string, FieldOrigin>;
}): GenericResource {
  const { value, origins, span } = options;
  return {
    framework: options.framework,
    type: options.type,
    address: options.address,
    span,
    enclosing: options.enclosing,
    get(path: string): FieldValue {
      const segments = path.split(".").filter((s) => s !== "");
      let current: unknown = value;
      for (const segment of segments) {
        if (current === null || typeof current !== "object") {
          current = undefined;
          break;
        }
        current = (current as Record<string, unknown>)[segment];
      }
      for (let n = segments.length; n >= 0; n--) {
        const origin = origins.get(segments.slice(0, n).join("."));
        if (origin)
          return { known: true, value: current, span: origin.span, provenance: origin.provenance ?? [] };
      }
      return { known: true, value: current, span, provenance: [] };
    },
  };
}
