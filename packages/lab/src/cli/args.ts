import { InvalidArgumentError } from 'commander';
import type { BatchSize } from '../lab/sampler.ts';

/** Commander argument parsers that reject bad values with a message naming the allowed range. */

// Number() alone reads '0x10' as 16, '0b1' as 1 and '' as 0: a typo would run silently with
// another value. The CLI takes plain decimals only (with an exponent: 1e-3).
const DECIMAL = /^[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const DIGITS = /^\d+$/;

/** The largest integer an option takes: beyond it a double no longer holds every integer. */
const MAX_INT = Number.MAX_SAFE_INTEGER;

export function positiveNumber(value: string): number {
  const x = Number(value);
  if (!DECIMAL.test(value.trim()) || !Number.isFinite(x) || x <= 0) {
    throw new InvalidArgumentError(
      'must be a finite number > 0, written in decimal (such as 0.01 or 1e-3).',
    );
  }
  return x;
}

/** An integer in [1, 2⁵³ − 1], in decimal digits. */
export function positiveInt(value: string): number {
  const x = Number(value);
  if (!DIGITS.test(value.trim()) || x < 1 || x > MAX_INT) {
    throw new InvalidArgumentError(`must be an integer >= 1 and <= ${MAX_INT}.`);
  }
  return x;
}

export function batchSize(value: string): BatchSize {
  if (value === 'full') return 'full';
  const x = Number(value);
  if (!DIGITS.test(value.trim()) || x < 1 || x > MAX_INT) {
    throw new InvalidArgumentError(`must be 'full' or an integer >= 1 and <= ${MAX_INT}.`);
  }
  return x;
}

/** A comma-separated list of names, each one of `known`. */
export function nameList(known: readonly string[]): (value: string) => string[] {
  return (value) => {
    const names = value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (names.length === 0) throw new InvalidArgumentError('must name at least one.');
    const unknown = names.filter((n) => !known.includes(n));
    if (unknown.length > 0) {
      throw new InvalidArgumentError(`unknown: ${unknown.join(', ')}; known: ${known.join(', ')}.`);
    }
    return names;
  };
}

/** A seed: an integer in [0, 2³² − 1]. */
export function seed(value: string): number {
  const x = Number(value);
  if (!DIGITS.test(value.trim()) || x > 4294967295) {
    throw new InvalidArgumentError('must be an integer in [0, 4294967295].');
  }
  return x;
}

/** A comma-separated list of batch sizes ('full' or integers >= 1), none repeated. */
export function batchSizeList(value: string): BatchSize[] {
  const sizes = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(batchSize);
  if (sizes.length === 0) throw new InvalidArgumentError('must name at least one batch size.');
  if (new Set(sizes).size !== sizes.length) {
    throw new InvalidArgumentError(`must not repeat a batch size, got ${value}.`);
  }
  return sizes;
}
