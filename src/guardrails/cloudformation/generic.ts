/**
 * The framework-neutral view custom rules read: one resource per template resource, its type
 * (`AWS::S3::Bucket`), its logical id as address, and paths below Properties
 * (`BucketEncryption.ServerSideEncryptionConfiguration.0.BucketKeyEnabled`; a leading
 * `Properties.` is accepted too). Values come evaluated, with their provenance.
 */
import type { FieldValue, GenericResource } from "../model.js";
import { containsUnknown, plain, prop, type CfnModel } from "./model.js";

export function genericResources(model: CfnModel): GenericResource[] {
  return model.templates.flatMap((template) =>
    template.resources.map((resource): GenericResource => ({
      framework: "cloudformation",
      type: resource.type,
      address: resource.logicalId,
      span: resource.span,
      get(path: string): FieldValue {
        const relative = path.replace(/^Properties\.?/, "");
        if (relative === "") {
          if (!resource.properties)
            return { known: true, value: undefined, span: resource.keySpan, provenance: [] };
          return resource.properties.kind === "unknown"
            ? { known: false }
            : {
                known: true,
                value: plain(resource.properties),
                span: resource.propertiesKey,
                provenance: [],
              };
        }
        const found = prop(resource, relative);
        if (!found) return { known: true, value: undefined, span: resource.keySpan, provenance: [] };
        if (found.value.kind === "unknown" || (found.value.kind === "scalar" && containsUnknown(found.value)))
          return { known: false };
        return {
          known: true,
          value: plain(found.value),
          span: found.span,
          provenance: found.value.provenance,
        };
      },
    })),
  );
}
