import type { Kysely, Selectable } from "kysely";
import type { LogStream } from "../pipeline/events.js";
import type { LogChunk } from "../pipeline/log-chunks.js";
import { MAX_CHUNK_LINES } from "../pipeline/log-chunks.js";
import { chunkRows, num } from "./batch.js";
import { allocate } from "./projection.js";
import type { Database, LogChunksTable } from "./schema.js";

/*
 * Log lines rest in chunks (src/pipeline/log-chunks.ts): one row per run of consecutive lines of
 * a step attempt. Every line still has its own number in the run's arrival order (`run_seq`, the
 * cursor of live tails): a chunk holds the number of its first line, the others follow.
 */

/** A chunk row's body: what varies per line. */
interface ChunkBody {
  offsets: number[];
  text: string[];
}

/** Stores chunks inside the caller's transaction, numbering their lines in the run's arrival order. */
export async function insertLogChunks(trx: Kysely<Database>, chunks: readonly LogChunk[]): Promise<void> {
  if (chunks.length === 0) return;
  const counts = new Map<string, number>();
  for (const c of chunks) counts.set(c.runId, (counts.get(c.runId) ?? 0) + c.text.length);
  const next = await allocate(trx, "log_count", counts);
  const rows = chunks.map((c) => {
    const runSeq = (next.get(c.runId) ?? 0) + 1;
    next.set(c.runId, runSeq + c.text.length - 1);
    const body: ChunkBody = { offsets: c.offsets, text: c.text };
    return {
      run_id: c.runId,
      job_key: c.jobKey,
      step_index: c.stepIndex,
      attempt: c.attempt,
      seq: c.seq,
      lines: c.text.length,
      stream: c.stream,
      at: c.at,
      run_seq: runSeq,
      body: JSON.stringify(body),
    };
  });
  // A writer that retries a batch after a lost acknowledgement must not fail or duplicate.
  for (const part of chunkRows(rows)) {
    await trx
      .insertInto("log_chunks")
      .values(part)
      .onConflict((oc) => oc.columns(["run_id", "job_key", "step_index", "attempt", "seq"]).doNothing())
      .execute();
  }
}

/** A stored chunk, with the run-wide number of its first line. */
export type StoredChunk = LogChunk & { runSeq: number };

export function toChunk(row: Selectable<LogChunksTable>): StoredChunk {
  const body = JSON.parse(row.body) as ChunkBody;
  return {
    runId: row.run_id,
    jobKey: row.job_key,
    stepIndex: num(row.step_index),
    attempt: num(row.attempt),
    seq: num(row.seq),
    stream: row.stream as LogStream,
    at: num(row.at),
    offsets: body.offsets,
    text: body.text,
    runSeq: num(row.run_seq),
  };
}

/**
 * The chunks holding a run's lines numbered after `runSeq`, in arrival order, until at least
 * `limit` lines (the first chunk may start before the cursor: the caller cuts it).
 */
export async function readChunksAfter(
  db: Kysely<Database>,
  runId: string,
  runSeq: number,
  limit: number,
): Promise<StoredChunk[]> {
  const found: StoredChunk[] = [];
  let lines = 0;
  // A chunk that holds line runSeq + 1 starts at most MAX_CHUNK_LINES - 1 lines before it.
  let from = runSeq - MAX_CHUNK_LINES;
  for (;;) {
    const rows = await db
      .selectFrom("log_chunks")
      .selectAll()
      .where("run_id", "=", runId)
      .where("run_seq", ">", from)
      .orderBy("run_seq")
      .limit(PAGE)
      .execute();
    for (const row of rows) {
      const chunk = toChunk(row);
      const after = chunk.runSeq + chunk.text.length - 1 - runSeq;
      if (after <= 0) continue;
      found.push(chunk);
      lines += Math.min(after, chunk.text.length);
    }
    if (rows.length < PAGE || lines >= limit) return found;
    from = num(rows[rows.length - 1]!.run_seq);
  }
}

/** Chunks read per query by a live tail. */
const PAGE = 16;
