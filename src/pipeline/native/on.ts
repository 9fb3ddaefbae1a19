import type { SourcePosition } from "../../errors/index.js";
import type { Pipeline } from "../ir.js";

/**
 * slipway.yaml's `on:` as the compiler keeps it in the IR's `meta.native.on`: plain JSON (the IR
 * is cached as JSON), with positions so that a later check (a run's inputs, a filter that
 * excludes an event) still points into the file.
 */

export const NATIVE_EVENTS = ["push", "pull_request", "schedule", "manual"] as const;
export type NativeEvent = (typeof NATIVE_EVENTS)[number];

export interface PatternList {
  patterns: string[];
  position: SourcePosition;
}

export interface RefFilters {
  /** The event's key under `on`. */
  position: SourcePosition;
  branches?: PatternList;
  "branches-ignore"?: PatternList;
  tags?: PatternList;
  "tags-ignore"?: PatternList;
  paths?: PatternList;
  "paths-ignore"?: PatternList;
}

export type InputType = "string" | "boolean" | "number";
export type InputValue = string | number | boolean;

export interface NativeInput {
  type: InputType;
  required: boolean;
  /** Already of `type`. */
  default?: InputValue;
  options?: string[];
  description?: string;
  position: SourcePosition;
}

export interface NativeOn {
  /** The `on` key. */
  position: SourcePosition;
  push?: RefFilters;
  pull_request?: RefFilters;
  schedule?: { cron: string; position: SourcePosition }[];
  manual?: { position: SourcePosition; inputs: Record<string, NativeInput> };
}

/** The `on:` of a compiled slipway.yaml; undefined when it has none (it runs for every event). */
export function nativeOn(pipeline: Pipeline): NativeOn | undefined {
  const native = pipeline.meta?.native as { on?: NativeOn } | undefined;
  return native?.on;
}

/**
 * The server's events as slipway.yaml names them. A poll that finds a new commit is a push, a
 * GitLab merge request a pull request, and a run asked for through the API (or GitHub's
 * workflow_dispatch) a manual run.
 */
const EVENT_OF: Record<string, NativeEvent> = {
  push: "push",
  poll: "push",
  pull_request: "pull_request",
  merge_request_event: "pull_request",
  schedule: "schedule",
  api: "manual",
  workflow_dispatch: "manual",
};

export function nativeEventOf(event: string): NativeEvent | undefined {
  return EVENT_OF[event];
}
