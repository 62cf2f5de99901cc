// Cutting trajectories to the plot window, so that a path that runs off is drawn to the edge.

/** A box [[x1, x2], [y1, y2]]. */
export type Box = readonly [readonly [number, number], readonly [number, number]];

/**
 * The part of the segment p→q inside the box (Liang and Barsky 1984), or null. `enters`: p is
 * outside and the part starts on the boundary; `leaves`: q is outside and it ends there. An
 * endpoint inside the box is returned as given. Finite coordinates of any size are fine.
 */
export function clipSegment(
  p: readonly number[],
  q: readonly number[],
  box: Box,
): { a: number[]; b: number[]; enters: boolean; leaves: boolean } | null {
  const [px, py] = [p[0]!, p[1]!];
  const [qx, qy] = [q[0]!, q[1]!];
  let dx = qx - px;
  let dy = qy - py;
  let end = 1;
  if (!Number.isFinite(dx) || !Number.isFinite(dy)) {
    // q - p overflows: walk half the vector twice as far.
    dx = qx / 2 - px / 2;
    dy = qy / 2 - py / 2;
    end = 2;
  }
  const [[x1, x2], [y1, y2]] = box;
  let t0 = 0;
  let t1 = end;
  for (const [den, num] of [
    [-dx, px - x1],
    [dx, x2 - px],
    [-dy, py - y1],
    [dy, y2 - py],
  ] as const) {
    if (den === 0) {
      if (num < 0) return null;
      continue;
    }
    const t = num / den;
    if (den < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
  }
  if (t0 > t1) return null;
  const at = (t: number) => [px + t * dx, py + t * dy];
  return {
    a: t0 === 0 ? [px, py] : at(t0),
    b: t1 === end ? [qx, qy] : at(t1),
    enters: t0 > 0,
    leaves: t1 < end,
  };
}

/** A path cut to a box: the visible pieces, and how it ended. */
export interface ClippedPath {
  pieces: number[][][];
  /** Where the path left the box for good (null: it ends inside, or diverged inside). */
  exit: number[] | null;
  /** It reached a non-finite point (drawing stops at the last finite one). */
  diverged: boolean;
  /** The last point drawn inside the box when the path ends there (null otherwise). */
  end: number[] | null;
}

const inBox = (p: readonly number[], [[x1, x2], [y1, y2]]: Box) =>
  p[0]! >= x1 && p[0]! <= x2 && p[1]! >= y1 && p[1]! <= y2;

/**
 * Cuts a path to a box: each segment is clipped, a segment that leaves is drawn to the boundary,
 * one that comes back starts a new piece there; a non-finite point ends the path.
 */
export function clipPath(path: readonly (readonly number[])[], box: Box): ClippedPath {
  const pieces: number[][][] = [];
  const finite = (p: readonly number[]) => Number.isFinite(p[0]) && Number.isFinite(p[1]);
  let current: number[][] | null = null;
  let exit: number[] | null = null;
  let last: readonly number[] | null = null;
  for (const q of path) {
    if (!finite(q)) {
      return {
        pieces,
        exit: last && !inBox(last, box) ? exit : null,
        diverged: true,
        end: last && inBox(last, box) ? [...last] : null,
      };
    }
    if (last === null) {
      if (inBox(q, box)) pieces.push((current = [[q[0]!, q[1]!]]));
      last = q;
      continue;
    }
    const seg = clipSegment(last, q, box);
    last = q;
    if (!seg) {
      current = null;
      continue;
    }
    if (current && !seg.enters) current.push(seg.b);
    else pieces.push((current = [seg.a, seg.b]));
    if (seg.leaves) {
      exit = seg.b;
      current = null;
    }
  }
  const inside = last !== null && inBox(last, box);
  return {
    pieces,
    exit: inside ? null : exit,
    diverged: false,
    end: inside ? [last![0]!, last![1]!] : null,
  };
}

/** Margin around the plot window within which paths are drawn, as a fraction of its size. */
export const TRAJECTORY_MARGIN = 0.05;
