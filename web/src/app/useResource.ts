import { useCallback, useEffect, useRef, useState } from "react";

export interface Resource<T> {
  /** The last data loaded: kept while it is loaded again, so the page does not jump. */
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/**
 * Loads `load()` when `key` changes, and again every `pollMs` if given (live pages without a
 * stream). Polls wait for the previous call and pause while the tab is hidden.
 */
export function useResource<T>(
  load: (signal: AbortSignal) => Promise<T>,
  key: string,
  pollMs?: number,
): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const keyRef = useRef(key);

  useEffect(() => {
    if (keyRef.current !== key) {
      keyRef.current = key;
      setData(undefined);
    }
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      setLoading(true);
      try {
        const value = await loadRef.current(controller.signal);
        if (controller.signal.aborted) return;
        setData(value);
        setError(undefined);
      } catch (failure) {
        if (controller.signal.aborted) return;
        setError(failure);
      } finally {
        if (!controller.signal.aborted) setLoading(false);
      }
      if (pollMs !== undefined && !controller.signal.aborted) {
        timer = setTimeout(function again() {
          if (document.hidden) timer = setTimeout(again, pollMs);
          else void run();
        }, pollMs);
      }
    };
    void run();
    return () => {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [key, pollMs, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** The current time, every `everyMs`: running durations and "ago" times count up. */
export function useNow(everyMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
