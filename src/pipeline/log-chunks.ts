import type { LogLine, LogStream } from "./events.js";

/**
 * Consecutive log lines of one step attempt, from one stream, numbered without a gap. This is
 * how lines travel from agents to the server and how they rest in the store: a megabyte of
 * output is a few chunks instead of ten thousand rows and objects, which is what makes
 * ingestion cheap.
 */
export interface LogChunk {
  runId: string;
  jobKey: string;
  stepIndex: number;
  attempt: number;
  /** `seq` of the first line; line i has seq + i. */
  seq: number;
  stream: LogStream;
  /** Time of the first line. */
  at: number;
  /** Per line, milliseconds after `at`. */
  offsets: number[];
  text: string[];
}

/**
 * Lines per chunk at most: a live tail reading from a cursor fetches whole chunks, so a chunk
 * must stay small enough to read for a few lines.
 */
export const MAX_CHUNK_LINES = 1024;

/** Groups lines, in their order, into chunks; a chunk ends where the step, stream or numbering changes. */
export function toChunks(lines: readonly LogLine[]): LogChunk[] {
  const chunks: LogChunk[] = [];
  let current: LogChunk | undefined;
  for (const line of lines) {
    if (current === undefined || !continues(current, line)) {
      current = {
        runId: line.runId,
        jobKey: line.jobKey,
        stepIndex: line.stepIndex,
        attempt: line.attempt,
        seq: line.seq,
        stream: line.stream,
        at: line.at,
        offsets: [],
        text: [],
      };
      chunks.push(current);
    }
    current.offsets.push(line.at - current.at);
    current.text.push(line.text);
  }
  return chunks;
}

function continues(chunk: LogChunk, line: LogLine): boolean {
  return (
    chunk.text.length < MAX_CHUNK_LINES &&
    line.seq === chunk.seq + chunk.text.length &&
    line.stream === chunk.stream &&
    line.stepIndex === chunk.stepIndex &&
    line.attempt === chunk.attempt &&
    line.jobKey === chunk.jobKey &&
    line.runId === chunk.runId
  );
}

/** The lines of a chunk, in order. */
export function linesOf(chunk: LogChunk): LogLine[] {
  return chunk.text.map((text, i) => ({
    runId: chunk.runId,
    jobKey: chunk.jobKey,
    stepIndex: chunk.stepIndex,
    attempt: chunk.attempt,
    seq: chunk.seq + i,
    at: chunk.at + (chunk.offsets[i] ?? 0),
    stream: chunk.stream,
    text,
  }));
}
