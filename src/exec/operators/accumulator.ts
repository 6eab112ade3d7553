/** The running value of one aggregate call over the rows of one group or window. */
import type { StateValue } from '../../state/index.js';

export interface Accumulator {
  /** Adds (sign 1) or retracts (sign -1) one row's arguments; returns an error message when it cannot. */
  add(a: unknown, b: unknown, sign: 1 | -1): string | undefined;
  /** Folds `other` (same kind) into this one. */
  merge(other: Accumulator): void;
  /** Why folding `other` in would fail (an exact SUM leaving BIGINT), checked before `merge`. */
  mergeError?(other: Accumulator): string | undefined;
  result(): unknown;
  save(): StateValue;
}
