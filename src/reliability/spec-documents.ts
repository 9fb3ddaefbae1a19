import { Parser } from "yaml";

/**
 * Splits a multi-document YAML file into one text per document, each the same length as the
 * file with every other document blanked out (newlines kept). Each text can then go through
 * YamlSource, which reads one document, and its line:column positions stay those of the file.
 */
export function splitDocuments(text: string): string[] {
  const starts: number[] = [];
  for (const token of new Parser().parse(text)) if (token.type === "document") starts.push(token.offset);
  if (starts.length <= 1) return [text];
  // Leading comments belong to the first document; anything before the next "---" to the previous one.
  starts[0] = 0;
  return starts.map((start, i) => {
    const end = starts[i + 1] ?? text.length;
    return blank(text.slice(0, start)) + text.slice(start, end) + blank(text.slice(end));
  });
}

function blank(text: string): string {
  return text.replace(/[^\r\n]/g, " ");
}
