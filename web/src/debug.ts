import type { Race } from './race.ts';
import type { Surface } from './surface.ts';

/** What the debug handle reads from the page. */
export interface DebugSource {
  readonly surface: Surface;
  readonly race: Race;
  readonly playing: boolean;
  readonly exprError: string;
  readonly plotPoints: number;
  readonly pathVertices: number;
}

/** A copy of the page's state, as plain data. */
export interface Snapshot {
  surface: string;
  formula: string;
  minima: number[][];
  start: number[];
  step: number;
  playing: boolean;
  exprError: string;
  plotPoints: number;
  pathVertices: number;
  racers: {
    name: string;
    options: Record<string, number>;
    status: string;
    error: string;
    steps: number;
    position: number[];
    firstLoss: number;
    loss: number;
    state: Record<string, number>;
  }[];
}

declare global {
  interface Window {
    /** Read-only access for tests and the curious: `__descentPlayground.snapshot()`. */
    __descentPlayground?: { readonly snapshot: () => Snapshot };
  }
}

/** Exposes `window.__descentPlayground`, whose `snapshot()` returns copies, never live objects. */
export function installDebugHandle(source: () => DebugSource): void {
  const snapshot = (): Snapshot => {
    const s = source();
    return {
      surface: s.surface.name,
      formula: s.surface.formula,
      minima: s.surface.minima.map((m) => [...m]),
      start: [...s.race.start],
      step: s.race.step,
      playing: s.playing,
      exprError: s.exprError,
      plotPoints: s.plotPoints,
      pathVertices: s.pathVertices,
      racers: s.race.racers.map((r) => ({
        name: r.spec.name,
        options: { ...r.spec.options },
        status: r.status,
        error: r.error,
        steps: r.steps,
        position: [r.p[0]!, r.p[1]!],
        firstLoss: r.losses[0]!,
        loss: r.losses[r.losses.length - 1]!,
        state: r.leadingState(),
      })),
    };
  };
  Object.defineProperty(window, '__descentPlayground', {
    value: Object.freeze({ snapshot }),
    writable: false,
    configurable: false,
  });
}
