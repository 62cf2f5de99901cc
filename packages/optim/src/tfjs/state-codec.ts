/**
 * Splits a descent state (plain data: numbers, strings, booleans, arrays, objects and typed
 * arrays) into JSON text plus a list of buffers, and back. Buffers travel as tfjs weights (exact
 * float32 or int32 bytes); every number in the JSON survives exactly, since JSON writes doubles
 * with enough digits to round-trip. That is what makes a saved step count, a float64 scalar
 * (NAdam's running product) or a learning rate come back bit for bit.
 */
import { describeWithArticle } from '../core/validate.ts';

/** A buffer that can be stored as a tfjs weight. */
export type StateBuffer = Float32Array | Float64Array | Int32Array;

interface Encoded {
  json: string;
  buffers: StateBuffer[];
}

// Markers for what JSON cannot hold; a real state never has keys starting with '$'.
const BUF = '$buffer';
const NUM = '$number';

/**
 * Encodes `state` as JSON text plus the typed arrays it holds, in order of appearance. `root`
 * names it in errors (`options.schedule is a function, not plain data`).
 */
export function encodeState(state: unknown, root = 'state'): Encoded {
  const buffers: StateBuffer[] = [];
  const walk = (x: unknown, path: string): unknown => {
    if (typeof x === 'number') {
      return Number.isFinite(x) && !Object.is(x, -0) ? x : { [NUM]: String(x === 0 ? '-0' : x) };
    }
    if (x === null || typeof x === 'string' || typeof x === 'boolean') return x;
    if (x instanceof Float32Array || x instanceof Float64Array || x instanceof Int32Array) {
      buffers.push(x);
      return { [BUF]: buffers.length - 1, type: x.constructor.name };
    }
    if (Array.isArray(x)) return x.map((v, i) => walk(v, `${path}[${i}]`));
    if (typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(x as object)) {
        if (v !== undefined) out[k] = walk(v, `${path}.${k}`);
      }
      return out;
    }
    throw new TypeError(
      `descent/tfjs: cannot save the optimizer: ${path} is ${describeWithArticle(x)}, not plain data`,
    );
  };
  const json = JSON.stringify(walk(state, root));
  return { json, buffers };
}

/** Inverse of {@link encodeState}; `buffers` are used as they are (not copied). */
export function decodeState(json: string, buffers: readonly StateBuffer[]): unknown {
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (x === null || typeof x !== 'object') return x;
    const o = x as Record<string, unknown>;
    if (BUF in o) {
      const b = buffers[o[BUF] as number];
      if (!b || b.constructor.name !== o.type) {
        throw new RangeError(
          `descent/tfjs: saved optimizer state refers to buffer ${String(o[BUF])} (${String(o.type)}), which is missing`,
        );
      }
      return b;
    }
    if (NUM in o) return o[NUM] === '-0' ? -0 : Number(o[NUM]);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = walk(v);
    return out;
  };
  return walk(JSON.parse(json));
}
