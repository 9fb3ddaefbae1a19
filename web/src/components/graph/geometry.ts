/** The sizes every layout engine and the drawing agree on, in the graph's own units (CSS px at 100%). */

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const NODE_WIDTH = 196;
export const NODE_HEIGHT = 46;
/** Room above a matrix group's children for its title. */
export const GROUP_HEADER = 26;
const GROUP_PADDING = 8;
const GROUP_GAP = 8;
export const GROUP_WIDTH = NODE_WIDTH + 2 * GROUP_PADDING;

/** Where the i-th child sits in its group's box. */
export function childOffset(index: number): { x: number; y: number } {
  return { x: GROUP_PADDING, y: GROUP_HEADER + GROUP_PADDING + index * (NODE_HEIGHT + GROUP_GAP) };
}

/** A matrix group's box holds its children stacked in plan order, under its title. */
export function groupHeight(children: number): number {
  return childOffset(children - 1).y + NODE_HEIGHT + GROUP_PADDING;
}
