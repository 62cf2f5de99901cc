import type { Field } from './field.ts';

/**
 * Marching squares: the line segments where the field crosses `level`, in grid coordinates
 * (i along x, j down the rows), as a flat [i1, j1, i2, j2, …] list. Cells touching a NaN are
 * skipped; the two saddle cases are split by the cell's centre value.
 */
export function contourSegments(f: Field, level: number): number[] {
  const out: number[] = [];
  const { nx, ny, z } = f;
  const lerp = (a: number, b: number) => (level - a) / (b - a);
  for (let j = 0; j < ny - 1; j++) {
    for (let i = 0; i < nx - 1; i++) {
      const a = z[j * nx + i]!; // top left
      const b = z[j * nx + i + 1]!; // top right
      const c = z[(j + 1) * nx + i + 1]!; // bottom right
      const d = z[(j + 1) * nx + i]!; // bottom left
      if (Number.isNaN(a + b + c + d)) continue;
      const code =
        (a > level ? 8 : 0) | (b > level ? 4 : 0) | (c > level ? 2 : 0) | (d > level ? 1 : 0);
      if (code === 0 || code === 15) continue;
      // Crossing points on the four edges.
      const top = () => [i + lerp(a, b), j];
      const right = () => [i + 1, j + lerp(b, c)];
      const bottom = () => [i + lerp(d, c), j + 1];
      const left = () => [i, j + lerp(a, d)];
      const seg = (p: number[], q: number[]) => out.push(p[0]!, p[1]!, q[0]!, q[1]!);
      switch (code) {
        case 1:
        case 14:
          seg(left(), bottom());
          break;
        case 2:
        case 13:
          seg(bottom(), right());
          break;
        case 3:
        case 12:
          seg(left(), right());
          break;
        case 4:
        case 11:
          seg(top(), right());
          break;
        case 6:
        case 9:
          seg(top(), bottom());
          break;
        case 7:
        case 8:
          seg(left(), top());
          break;
        case 5:
        case 10: {
          const centreHigh = (a + b + c + d) / 4 > level;
          // Corners a and c agree in case 5 (low) and 10 (high); the centre decides the pairing.
          if ((code === 5) === centreHigh) {
            seg(left(), top());
            seg(bottom(), right());
          } else {
            seg(left(), bottom());
            seg(top(), right());
          }
          break;
        }
      }
    }
  }
  return out;
}
