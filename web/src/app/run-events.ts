/*
 * The few event types of GET /api/runs/ID/events the run page reads beyond the run's state
 * (src/pipeline/events.ts has them all): what steps reported beside their logs.
 */

import type { Annotation } from "../components/logs/types.js";

/** An annotation as the event carries it; the log viewer's own fields are added by the page. */
export type EventAnnotation = Omit<Annotation, "attempt" | "logLine">;

type RunEvent =
  | {
      type: "step.annotation";
      jobKey: string;
      stepIndex: number;
      attempt: number;
      annotation: EventAnnotation;
    }
  | { type: "step.summary"; jobKey: string; stepIndex: number; attempt: number; markdown: string }
  | { type: "other" };

/** Annotations and the summary of one step, across its attempts. */
export interface StepNotes {
  annotations: (EventAnnotation & { attempt: number })[];
  /** The latest attempt's summary (Markdown). */
  summary: string | undefined;
}

export type RunNotes = ReadonlyMap<string, StepNotes>;

export const stepNotesKey = (jobKey: string, stepIndex: number) => `${jobKey}\u0000${stepIndex}`;

function parse(data: string): RunEvent {
  try {
    const value = JSON.parse(data) as { type?: unknown };
    return value.type === "step.annotation" || value.type === "step.summary"
      ? (value as RunEvent)
      : { type: "other" };
  } catch {
    return { type: "other" };
  }
}

/** Adds what an event says about a step to `notes`; true when it said anything. */
export function noteEvent(notes: Map<string, StepNotes>, data: string): boolean {
  const event = parse(data);
  if (event.type === "other") return false;
  const key = stepNotesKey(event.jobKey, event.stepIndex);
  const current = notes.get(key) ?? { annotations: [], summary: undefined };
  notes.set(
    key,
    event.type === "step.annotation"
      ? { ...current, annotations: [...current.annotations, { ...event.annotation, attempt: event.attempt }] }
      : { ...current, summary: event.markdown },
  );
  return true;
}
