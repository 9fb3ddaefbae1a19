import { parseYamlFile } from "../../../src/guardrails/kubernetes/yaml-tree.js";
import { CLOUDFORMATION_TAGS } from "../../../src/guardrails/cloudformation/tags.js";
import { loadTemplate } from "../../../src/guardrails/cloudformation/template.js";
import {
  plain,
  prop,
  type CfnResource,
  type CfnTemplate,
} from "../../../src/guardrails/cloudformation/model.js";

/** Loads a template from text, as the scanner does. */
export function template(text: string, path = "stack.yaml"): CfnTemplate {
  const loaded = loadTemplate(parseYamlFile(path, text, { customTags: CLOUDFORMATION_TAGS }));
  if (!loaded.template) throw new Error("not a template");
  return loaded.template;
}

export function resource(t: CfnTemplate, id: string): CfnResource {
  const found = t.byId.get(id);
  if (!found) throw new Error(`no resource ${id}`);
  return found;
}

/** A property's evaluated value: plain JavaScript, "UNKNOWN", or "ABSENT". */
export function valueOf(r: CfnResource, path: string): unknown {
  const found = prop(r, path);
  if (!found) return "ABSENT";
  return found.value.kind === "unknown" ? "UNKNOWN" : plain(found.value);
}
