import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import type { PointerEvent as ReactPointerEvent, RefObject } from "react";
import type { Box } from "./layout.js";

/** Translation in pixels, then scale: screen = graph × k + (x, y). */
export interface View {
  x: number;
  y: number;
  k: number;
}

export const MIN_ZOOM = 0.1;
export const MAX_ZOOM = 2.5;
const MARGIN = 16;
/** Below this many pixels a press is a click on a job, not the start of a drag. */
const DRAG_THRESHOLD = 4;
/** Small graphs are shown whole; large ones no smaller than this, so the names stay readable. */
const SMALLEST_INITIAL_ZOOM = 0.5;

const clamp = (k: number) => Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, k));

interface Drag {
  pointer: number;
  startX: number;
  startY: number;
  from: View;
  moved: boolean;
}

export interface Viewport {
  view: View;
  zoomBy(factor: number): void;
  fit(): void;
  /** Pans just enough to bring a box (graph coordinates) into sight. */
  reveal(box: Box): void;
  onPointerDown(event: ReactPointerEvent<HTMLElement>): void;
  onPointerMove(event: ReactPointerEvent<HTMLElement>): void;
  onPointerUp(event: ReactPointerEvent<HTMLElement>): void;
  /** True when the click that follows ended a drag, and must not select a job. */
  consumeDrag(): boolean;
}

function sizeOf(element: HTMLElement | null): { width: number; height: number } {
  // Elements without layout (tests, hidden tabs) report 0: assume a common size instead.
  return { width: element?.clientWidth || 800, height: element?.clientHeight || 400 };
}

/**
 * Pan (drag, wheel with Shift) and zoom (wheel, buttons) over a graph of `content` size. The
 * view resets when `content` changes (a new layout), never on re-renders with the same layout.
 */
export function useViewport(frameRef: RefObject<HTMLElement | null>, content: Box | undefined): Viewport {
  const [view, setView] = useState<View>({ x: MARGIN, y: MARGIN, k: 1 });
  const current = useRef(view);
  current.current = view;
  const drag = useRef<Drag | undefined>(undefined);
  const dragged = useRef(false);

  const update = useCallback((next: View) => {
    current.current = next;
    setView(next);
  }, []);

  const fitView = useCallback(
    (smallest: number): View | undefined => {
      if (!content) return undefined;
      const { width, height } = sizeOf(frameRef.current);
      const whole = Math.min((width - 2 * MARGIN) / content.width, (height - 2 * MARGIN) / content.height);
      const k = clamp(Math.max(smallest, Math.min(1, whole)));
      const spareY = height - content.height * k;
      return {
        x: MARGIN - content.x * k,
        y: spareY > 0 ? spareY / 2 - content.y * k : MARGIN - content.y * k,
        k,
      };
    },
    [content, frameRef],
  );

  // Before paint: a new layout never shows for a frame at the previous layout's pan and zoom.
  useLayoutEffect(() => {
    const initial = fitView(SMALLEST_INITIAL_ZOOM);
    if (initial) update(initial);
  }, [fitView, update]);

  const zoomAround = useCallback(
    (factor: number, px: number, py: number) => {
      const { x, y, k } = current.current;
      const next = clamp(k * factor);
      update({ x: px - ((px - x) * next) / k, y: py - ((py - y) * next) / k, k: next });
    },
    [update],
  );

  // React's onWheel is passive: the page would scroll along with the zoom.
  useEffect(() => {
    const frame = frameRef.current;
    if (!frame) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const { x, y, k } = current.current;
      if (event.shiftKey) {
        update({ x: x - (event.deltaX || event.deltaY), y, k });
        return;
      }
      const rect = frame.getBoundingClientRect();
      const step = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
      const px = event.clientX - rect.left;
      const py = event.clientY - rect.top;
      const { width, height } = sizeOf(frame);
      // Synthetic wheel events may carry no position: zoom around the middle then.
      zoomAround(
        Math.exp(-step * 0.0015),
        Number.isFinite(px) ? px : width / 2,
        Number.isFinite(py) ? py : height / 2,
      );
    };
    frame.addEventListener("wheel", onWheel, { passive: false });
    return () => frame.removeEventListener("wheel", onWheel);
  }, [frameRef, update, zoomAround]);

  const zoomBy = useCallback(
    (factor: number) => {
      const { width, height } = sizeOf(frameRef.current);
      zoomAround(factor, width / 2, height / 2);
    },
    [frameRef, zoomAround],
  );

  const fit = useCallback(() => {
    const whole = fitView(MIN_ZOOM);
    if (whole) update(whole);
  }, [fitView, update]);

  const reveal = useCallback(
    (box: Box) => {
      const { width, height } = sizeOf(frameRef.current);
      const { x, y, k } = current.current;
      const left = box.x * k + x;
      const top = box.y * k + y;
      const right = left + box.width * k;
      const bottom = top + box.height * k;
      let dx = 0;
      let dy = 0;
      if (left < MARGIN) dx = MARGIN - left;
      else if (right > width - MARGIN) dx = width - MARGIN - right;
      if (top < MARGIN) dy = MARGIN - top;
      else if (bottom > height - MARGIN) dy = height - MARGIN - bottom;
      if (dx !== 0 || dy !== 0) update({ x: x + dx, y: y + dy, k });
    },
    [frameRef, update],
  );

  const onPointerDown = useCallback((event: ReactPointerEvent<HTMLElement>) => {
    if (event.button !== 0) return;
    dragged.current = false;
    drag.current = {
      pointer: event.pointerId,
      startX: event.clientX,
      startY: event.clientY,
      from: current.current,
      moved: false,
    };
  }, []);

  const onPointerMove = useCallback(
    (event: ReactPointerEvent<HTMLElement>) => {
      const state = drag.current;
      if (!state || state.pointer !== event.pointerId) return;
      const dx = event.clientX - state.startX;
      const dy = event.clientY - state.startY;
      if (!state.moved) {
        if (Math.hypot(dx, dy) < DRAG_THRESHOLD) return;
        state.moved = true;
        // Captured only once it is a drag, so a plain click still lands on the job under it.
        try {
          event.currentTarget.setPointerCapture(event.pointerId);
        } catch {
          // A pointer the browser no longer tracks: the drag goes on without capture.
        }
      }
      update({ x: state.from.x + dx, y: state.from.y + dy, k: state.from.k });
    },
    [update],
  );

  const onPointerUp = useCallback((event: ReactPointerEvent<HTMLElement>) => {
    const state = drag.current;
    if (!state || state.pointer !== event.pointerId) return;
    dragged.current = state.moved;
    drag.current = undefined;
  }, []);

  const consumeDrag = useCallback(() => {
    const was = dragged.current;
    dragged.current = false;
    return was;
  }, []);

  return { view, zoomBy, fit, reveal, onPointerDown, onPointerMove, onPointerUp, consumeDrag };
}
