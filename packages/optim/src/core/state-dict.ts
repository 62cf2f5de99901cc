import type { FloatBuffer } from './types.ts';

/** Version of the state-dict layout; bumped on any incompatible change. */
export const STATE_DICT_VERSION = 1;

/** The saved state of one parameter buffer. Slot names follow PyTorch (`exp_avg`, ...). */
export interface ParamStateDict {
  step: number;
  scalars: Record<string, number>;
  slots: Record<string, FloatBuffer>;
}

/** A saved group: its hyper-parameters and the flat indices of its parameters. */
export type GroupStateDict = Record<string, unknown> & { params: number[] };

/**
 * An optimizer's full state as plain data (numbers and typed arrays, copies, never the live
 * buffers): it can be cloned, sent to a worker or written to disk.
 */
export interface OptimizerStateDict {
  format: 'descent/optimizer';
  version: number;
  optimizer: string;
  /** Steps skipped under the `nonFinite: 'skip'` policy. */
  skippedSteps?: number;
  /** Length of every parameter buffer, by flat index. */
  paramSizes: number[];
  /** Shape of every parameter buffer, by flat index (absent in dicts saved before shapes). */
  paramShapes?: number[][];
  paramGroups: GroupStateDict[];
  /** The group-level scalar state of every group, for algorithms that keep one (Prodigy). */
  groupState?: Record<string, number>[];
  /** Per flat parameter index; `null` before the parameter's first step. */
  state: (ParamStateDict | null)[];
}
