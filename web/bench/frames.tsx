/** What the screen did while something moved, from requestAnimationFrame's timestamps. */
export interface FrameStats {
  frames: number;
  /** Median and worst time between two frames, in ms (16.7 at 60 Hz with none missed). */
  p50: number;
  p95: number;
  max: number;
  /** Intervals longer than 1.2 frames (a frame was missed) and than 2 frames (two or more). */
  over16: number;
  over33: number;
  /** Long animation frames (the browser's own count of frames over 50 ms, with their work). */
  longFrames: number;
  longFrameMaxMs: number;
  /** Frames whose first row at the viewport's middle was missing (a blank log while scrolling). */
  blank?: number;
}

const FRAME = 1_000 / 60;

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function summarize(intervals: number[], long: PerformanceEntry[]): FrameStats {
  const sorted = [...intervals].sort((a, b) => a - b);
  return {
    frames: intervals.length,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    max: sorted.at(-1) ?? 0,
    over16: intervals.filter((i) => i > FRAME * 1.2).length,
    over33: intervals.filter((i) => i > FRAME * 2.05).length,
    longFrames: long.length,
    longFrameMaxMs: Math.max(0, ...long.map((e) => e.duration)),
  };
}

function observeLongFrames(): { entries: PerformanceEntry[]; stop(): void } {
  const entries: PerformanceEntry[] = [];
  if (!PerformanceObserver.supportedEntryTypes.includes("long-animation-frame")) {
    return { entries, stop: () => undefined };
  }
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  observer.observe({ type: "long-animation-frame" });
  return {
    entries,
    stop: () => {
      entries.push(...observer.takeRecords());
      observer.disconnect();
    },
  };
}

/** Counts frames until stopped: for input the driver sends (a drag over the graph). */
export function recordFrames(): { stop(): FrameStats } {
  const intervals: number[] = [];
  const long = observeLongFrames();
  let last: number | undefined;
  let running = true;
  const tick = (time: number) => {
    if (!running) return;
    if (last !== undefined) intervals.push(time - last);
    last = time;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  return {
    stop() {
      running = false;
      long.stop();
      return summarize(intervals, long.entries);
    },
  };
}

/**
 * Scrolls `scroller` by `pixelsPerFrame` every frame for `frames` frames (turning at either
 * end), and checks at the start of each frame that the rows under the viewport's middle were
 * rendered for the previous one.
 */
export function scrollLog(
  scroller: HTMLElement,
  frames: number,
  pixelsPerFrame: number,
): Promise<FrameStats> {
  return new Promise((resolve) => {
    const intervals: number[] = [];
    const long = observeLongFrames();
    const rect = scroller.getBoundingClientRect();
    const middle = { x: rect.left + Math.min(120, rect.width / 2), y: rect.top + rect.height / 2 };
    let blank = 0;
    let direction = 1;
    let last: number | undefined;
    const tick = (time: number) => {
      if (last !== undefined) {
        intervals.push(time - last);
        const under = document.elementFromPoint(middle.x, middle.y);
        // Between the rows there is only the scroller or the virtualized log's empty canvas.
        if (!under || under === scroller || under.classList.contains("slw-log__canvas")) blank++;
      }
      last = time;
      if (intervals.length >= frames) {
        long.stop();
        resolve({ ...summarize(intervals, long.entries), blank });
        return;
      }
      const max = scroller.scrollHeight - scroller.clientHeight;
      if (
        scroller.scrollTop + pixelsPerFrame * direction > max ||
        scroller.scrollTop + pixelsPerFrame * direction < 0
      ) {
        direction = -direction;
      }
      scroller.scrollTop += pixelsPerFrame * direction;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}
