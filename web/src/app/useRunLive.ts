import { useEffect, useRef, useState } from "react";
import { client, unwrap } from "../api/client.js";
import { followStream } from "../api/sse.js";
import type { RunDetail } from "../api/types.js";
import { noteEvent } from "./run-events.js";
import type { RunNotes, StepNotes } from "./run-events.js";

/** Reloads after a burst of events at most this often: a busy run sends many events a second. */
const RELOAD_EVERY_MS = 400;

export interface LiveRun {
  detail: RunDetail | undefined;
  /** Annotations and step summaries, by step (stepNotesKey). */
  notes: RunNotes;
  error: unknown;
  /** True while the run is live and its event stream open. */
  live: boolean;
  reload(): void;
}

/**
 * A run kept current: loaded once, then loaded again as its event stream (GET
 * /api/runs/ID/events) reports changes, until the stream ends with the run. The stream is read
 * for a finished run too (it replays the run's events and ends): steps' annotations and
 * summaries are only in the events.
 */
export function useRunLive(runId: string): LiveRun {
  const [detail, setDetail] = useState<RunDetail | undefined>(undefined);
  const [notes, setNotes] = useState<RunNotes>(new Map());
  const [error, setError] = useState<unknown>(undefined);
  const [live, setLive] = useState(false);
  const [tick, setTick] = useState(0);
  const loaded = useRef<string | undefined>(undefined);

  useEffect(() => {
    if (loaded.current !== runId) {
      setDetail(undefined);
      setNotes(new Map());
    }
    loaded.current = runId;
    const controller = new AbortController();
    const { signal } = controller;
    const collected = new Map<string, StepNotes>();
    let pending: ReturnType<typeof setTimeout> | undefined;
    let loading: Promise<RunDetail | undefined> = Promise.resolve(undefined);
    let following = false;
    let noted = false;

    const load = (): Promise<RunDetail | undefined> =>
      (loading = loading.then(async () => {
        try {
          const value = await unwrap(
            client.GET("/api/runs/{id}", { params: { path: { id: runId } }, signal }),
          );
          if (!signal.aborted) {
            setDetail(value);
            setError(undefined);
          }
          return value;
        } catch (failure) {
          if (!signal.aborted) setError(failure);
          return undefined;
        }
      }));
    const flush = () => {
      if (noted) setNotes(new Map(collected));
      noted = false;
    };
    const soon = () => {
      pending ??= setTimeout(() => {
        pending = undefined;
        flush();
        if (following) void load();
      }, RELOAD_EVERY_MS);
    };

    void (async () => {
      const first = await load();
      if (first === undefined || signal.aborted) return;
      following = first.run.status === "queued" || first.run.status === "running";
      setLive(following);
      await followStream(
        `/api/runs/${encodeURIComponent(runId)}/events`,
        {
          message: (message) => {
            if (noteEvent(collected, message.data)) noted = true;
            soon();
          },
          end: () => {
            flush();
            if (following) void load();
          },
          error: (failure) => setError(failure),
        },
        signal,
      );
      if (!signal.aborted) setLive(false);
    })();
    return () => {
      controller.abort();
      if (pending !== undefined) clearTimeout(pending);
    };
  }, [runId, tick]);

  return { detail, notes, error, live, reload: () => setTick((t) => t + 1) };
}
