/**
 * The time running jobs' durations count to, as a store their boxes subscribe to. A tick then
 * re-renders the running boxes only, not the whole drawing: on a 500-job run, re-rendering every
 * box, edge and group each second cost the log beside it frames while it scrolled.
 */
export interface Clock {
  subscribe(listener: () => void): () => void;
  now(): number | undefined;
}

export interface SettableClock extends Clock {
  set(now: number | undefined): void;
}

export function createClock(initial: number | undefined): SettableClock {
  let current = initial;
  const listeners = new Set<() => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    now: () => current,
    set(now) {
      if (now === current) return;
      current = now;
      for (const listener of listeners) listener();
    },
  };
}

/** For boxes of jobs that are not running: their duration does not change with the clock. */
export const stoppedClock: Clock = {
  subscribe: () => () => undefined,
  now: () => undefined,
};
