/**
 * The RNG state as plain data: the four 32-bit words of xoshiro128**. Copy it, store it, pass it
 * to {@link Rng.fromState} to continue the exact same stream.
 */
export interface RngState {
  readonly s: readonly [number, number, number, number];
}

const TWO_POW_32 = 4294967296;

/** Murmur3's 32-bit finalizer: a bijection that spreads every input bit over the output. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Checks a seed: an integer in [0, 2^32 − 1]. */
export function checkSeed(seed: number, what = 'seed'): number {
  if (!Number.isInteger(seed) || seed < 0 || seed >= TWO_POW_32) {
    throw new RangeError(`${what} must be an integer in [0, 4294967295], got ${seed}`);
  }
  return seed;
}

/**
 * A seeded pseudo-random generator: xoshiro128** (Blackman and Vigna 2018), 128 bits of state,
 * period 2^128 − 1. The seed (a uint32) is expanded into the state with a Weyl sequence (step
 * 0x9e3779b9, the golden ratio) passed through Murmur3's finalizer, so nearby seeds give
 * unrelated streams. Pure TypeScript, no platform randomness: the same seed gives the same
 * numbers in Node and in a browser.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    checkSeed(seed);
    let w = seed >>> 0;
    const next = () => {
      w = (w + 0x9e3779b9) >>> 0;
      return fmix32(w);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    // The all-zero state is the one fixed point of xoshiro; fmix32 is a bijection whose only
    // zero is at 0, so this needs four consecutive Weyl values to be 0, which cannot happen.
  }

  /** Continues a stream from a saved {@link RngState}. */
  static fromState(state: RngState): Rng {
    const s = state?.s;
    if (
      !Array.isArray(s) ||
      s.length !== 4 ||
      !s.every((x) => Number.isInteger(x) && x >= 0 && x < TWO_POW_32) ||
      s.every((x) => x === 0)
    ) {
      throw new RangeError('RNG state must be { s: [4 uint32 words, not all zero] }');
    }
    const r = new Rng(0);
    [r.s0, r.s1, r.s2, r.s3] = s as [number, number, number, number];
    return r;
  }

  /** The current state as plain data. */
  state(): RngState {
    return { s: [this.s0, this.s1, this.s2, this.s3] };
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits (two draws). */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [0, n), without modulo bias (rejection of the short last interval). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** A standard normal draw (Box–Muller; uses two uniforms, caches nothing, so state stays 4 words). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log stays finite
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles `a` in place (Fisher–Yates, from the last element down). */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}
