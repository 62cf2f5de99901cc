import type { Tensor, TensorArray } from './safetensors-header.ts';

/**
 * Splits a state tree (plain objects, arrays, numbers, strings, booleans, null and typed arrays:
 * what every `stateDict()` here returns) into named tensors and a JSON skeleton that refers to
 * them, and joins them back. Tensor names follow the path with `slots` left out, so an Adam slot
 * is `optimizer.state.0.exp_avg`, as PyTorch names it. Anything that would not come back as it
 * went in is refused with its path: other objects (Date, Map, Set, RegExp, class instances),
 * functions, symbols, bigints, undefined, cycles, and two tensors that would get the same name.
 */

const TYPED = [
  Float32Array,
  Float64Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
];
const isTyped = (x: unknown): x is TensorArray => TYPED.some((C) => x instanceof C);

/** A path as a reader would type it: `extra["a.b"]` is not `extra.a.b`. */
function show(path: string[]): string {
  if (path.length === 0) return 'the root';
  return path
    .map((k, i) => (/^[\w$]+$/.test(k) ? (i > 0 ? `.${k}` : k) : `[${JSON.stringify(k)}]`))
    .join('');
}

function what(node: unknown): string {
  if (node === undefined) return 'undefined';
  if (typeof node !== 'object') return `a ${typeof node}`;
  const name = (node as object).constructor?.name;
  return name ? `a ${name}` : 'an object with a prototype other than Object';
}

/** Objects the skeleton uses for tensors and non-finite numbers: refused as user data. */
const RESERVED = ['$tensor', '$number'];

/**
 * `shapeAt` gives the shape to store the tensor at a path with (its element count must be the
 * array's length); where it gives none, the tensor is stored 1-D.
 */
export function splitTree(
  tree: unknown,
  shapeAt: (path: readonly string[]) => number[] | undefined = () => undefined,
): { tensors: Record<string, Tensor>; skeleton: unknown } {
  const tensors: Record<string, Tensor> = {};
  const owner = new Map<string, string[]>();
  const open = new Set<object>();
  const refuse = (why: string, path: string[]): never => {
    throw new TypeError(`checkpoint: cannot store ${why} at ${show(path)}`);
  };
  const walk = (node: unknown, path: string[]): unknown => {
    if (isTyped(node)) {
      let name = path.filter((p) => p !== 'slots').join('.');
      if (owner.has(name)) name = path.join('.');
      const other = owner.get(name);
      if (other) {
        throw new TypeError(
          `checkpoint: the tensors at ${show(other)} and ${show(path)} would both be stored as ${name}; rename one`,
        );
      }
      owner.set(name, path);
      tensors[name] = { data: node, shape: shapeAt(path) ?? [node.length] };
      return { $tensor: name };
    }
    if (typeof node === 'number' && (!Number.isFinite(node) || Object.is(node, -0)))
      return { $number: Object.is(node, -0) ? '-0' : String(node) };
    if (node !== null && typeof node === 'object') {
      if (ArrayBuffer.isView(node)) refuse(`a ${node.constructor.name}`, path);
      const proto = Object.getPrototypeOf(node);
      const plain = Array.isArray(node) ? proto === Array.prototype : proto === Object.prototype;
      if (!plain && proto !== null) refuse(what(node), path);
      if (open.has(node)) refuse('a circular reference', path);
      if (Object.getOwnPropertySymbols(node).length > 0) refuse('symbol-keyed properties', path);
      const keys = Object.keys(node);
      if (keys.length === 1 && RESERVED.includes(keys[0]!))
        refuse(`an object whose only key is ${keys[0]} (reserved by the format)`, path);
      open.add(node);
      // Array.from visits holes too, so a sparse array is refused (as undefined), not filled.
      const out = Array.isArray(node)
        ? Array.from(node, (v, i) => walk(v, [...path, String(i)]))
        : Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, [...path, k])]));
      open.delete(node);
      return out;
    }
    if (
      node === undefined ||
      typeof node === 'function' ||
      typeof node === 'symbol' ||
      typeof node === 'bigint'
    ) {
      refuse(what(node), path);
    }
    return node;
  };
  return { tensors, skeleton: walk(tree, []) };
}

export function joinTree(skeleton: unknown, tensors: Record<string, Tensor>): unknown {
  const used = new Set<string>();
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (typeof o.$tensor === 'string' && Object.keys(o).length === 1) {
        const t = tensors[o.$tensor];
        if (!t) throw new RangeError(`tensor ${o.$tensor} is missing`);
        used.add(o.$tensor);
        return t.data;
      }
      if (typeof o.$number === 'string' && Object.keys(o).length === 1) return Number(o.$number);
      return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, walk(v)]));
    }
    return node;
  };
  const tree = walk(skeleton);
  const extra = Object.keys(tensors).filter((n) => !used.has(n));
  if (extra.length > 0)
    throw new RangeError(`tensors ${extra.join(', ')} are not referenced by the header`);
  return tree;
}
