/** An edge crossing the gap between two columns: in at one height, out at another. */
export interface GapSegment {
  from: number;
  to: number;
}

export interface Tracks {
  /** Per segment, the vertical track it turns on (0 is the leftmost), or -1 if it runs straight. */
  track: number[];
  count: number;
}

/** Two vertical runs closer than this on one track would read as one line. */
const CLEARANCE = 6;

const low = (s: GapSegment) => Math.min(s.from, s.to);
const high = (s: GapSegment) => Math.max(s.from, s.to);
const overlap = (a: GapSegment, b: GapSegment) =>
  low(a) < high(b) + CLEARANCE && low(b) < high(a) + CLEARANCE;
const within = (y: number, s: GapSegment) => y > low(s) && y < high(s);

/** Crossings between a and b when a turns on a track left of b's. */
function crossingsIfLeft(a: GapSegment, b: GapSegment): number {
  // a's way out runs right from its track, over b's vertical; b's way in runs to its track, over a's.
  return (within(a.to, b) ? 1 : 0) + (within(b.from, a) ? 1 : 0);
}

/**
 * Orthogonal routing in one gap: every segment that changes height turns on a vertical track.
 * Of two segments whose vertical runs overlap, the one that crosses the other less when on
 * the left goes left (the ordering elk's orthogonal router makes, without its hyperedges);
 * segments whose runs do not overlap share a track, so a gap is as wide as its busiest height.
 */
export function assignTracks(segments: readonly GapSegment[]): Tracks {
  const track = segments.map(() => -1);
  const bent = segments.flatMap((s, i) => (Math.abs(s.from - s.to) < 0.5 ? [] : [i]));
  const rightOf = new Map<number, number[]>(bent.map((i) => [i, []]));
  const leftCount = new Map<number, number>(bent.map((i) => [i, 0]));
  for (const [n, a] of bent.entries()) {
    for (const b of bent.slice(n + 1)) {
      const sa = segments[a];
      const sb = segments[b];
      if (!sa || !sb || !overlap(sa, sb)) continue;
      const aFirst = crossingsIfLeft(sa, sb);
      const bFirst = crossingsIfLeft(sb, sa);
      if (aFirst === bFirst) continue;
      const [left, right] = aFirst < bFirst ? [a, b] : [b, a];
      rightOf.get(left)?.push(right);
      leftCount.set(right, (leftCount.get(right) ?? 0) + 1);
    }
  }
  // A topological order of "goes left of"; a cycle is broken at the segment fewest want left.
  const order: number[] = [];
  const remaining = new Set(bent);
  while (remaining.size > 0) {
    let next: number | undefined;
    for (const i of remaining) {
      if (next === undefined || (leftCount.get(i) ?? 0) < (leftCount.get(next) ?? 0)) next = i;
      if (leftCount.get(next) === 0) break;
    }
    if (next === undefined) break;
    remaining.delete(next);
    order.push(next);
    for (const right of rightOf.get(next) ?? []) leftCount.set(right, (leftCount.get(right) ?? 0) - 1);
  }
  let count = 0;
  const placed: number[] = [];
  for (const i of order) {
    const segment = segments[i];
    if (!segment) continue;
    let t = 0;
    for (const p of placed) {
      const other = segments[p];
      if (other && overlap(segment, other)) t = Math.max(t, (track[p] ?? 0) + 1);
    }
    track[i] = t;
    count = Math.max(count, t + 1);
    placed.push(i);
  }
  return { track, count };
}
