/**
 * Range checks that throw `RangeError`s naming the optimizer, the option, the value and the
 * allowed range: `Adam: betas[0] must be in [0, 1), got 1.2`.
 */

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  return String(value);
}

function fail(owner: string, option: string, rule: string, value: unknown): never {
  throw new RangeError(`${owner}: ${option} must be ${rule}, got ${show(value)}`);
}

/** Throws unless `ok`, naming the owner, the option, the rule and the value. */
export function check(
  owner: string,
  option: string,
  ok: boolean,
  rule: string,
  value: unknown,
): void {
  if (!ok) fail(owner, option, rule, value);
}

/** An integer >= `min` (default 1). */
export function checkInteger(owner: string, option: string, value: unknown, min = 1): void {
  if (!Number.isInteger(value) || (value as number) < min) {
    fail(owner, option, `an integer >= ${min}`, value);
  }
}

/** A finite number >= `min` (default 0). */
export function checkNonNegative(owner: string, option: string, value: unknown, min = 0): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    fail(owner, option, min === 0 ? 'a finite number >= 0' : `a finite number >= ${min}`, value);
  }
}

/** A number in [lo, hi) (or [lo, hi] when `closed`). */
export function checkInRange(
  owner: string,
  option: string,
  value: unknown,
  lo: number,
  hi: number,
  closed = false,
): void {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= lo &&
    (closed ? value <= hi : value < hi);
  if (!ok) fail(owner, option, `in [${lo}, ${hi}${closed ? ']' : ')'}`, value);
}

export function checkBoolean(owner: string, option: string, value: unknown): void {
  if (typeof value !== 'boolean') fail(owner, option, 'true or false', value);
}

/** A pair of coefficients, each in [0, 1). */
export function checkBetas(owner: string, value: unknown): void {
  if (!Array.isArray(value) || value.length !== 2) {
    fail(owner, 'betas', 'a pair [beta1, beta2]', value);
  }
  checkInRange(owner, 'betas[0]', value[0], 0, 1);
  checkInRange(owner, 'betas[1]', value[1], 0, 1);
}

/** Rejects option names the optimizer does not know (a typo must not be ignored silently). */
export function checkKnownOptions(
  owner: string,
  given: object,
  known: readonly string[],
  where = 'option',
): void {
  for (const key of Object.keys(given)) {
    if (key === 'params') continue;
    if (!known.includes(key)) {
      throw new RangeError(`${owner}: unknown ${where} "${key}"; known: ${known.join(', ')}`);
    }
  }
}

/**
 * A short name for a value's type in messages (`Float64Array`, `Array`, `Date`, `null`,
 * `string`; `object` for a plain object).
 */
export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (ArrayBuffer.isView(x)) return x.constructor.name;
  if (Array.isArray(x)) return 'Array';
  if (typeof x === 'object') {
    const name = (x as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== 'Object' ? name : 'object';
  }
  return typeof x;
}

/** {@link describe} with its article, for prose: "a function", "an Array", "a Date". */
export function describeWithArticle(x: unknown): string {
  const d = describe(x);
  return d === 'null' ? 'null' : `${/^[aeiouAEIOU]/.test(d) ? 'an' : 'a'} ${d}`;
}

/** The options every Adam-family optimizer shares: lr, betas, eps, maximize, and weightDecay. */
export function checkAdamFamily(
  owner: string,
  h: { lr: number; betas: [number, number]; eps: number; maximize: boolean; weightDecay?: number },
): void {
  checkNonNegative(owner, 'lr', h.lr);
  checkBetas(owner, h.betas);
  checkNonNegative(owner, 'eps', h.eps);
  if ('weightDecay' in h) checkNonNegative(owner, 'weightDecay', h.weightDecay);
  checkBoolean(owner, 'maximize', h.maximize);
}
