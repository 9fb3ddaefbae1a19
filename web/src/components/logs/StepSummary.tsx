import Markdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";

/*
 * react-markdown builds React elements from the Markdown tree and never sets innerHTML. Raw HTML
 * in the Markdown (GitHub allows some in summaries) becomes text, so a summary, which a step
 * writes from whatever it ran, cannot inject markup or script; link and image URLs pass its
 * default check, which drops javascript: and other unsafe schemes. GitHub's extensions (tables,
 * task lists, strikethrough, autolinks) are read as GitHub reads them, since summaries written
 * for GitHub Actions use them, tables above all.
 */
const remarkPlugins = [remarkGfm];
const components: Components = {
  a: ({ node: _node, ...props }) => <a {...props} target="_blank" rel="noreferrer noopener" />,
};

export function StepSummary({ markdown }: { markdown: string }) {
  if (markdown.trim() === "") return null;
  return (
    <details className="slw-log__summary" open>
      <summary className="slw-log__summary-heading">Summary</summary>
      <div className="slw-log__summary-body">
        <Markdown components={components} remarkPlugins={remarkPlugins}>
          {markdown}
        </Markdown>
      </div>
    </details>
  );
}
