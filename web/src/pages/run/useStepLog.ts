import { useEffect, useRef, useState } from "react";
import { client, unwrap } from "../../api/client.js";
import { followStream } from "../../api/sse.js";
import type { LogLine } from "../../api/types.js";

/** New lines of a live step are handed to the view at most this often. */
const FLUSH_MS = 150;

export interface StepLog {
  lines: readonly LogLine[];
  /** Lines are still arriving. */
  tailing: boolean;
  loaded: boolean;
  error: unknown;
}

/**
 * The lines of one step. A finished step's log is read once (GET /api/runs/ID/logs); a step that
 * has not finished is followed on the log stream (GET /api/runs/ID/logs/stream, its job's lines
 * from the first), which goes on until the run ends, so lines written just before the step
 * finished still arrive.
 */
export function useStepLog(runId: string, jobKey: string, stepIndex: number, live: boolean): StepLog {
  const [state, setState] = useState<StepLog>({ lines: [], tailing: false, loaded: false, error: undefined });
  // Chosen when the step is opened: a step that finishes while followed stays on its stream.
  const follow = useRef(live);
  const key = `${runId}\u0000${jobKey}\u0000${stepIndex}`;
  const opened = useRef(key);
  if (opened.current !== key) {
    opened.current = key;
    follow.current = live;
  }

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    setState({ lines: [], tailing: follow.current, loaded: false, error: undefined });
    if (!follow.current) {
      unwrap(
        client.GET("/api/runs/{id}/logs", {
          params: { path: { id: runId }, query: { job: jobKey, step: stepIndex } },
          signal,
        }),
      ).then(
        (lines) => setState({ lines, tailing: false, loaded: true, error: undefined }),
        (error: unknown) => {
          if (!signal.aborted) setState({ lines: [], tailing: false, loaded: true, error });
        },
      );
      return () => controller.abort();
    }
    const lines: LogLine[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      if (!signal.aborted) setState((s) => ({ ...s, lines: [...lines], loaded: true }));
    };
    const query = new URLSearchParams({ job: jobKey });
    void followStream(
      `/api/runs/${encodeURIComponent(runId)}/logs/stream?${query.toString()}`,
      {
        message: (message) => {
          if (message.event !== "log") return;
          const line = JSON.parse(message.data) as LogLine;
          if (line.stepIndex !== stepIndex) return;
          lines.push(line);
          timer ??= setTimeout(flush, FLUSH_MS);
        },
        end: () => {
          if (timer !== undefined) clearTimeout(timer);
          if (!signal.aborted)
            setState({ lines: [...lines], tailing: false, loaded: true, error: undefined });
        },
        error: (error) => setState((s) => ({ ...s, tailing: false, error })),
      },
      signal,
    );
    return () => {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [runId, jobKey, stepIndex]);

  return state;
}
