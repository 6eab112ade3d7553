import { expect } from 'vitest';
import { SluiceError } from '../../src/common/errors.js';

/** A copy of an AST without spans, for comparing shapes. */
export function noSpans<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (k, v: unknown) => (k === 'span' ? undefined : v))) as T;
}

/** Runs `fn`, expects a SluiceError and returns it. */
export function catchSluice(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SluiceError);
    return e as SluiceError;
  }
  throw new Error('expected an error');
}
