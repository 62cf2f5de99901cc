import type { FloatBuffer } from 'descent-optim/internal/core/types';

/**
 * FNV-1a, 64-bit (Fowler, Noll, Vo), over the bytes of `buffers` in order, as 16 hex digits.
 * Computed in two 32-bit halves so it runs anywhere without BigInt. Used to compare the final
 * parameters of two runs bit for bit; not a cryptographic hash.
 */
export function fnv1a64(buffers: readonly (ArrayBufferView | FloatBuffer)[]): string {
  // offset basis 0xcbf29ce484222325; prime 0x100000001b3 = 2^40 + 0x1b3
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (const buf of buffers) {
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = 0; i < bytes.length; i++) {
      lo = (lo ^ bytes[i]!) >>> 0;
      // (hi·2^32 + lo)·(2^40 + 0x1b3) mod 2^64: lo·0x1b3 fits a double exactly (< 2^41).
      const p = lo * 0x1b3;
      const carry = Math.floor(p / 4294967296);
      const newLo = p >>> 0;
      hi = (Math.imul(hi, 0x1b3) + carry + (lo << 8)) >>> 0;
      lo = newLo;
    }
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
