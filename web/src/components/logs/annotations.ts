import type { LogModel } from "./log-model.js";
import type { Annotation } from "./types.js";

export interface LocatedAnnotation {
  annotation: Annotation;
  /** The index of its log line, when known. */
  line: number | undefined;
}

/**
 * Finds the log line of each annotation. The engine keeps annotations as events, apart from the
 * log, and prints `##[level]message` (the message's first line; the rest follows as plain lines)
 * where the command was; so the n-th annotation with a level and message is the n-th line with
 * that marker and text. A step stops reporting after a number of annotations of a level while
 * still printing the lines, which matching in order tolerates.
 */
export function locateAnnotations(model: LogModel, annotations: readonly Annotation[]): LocatedAnnotation[] {
  const candidates = new Map<string, number[]>();
  for (const line of model.labelled()) {
    const key = `${model.kind(line)}\0${model.body(line)}`;
    const list = candidates.get(key);
    if (list === undefined) candidates.set(key, [line]);
    else list.push(line);
  }
  const taken = new Set<number>();
  return annotations.map((annotation) => {
    if (annotation.logLine !== undefined) {
      const line = annotation.logLine - 1;
      return { annotation, line: line >= 0 && line < model.length ? line : undefined };
    }
    const firstLine = annotation.message.split(/\r?\n/, 1)[0] ?? "";
    const list = candidates.get(`${annotation.level}\0${firstLine}`) ?? [];
    const line = list.find(
      (candidate) =>
        !taken.has(candidate) &&
        (annotation.attempt === undefined || model.line(candidate).attempt === annotation.attempt),
    );
    if (line !== undefined) taken.add(line);
    return { annotation, line };
  });
}

/** `file:line:column`, as much of it as is known. */
export function annotationPlace(annotation: Annotation): string | undefined {
  if (annotation.file === undefined) return undefined;
  if (annotation.line === undefined) return annotation.file;
  return `${annotation.file}:${annotation.line}${annotation.column !== undefined ? `:${annotation.column}` : ""}`;
}
