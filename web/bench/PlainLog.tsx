import Anser from "anser";
import type { LogLine } from "../src/components/logs/index.js";

/**
 * The baseline: every line in the DOM, ANSI colours parsed the same way (anser), no
 * virtualization. What a log view without windowing costs; it is the reason for the other one.
 */
export function PlainLog({ lines, height }: { lines: readonly LogLine[]; height: number }) {
  return (
    <div className="plain-log" style={{ height, overflow: "auto", font: "12px/20px monospace" }}>
      {lines.map((line, i) => (
        <div key={i} style={{ height: 20, whiteSpace: "pre", display: "flex", gap: "1ch" }}>
          <span style={{ width: "6ch", textAlign: "right", opacity: 0.6 }}>{i + 1}</span>
          <span>
            {Anser.ansiToJson(line.text, { use_classes: false, remove_empty: true }).map((chunk, j) => (
              <span key={j} style={chunk.fg ? { color: `rgb(${chunk.fg})` } : undefined}>
                {chunk.content}
              </span>
            ))}
          </span>
        </div>
      ))}
    </div>
  );
}
