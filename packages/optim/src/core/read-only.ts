/**
 * A view of `target` whose refused writes throw a TypeError with `message(key)` instead of the
 * engine's generic one ("Cannot add property 1, object is not extensible"), which says neither
 * what is fixed nor what to do instead. Writes the target allows go through; reads are the
 * target's own. Freeze the target (or lock some of its properties) to choose what is refused.
 */
export function guarded<T extends object>(target: T, message: (key: string) => string): T {
  const refuse = (key: PropertyKey): never => {
    throw new TypeError(message(String(key)));
  };
  return new Proxy(target, {
    set: (t, key, value) => Reflect.set(t, key, value) || refuse(key),
    deleteProperty: (t, key) => Reflect.deleteProperty(t, key) || refuse(key),
    defineProperty: (t, key, desc) => Reflect.defineProperty(t, key, desc) || refuse(key),
    setPrototypeOf: (t, proto) => Reflect.setPrototypeOf(t, proto) || refuse('prototype'),
  });
}

/** A frozen copy of `items` behind {@link guarded}. */
export function readOnlyList<T>(
  items: readonly T[],
  message: (key: string) => string,
): readonly T[] {
  return guarded(Object.freeze(items.slice()), message);
}
