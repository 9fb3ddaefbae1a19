import type { Box } from "./layout.js";

export type Direction = "left" | "right" | "up" | "down";

const DIRECTIONS: Record<string, Direction> = {
  ArrowLeft: "left",
  ArrowRight: "right",
  ArrowUp: "up",
  ArrowDown: "down",
};

export function directionOfKey(key: string): Direction | undefined {
  return DIRECTIONS[key];
}

/**
 * The nearest box in a direction, by centres, with sideways distance counting double: the
 * arrow keys follow the picture (next stage to the right, next matrix child below) rather than
 * the plan's order, which a reader cannot see.
 */
export function neighbour(
  boxes: ReadonlyMap<string, Box>,
  from: string,
  direction: Direction,
): string | undefined {
  const origin = boxes.get(from);
  if (!origin) return undefined;
  const ox = origin.x + origin.width / 2;
  const oy = origin.y + origin.height / 2;
  let best: string | undefined;
  let bestScore = Infinity;
  for (const [key, box] of boxes) {
    if (key === from) continue;
    const dx = box.x + box.width / 2 - ox;
    const dy = box.y + box.height / 2 - oy;
    const ahead = direction === "right" ? dx : direction === "left" ? -dx : direction === "down" ? dy : -dy;
    const aside = direction === "right" || direction === "left" ? Math.abs(dy) : Math.abs(dx);
    if (ahead <= 1) continue;
    const score = ahead + 2 * aside;
    if (score < bestScore) {
      bestScore = score;
      best = key;
    }
  }
  return best;
}

/** Boxes in reading order for the picture: by column, then top to bottom. */
export function readingOrder(boxes: ReadonlyMap<string, Box>): string[] {
  return [...boxes.entries()].sort(([, a], [, b]) => a.x - b.x || a.y - b.y).map(([key]) => key);
}
