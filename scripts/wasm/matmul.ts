/**
 * The wasm SIMD matrix product `C = op(A)·op(B)` (row-major; `op` is the identity or the
 * transpose), written out as WebAssembly text for f32x4 and f64x2 and added by the build to the
 * kernels' module, as exports `matmul_f32` and `matmul_f64`:
 *
 *   (a, b, c, m, k, n, transA, transB, ws)  byte offsets of A, B, C and of a workspace of
 *                                          `matmulWorkspaceBytes()`; m, k, n; 0 or 1.
 *
 * The blocking is the usual one of BLAS libraries (Goto and van de Geijn 2008, "Anatomy of
 * high-performance matrix multiplication"): for each block of `nc` columns and `kc` depths, B's
 * block is packed into panels of `nr` columns (kc × nr each, read from L1 by the micro-kernel);
 * for each block of `mc` rows, A's block is packed into panels of `mr` rows (in L2); the
 * micro-kernel then keeps an mr × nr tile of C in registers over the kc depths. Packing reads
 * either orientation, so the four transpose cases share one micro-kernel, and pads the last
 * panels with zeros; an edge tile goes through a small buffer.
 *
 * Each lane accumulates one entry of C over p in ascending order, `c + a·b` with the product
 * rounded first (wasm SIMD has no fused multiply-add), starting from 0 for the first kc block and
 * from C's stored value for the next ones: in float64 that is the plain loop's sum, bit for bit;
 * in float32 the sum is rounded to float32 at every step, where the plain loop sums in float64.
 */
import type { Float } from './emit.ts';

/** The register tile (mr rows × nrv vectors of columns), cache blocks and k-loop unrolling. */
export interface MatmulShape {
  readonly mr: number;
  readonly nrv: number;
  readonly kc: number;
  readonly mc: number;
  readonly nc: number;
  readonly unroll: number;
}

/**
 * The tile is bounded by x86-64's 16 vector registers, which V8's wasm SIMD uses: mr·nrv
 * accumulators, nrv vectors of B and one broadcast of A. Measured (512² float32 and float64,
 * best of 15, a 2-core Xeon shared with other jobs): 4×3 vectors (12 accumulators) 23 and 11
 * GFLOP/s, 6×2 22 and 11, 4×2 21 and 9.7, 5×2 16 and 8.7, 8×2 (spills) 11 and 7; kc 256 (a
 * kc × nr panel of B, 12 or 6 KB, stays in the 48 KB L1 beside A's panel), mc 64 (A's block,
 * 64 or 128 KB, in L2), nc about 512 float32 or 256 float64 (B's block, 0.5 MB, in L2).
 */
export const MATMUL_SHAPES: Readonly<Record<Float, MatmulShape>> = {
  f32: { mr: 4, nrv: 3, kc: 256, mc: 64, nc: 528, unroll: 4 },
  f64: { mr: 4, nrv: 3, kc: 256, mc: 64, nc: 258, unroll: 4 },
};

const SIZE: Record<Float, number> = { f32: 4, f64: 8 };

/** Elements of the packed B block, the packed A block and the edge tile, in that order. */
function workspaceElements(s: MatmulShape, f: Float): number {
  const nr = s.nrv * (16 / SIZE[f]);
  return s.kc * s.nc + s.mc * s.kc + s.mr * nr;
}

/** Bytes of workspace a call needs (the larger of the two float types). */
export function matmulWorkspaceBytes(shapes = MATMUL_SHAPES): number {
  return Math.max(
    ...(['f32', 'f64'] as const).map((f) => workspaceElements(shapes[f], f) * SIZE[f]),
  );
}

const get = (x: string): string => `(local.get $${x})`;
const set = (x: string, v: string): string => `(local.set $${x} ${v})`;
const c32 = (v: number): string => `(i32.const ${v})`;
const add = (a: string, b: string): string => `(i32.add ${a} ${b})`;
const mul = (a: string, b: string): string => `(i32.mul ${a} ${b})`;
const inc = (x: string, by: string): string => set(x, add(get(x), by));
const locals = (type: string, names: readonly string[]): string =>
  names.map((n) => `(local $${n} ${type})`).join(' ');

/** `for (x = 0; x < end; x += step) body`, with a fresh label. */
let labels = 0;
function loop(x: string, end: string, step: string, body: string[]): string {
  const l = `l${labels++}`;
  return `${set(x, c32(0))}
  (block $${l}_out (loop $${l}
    (br_if $${l}_out (i32.ge_u ${get(x)} ${end}))
    ${body.join('\n    ')}
    ${inc(x, step)}
    (br $${l})))`;
}

/** `x + r·stride` (r a constant). */
function at(x: string, r: number, stride: string): string {
  return r === 0 ? get(x) : add(get(x), r === 1 ? get(stride) : mul(get(stride), c32(r)));
}

/**
 * The micro-kernel: an mr × nr tile of C (row stride `ldc` bytes) over `kc` depths of the packed
 * panels at `ap` (mr values per depth) and `bp` (nr values per depth); from 0, or from the tile's
 * stored values when `load` is 1.
 */
function micro(f: Float, s: MatmulShape): string {
  const size = SIZE[f];
  const t = f === 'f32' ? 'f32x4' : 'f64x2';
  const splat = f === 'f32' ? 'v128.load32_splat' : 'v128.load64_splat';
  const nr = s.nrv * (16 / size);
  const acc: string[] = [];
  for (let r = 0; r < s.mr; r++) for (let v = 0; v < s.nrv; v++) acc.push(`c${r}_${v}`);
  const bs = Array.from({ length: s.nrv }, (_, v) => `b${v}`);
  const depth = (u: number): string[] => {
    const out: string[] = [];
    for (let v = 0; v < s.nrv; v++)
      out.push(set(`b${v}`, `(v128.load offset=${u * nr * size + v * 16} ${get('bp')})`));
    for (let r = 0; r < s.mr; r++) {
      out.push(set('x', `(${splat} offset=${(u * s.mr + r) * size} ${get('ap')})`));
      for (let v = 0; v < s.nrv; v++) {
        const c = `c${r}_${v}`;
        out.push(set(c, `(${t}.add ${get(c)} (${t}.mul ${get('x')} ${get(`b${v}`)}))`));
      }
    }
    return out;
  };
  const rowsOfC = (store: boolean): string[] => {
    const out: string[] = [];
    for (let r = 0; r < s.mr; r++) {
      for (let v = 0; v < s.nrv; v++) {
        const addr = at('c', r, 'ldc');
        out.push(
          store
            ? `(v128.store offset=${v * 16} ${addr} ${get(`c${r}_${v}`)})`
            : set(`c${r}_${v}`, `(v128.load offset=${v * 16} ${addr})`),
        );
      }
    }
    return out;
  };
  const body = Array.from({ length: s.unroll }, (_, u) => depth(u)).flat();
  return `(func $mm_micro_${f} (param $ap i32) (param $bp i32) (param $kc i32) (param $c i32) (param $ldc i32) (param $load i32)
  ${locals('v128', [...acc, ...bs, 'x'])} (local $p i32) (local $end i32)
  (if ${get('load')} (then
    ${rowsOfC(false).join('\n    ')}))
  ${set('end', `(i32.and ${get('kc')} ${c32(-s.unroll)})`)}
  ${loop('p', get('end'), c32(s.unroll), [
    ...body,
    inc('ap', c32(s.unroll * s.mr * size)),
    inc('bp', c32(s.unroll * nr * size)),
  ])}
  (block $rest_out (loop $rest
    (br_if $rest_out (i32.ge_u ${get('p')} ${get('kc')}))
    ${depth(0).join('\n    ')}
    ${inc('ap', c32(s.mr * size))}
    ${inc('bp', c32(nr * size))}
    ${inc('p', c32(1))}
    (br $rest)))
  ${rowsOfC(true).join('\n  ')})`;
}

/**
 * Packs `count` lines (rows of A or columns of B) of `depth` values each into panels of `w`
 * lines: panel after panel, depth after depth, w values (zeros past the last line). Line `l`, depth
 * `p` is at `src + l·ls + p·ps` (byte strides); where lines are adjacent (`ls` = the element
 * size) and a panel is whole, its w values at one depth are copied as vectors.
 */
function pack(f: Float, name: string, w: number): string {
  const size = SIZE[f];
  const lanes = 16 / size;
  const zero = `(${f}.const 0)`;
  const ld = (addr: string): string => `(${f}.load ${addr})`;
  const st = (r: number, v: string): string => `(${f}.store offset=${r * size} ${get('dst')} ${v})`;
  const step = [inc('s', get('ps')), inc('dst', c32(w * size))];
  const whole = Array.from({ length: w }, (_, r) => st(r, ld(at('s', r, 'ls'))));
  const partial = Array.from({ length: w }, (_, r) =>
    st(
      r,
      r === 0
        ? ld(get('s'))
        : `(if (result ${f}) (i32.lt_u ${c32(r)} ${get('left')}) (then ${ld(at('s', r, 'ls'))}) (else ${zero}))`,
    ),
  );
  const vectors =
    w % lanes === 0
      ? Array.from(
          { length: w / lanes },
          (_, q) =>
            `(v128.store offset=${q * 16} ${get('dst')} (v128.load offset=${q * 16} ${get('s')}))`,
        )
      : null;
  const wholeBody = vectors
    ? [
        `(if (i32.eq ${get('ls')} ${c32(size)}) (then
      ${loop('p', get('depth'), c32(1), [...vectors, ...step])})
    (else
      ${loop('p', get('depth'), c32(1), [...whole, ...step])}))`,
      ]
    : [loop('p', get('depth'), c32(1), [...whole, ...step])];
  return `(func $${name} (param $src i32) (param $ls i32) (param $ps i32) (param $count i32) (param $depth i32) (param $dst i32)
  (local $l i32) (local $left i32) (local $s i32) (local $p i32)
  ${loop('l', get('count'), c32(w), [
    set('left', `(i32.sub ${get('count')} ${get('l')})`),
    set('s', add(get('src'), mul(get('l'), get('ls')))),
    `(if (i32.ge_u ${get('left')} ${c32(w)}) (then
      ${wholeBody.join('\n')})
    (else
      ${loop('p', get('depth'), c32(1), [...partial, ...step])}))`,
  ])})`;
}

/** The exported driver: the blocks, the packing, and the tiles (edge tiles through a buffer). */
function driver(f: Float, s: MatmulShape): string {
  const size = SIZE[f];
  const nr = s.nrv * (16 / size);
  const min = (a: string, b: string): string => `(select ${a} ${b} (i32.lt_u ${a} ${b}))`;
  const copy = (toTile: boolean): string => {
    const tileAt = add(get('tile'), mul(add(mul(get('r'), c32(nr)), get('q')), c32(size)));
    const cAt = add(get('ct'), add(mul(get('r'), get('ldc')), mul(get('q'), c32(size))));
    const [dst, src] = toTile ? [tileAt, cAt] : [cAt, tileAt];
    return loop('r', get('rows'), c32(1), [
      loop('q', get('cols'), c32(1), [`(${f}.store ${dst} (${f}.load ${src}))`]),
    ]);
  };
  return `(func (export "matmul_${f}") (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $k i32) (param $n i32) (param $ta i32) (param $tb i32) (param $ws i32)
  ${locals('i32', ['ai', 'ap', 'bk', 'bj', 'ldc', 'packA', 'tile', 'jc', 'nc', 'pc', 'kc', 'ic', 'mc', 'jr', 'ir', 'ct', 'load', 'rows', 'cols', 'r', 'q'])}
  ;; Byte strides: A(i, p) at a + i·ai + p·ap, B(p, j) at b + p·bk + j·bj.
  ${set('ai', `(select ${c32(size)} ${mul(get('k'), c32(size))} ${get('ta')})`)}
  ${set('ap', `(select ${mul(get('m'), c32(size))} ${c32(size)} ${get('ta')})`)}
  ${set('bk', `(select ${c32(size)} ${mul(get('n'), c32(size))} ${get('tb')})`)}
  ${set('bj', `(select ${mul(get('k'), c32(size))} ${c32(size)} ${get('tb')})`)}
  ${set('ldc', mul(get('n'), c32(size)))}
  ${set('packA', add(get('ws'), c32(s.kc * s.nc * size)))}
  ${set('tile', add(get('packA'), c32(s.mc * s.kc * size)))}
  ${loop('jc', get('n'), c32(s.nc), [
    set('nc', min(c32(s.nc), `(i32.sub ${get('n')} ${get('jc')})`)),
    loop('pc', get('k'), c32(s.kc), [
      set('kc', min(c32(s.kc), `(i32.sub ${get('k')} ${get('pc')})`)),
      set('load', `(i32.ne ${get('pc')} ${c32(0)})`),
      `(call $mm_pack_b_${f} ${add(get('b'), add(mul(get('pc'), get('bk')), mul(get('jc'), get('bj'))))} ${get('bj')} ${get('bk')} ${get('nc')} ${get('kc')} ${get('ws')})`,
      loop('ic', get('m'), c32(s.mc), [
        set('mc', min(c32(s.mc), `(i32.sub ${get('m')} ${get('ic')})`)),
        `(call $mm_pack_a_${f} ${add(get('a'), add(mul(get('ic'), get('ai')), mul(get('pc'), get('ap'))))} ${get('ai')} ${get('ap')} ${get('mc')} ${get('kc')} ${get('packA')})`,
        loop('jr', get('nc'), c32(nr), [
          set('cols', min(c32(nr), `(i32.sub ${get('nc')} ${get('jr')})`)),
          loop('ir', get('mc'), c32(s.mr), [
            set('rows', min(c32(s.mr), `(i32.sub ${get('mc')} ${get('ir')})`)),
            set(
              'ct',
              add(
                get('c'),
                mul(
                  add(mul(add(get('ic'), get('ir')), get('n')), add(get('jc'), get('jr'))),
                  c32(size),
                ),
              ),
            ),
            `(if (i32.and (i32.eq ${get('rows')} ${c32(s.mr)}) (i32.eq ${get('cols')} ${c32(nr)}))
      (then
        (call $mm_micro_${f} ${add(get('packA'), mul(get('ir'), mul(get('kc'), c32(size))))} ${add(get('ws'), mul(get('jr'), mul(get('kc'), c32(size))))} ${get('kc')} ${get('ct')} ${get('ldc')} ${get('load')}))
      (else
        (if ${get('load')} (then ${copy(true)}))
        (call $mm_micro_${f} ${add(get('packA'), mul(get('ir'), mul(get('kc'), c32(size))))} ${add(get('ws'), mul(get('jr'), mul(get('kc'), c32(size))))} ${get('kc')} ${get('tile')} ${c32(nr * size)} ${get('load')})
        ${copy(false)}))`,
          ]),
        ]),
      ]),
    ]),
  ])})`;
}

/** The WAT functions of both float types (to add to a module that imports its memory). */
export function matmulFuncs(shapes = MATMUL_SHAPES): string[] {
  labels = 0;
  return (['f32', 'f64'] as const).flatMap((f) => {
    const s = shapes[f];
    const nr = s.nrv * (16 / SIZE[f]);
    return [
      pack(f, `mm_pack_a_${f}`, s.mr),
      pack(f, `mm_pack_b_${f}`, nr),
      micro(f, s),
      driver(f, s),
    ];
  });
}

/** The export of each float type. */
export const MATMUL_EXPORTS = { f32: 'matmul_f32', f64: 'matmul_f64' } as const;
