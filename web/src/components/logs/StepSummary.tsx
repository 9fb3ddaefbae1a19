import Markdown, { type Components } from "react-markdown";

/*
 * react-markdown builds React elements from the Markdown tree and never sets innerHTML. Raw HTML
 * in the Markdown (GitHub allows some in summaries) becomes text, so a summary, which a step
 * writes from whatever it ran, cannot inject markup or script; link and image URLs pass its
 * default check, which drops javascript: and other unsafe schemes.
 */
const components: Components = {
  a: ({ node: _node, ...props }) => <a {...props} target="_blank" rel="noreferrer noopener" />,
};

export function StepSummary({ markdown }: { markdown: string }) {
  if (markdown.trim() === "") return null;
  return (
    <details className="slw-log__summary" open>
      <summary className="slw-log__summary-heading">Summary</summary>
      <div className="slw-log__summary-body">
        <Markdown components={components}>{markdown}</Markdown>
      </div>
    </details>
  );
}
