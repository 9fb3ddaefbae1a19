import { annotationPlace, type LocatedAnnotation } from "./annotations.js";

export interface AnnotationListProps {
  annotations: readonly LocatedAnnotation[];
  /** Called with the index of the annotation's log line. */
  onJump(line: number): void;
}

const NOUN = { error: "error", warning: "warning", notice: "notice" } as const;

/** The step's errors, warnings and notices, above the log, each leading to its line when known. */
export function AnnotationList({ annotations, onJump }: AnnotationListProps) {
  if (annotations.length === 0) return null;
  const counts = { error: 0, warning: 0, notice: 0 };
  for (const { annotation } of annotations) counts[annotation.level]++;
  const heading = (["error", "warning", "notice"] as const)
    .filter((level) => counts[level] > 0)
    .map((level) => `${counts[level]} ${NOUN[level]}${counts[level] === 1 ? "" : "s"}`)
    .join(", ");
  return (
    <section className="slw-log__annotations" aria-label="Annotations">
      <h3 className="slw-log__annotations-heading">{heading}</h3>
      <ul className="slw-log__annotation-list">
        {annotations.map(({ annotation, line }, i) => {
          const place = annotationPlace(annotation);
          const content = (
            <>
              <span className={`slw-log__level slw-log__level--${annotation.level}`}>{annotation.level}</span>
              {place !== undefined && <span className="slw-log__place">{place}</span>}
              <span className="slw-log__message">
                {annotation.title !== undefined && <strong>{annotation.title}: </strong>}
                {annotation.message}
              </span>
            </>
          );
          return (
            <li key={i} className="slw-log__annotation">
              {line !== undefined ? (
                <button
                  type="button"
                  className="slw-log__annotation-jump"
                  title={`Go to line ${line + 1}`}
                  onClick={() => onJump(line)}
                >
                  {content}
                </button>
              ) : (
                <div className="slw-log__annotation-static">{content}</div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
