import { parseShell, type ShellScript } from "../dockerfile/shell.js";
import type { PositionedText } from "../source-text.js";
import { isYSeq, scalarText, type YamlFile, type YNode, type YScalar } from "../github-actions/yaml-tree.js";
import type { Site } from "./model.js";

export const SCRIPT_KEYS = ["before_script", "script", "after_script"] as const;

/** One script line (a list item, possibly a multi-line block), tokenized. */
export interface ScriptLine {
  site: Site;
  key: string;
  node: YScalar;
  text: PositionedText;
  shell: ShellScript;
}

/**
 * The script lines written at a site, with nested lists flattened as GitLab does. `!reference`
 * items are skipped: they repeat lines written (and checked) elsewhere.
 */
export function scriptLines(site: Site, file: YamlFile, key: string, node: YNode | undefined): ScriptLine[] {
  const out: ScriptLine[] = [];
  const visit = (item: YNode | undefined, depth: number): void => {
    if (!item || depth > 10) return;
    if (item.kind === "scalar") {
      if (typeof item.value !== "string") return;
      const text = scalarText(file, item);
      out.push({ site, key, node: item, text, shell: parseShell(text.text) });
    } else if (isYSeq(item) && item.tag !== "!reference")
      for (const inner of item.items) visit(inner, depth + 1);
  };
  visit(node, 0);
  return out;
}
