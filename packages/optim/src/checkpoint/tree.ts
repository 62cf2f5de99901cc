import type { Tensor, TensorArray } from './safetensors.ts';

/**
 * Splits a state tree (plain objects, arrays, numbers, strings, booleans, null and typed arrays:
 * what every `stateDict()` here returns) into named tensors and a JSON skeleton that refers to
 * them, and joins them back. Tensor names follow the path with `slots` left out, so an Adam slot
 * is `optimizer.state.0.exp_avg`, as PyTorch names it.
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

export function splitTree(tree: unknown): { tensors: Record<string, Tensor>; skeleton: unknown } {
  const tensors: Record<string, Tensor> = {};
  const walk = (node: unknown, path: string[]): unknown => {
    if (isTyped(node)) {
      let name = path.filter((p) => p !== 'slots').join('.');
      if (name in tensors) name = path.join('.');
      tensors[name] = { data: node, shape: [node.length] };
      return { $tensor: name };
    }
    if (typeof node === 'number' && !Number.isFinite(node)) return { $number: String(node) };
    if (Array.isArray(node)) return node.map((v, i) => walk(v, [...path, String(i)]));
    if (node !== null && typeof node === 'object') {
      if (ArrayBuffer.isView(node))
        throw new TypeError(`checkpoint: unsupported array at ${path.join('.')}`);
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    if (
      node === undefined ||
      typeof node === 'function' ||
      typeof node === 'symbol' ||
      typeof node === 'bigint'
    ) {
      throw new TypeError(
        `checkpoint: cannot store a ${typeof node} at ${path.join('.') || 'the root'}`,
      );
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
