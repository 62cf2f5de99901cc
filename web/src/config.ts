import { NAMES, hyperSpecs, defaultsOf } from './optimizers.ts';
import type { RacerSpec } from './race.ts';
import {
  builtinSurface,
  CUSTOM_WINDOW,
  formatWindow,
  parseWindow,
  type Window,
} from './surface.ts';

/** Everything that defines a race; it round-trips through the URL's hash. */
export interface Config {
  /** A built-in surface's name, or 'custom'. */
  surface: string;
  /** The custom expression (kept even while a built-in surface is shown). */
  expr: string;
  /** The custom expression's plot window. */
  window: Window;
  /** The starting point, or null for the surface's default. */
  start: [number, number] | null;
  racers: RacerSpec[];
  /** Standard deviation of the Gaussian noise added to each gradient coordinate (0: exact). */
  noise: number;
  /** Seed of the noise. */
  seed: number;
  /** Steps per animation frame, one of {@link SPEEDS} (below 1: slow motion). */
  speed: number;
}

/** The speed slider's stops, in steps per frame. */
export const SPEEDS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50];
export const NOISE_MAX = 100;

/** The page's opening race: heavy-ball momentum against Adam, both with lively learning rates. */
export function defaultConfig(): Config {
  return {
    surface: 'rosenbrock',
    expr: 'x^2 + 3 y^2 + sin(3x) sin(2y)',
    window: CUSTOM_WINDOW,
    start: null,
    racers: [
      { name: 'momentum', options: { ...defaultsOf('momentum'), lr: 1e-3 } },
      { name: 'adam', options: { ...defaultsOf('adam'), lr: 0.05 } },
    ],
    noise: 0,
    seed: 1,
    speed: 5,
  };
}

// Keeps the URL readable: only characters that could break the hash's structure are escaped.
const enc = (s: string) =>
  encodeURIComponent(s)
    .replace(/%2C/g, ',')
    .replace(/%7C/g, '|')
    .replace(/%3A/g, ':')
    .replace(/%3D/g, '=');

/** The hash for a config: `#f=rosenbrock&start=-1.2,1&o=adam,lr=0.05,betas.0=0.9|sgd,lr=0.001&…`. */
export function encodeConfig(c: Config): string {
  const parts = [`f=${enc(c.surface)}`];
  const d = defaultConfig();
  if (c.surface === 'custom' || c.expr !== d.expr) parts.push(`expr=${enc(c.expr)}`);
  const win = formatWindow(c.window);
  if (win !== formatWindow(d.window)) parts.push(`win=${win}`);
  if (c.start) parts.push(`start=${c.start.map((v) => Number(v.toPrecision(6))).join(',')}`);
  const o = c.racers.map((r) =>
    [r.name, ...Object.entries(r.options).map(([k, v]) => `${k}=${v}`)].join(','),
  );
  parts.push(`o=${enc(o.join('|'))}`);
  parts.push(`noise=${c.noise}`, `seed=${c.seed}`, `speed=${c.speed}`);
  return `#${parts.join('&')}`;
}

function num(s: string | null, what: string, problems: string[]): number | undefined {
  if (s === null) return undefined;
  const v = Number(s);
  if (s.trim() === '' || !Number.isFinite(v)) {
    problems.push(`${what}: "${s}" is not a finite number`);
    return undefined;
  }
  return v;
}

/**
 * Reads a config from a hash (with or without '#'). Anything missing keeps its default; anything
 * invalid keeps its default too and is described in `problems`, so a mangled link still opens.
 */
export function decodeConfig(hash: string): { config: Config; problems: string[] } {
  const c = defaultConfig();
  const problems: string[] = [];
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const f = q.get('f');
  if (f !== null) {
    if (f === 'custom' || builtinSurface(f)) c.surface = f;
    else problems.push(`f: unknown surface "${f}"`);
  }
  const expr = q.get('expr');
  if (expr !== null) c.expr = expr;
  const win = q.get('win');
  if (win !== null) {
    try {
      c.window = parseWindow(win);
    } catch (e) {
      problems.push(`win: ${(e as Error).message}`);
    }
  }
  const start = q.get('start');
  if (start !== null) {
    const xy = start.split(',').map((s, i) => num(s, `start[${i}]`, problems));
    if (xy.length === 2 && xy.every((v) => v !== undefined)) c.start = xy as [number, number];
    else if (xy.length !== 2) problems.push(`start: expected "x,y", got "${start}"`);
  }
  const o = q.get('o');
  if (o !== null) {
    c.racers = [];
    for (const item of o.split('|').filter((s) => s !== '')) {
      const [name = '', ...kvs] = item.split(',');
      if (!NAMES.includes(name)) {
        problems.push(`o: unknown optimizer "${name}" (known: ${NAMES.join(', ')})`);
        continue;
      }
      const options = defaultsOf(name);
      const keys = hyperSpecs(name).map((s) => s.key);
      for (const kv of kvs) {
        const [k = '', v = ''] = kv.split('=');
        if (!keys.includes(k)) {
          problems.push(`o: ${name} has no slider "${k}" (has: ${keys.join(', ')})`);
          continue;
        }
        const x = num(v, `o: ${name}.${k}`, problems);
        if (x !== undefined) options[k] = x;
      }
      c.racers.push({ name, options });
    }
  }
  const noise = num(q.get('noise'), 'noise', problems);
  if (noise !== undefined) {
    if (noise >= 0 && noise <= NOISE_MAX) c.noise = noise;
    else problems.push(`noise must be in [0, ${NOISE_MAX}], got ${noise}`);
  }
  const seed = num(q.get('seed'), 'seed', problems);
  if (seed !== undefined) {
    if (Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32) c.seed = seed;
    else problems.push(`seed must be an integer in [0, 4294967295], got ${seed}`);
  }
  const speed = num(q.get('speed'), 'speed', problems);
  if (speed !== undefined) {
    if (SPEEDS.includes(speed)) c.speed = speed;
    else problems.push(`speed must be one of ${SPEEDS.join(', ')}, got ${speed}`);
  }
  return { config: c, problems };
}
