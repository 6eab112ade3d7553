/**
 * Deadlines of work that runs without yielding to the event loop. A statement's timeout fires on
 * a timer, which cannot run while a synchronous loop holds the thread (window functions over a
 * frame of every row before it, built again for each row); such loops check the deadline of the
 * signal they were given instead, and throw the timeout's error themselves once it has passed.
 */

interface Deadline {
  /** performance.now() past which the work stops. */
  readonly at: number;
  readonly error: () => Error;
}

const deadlines = new WeakMap<AbortSignal, Deadline>();

/** Work under `signal` stops at `at` (performance.now()) with `error()`. */
export function setDeadline(signal: AbortSignal, at: number, error: () => Error): void {
  deadlines.set(signal, { at, error });
}

/** `to` (a signal that follows `from`) keeps `from`'s deadline. */
export function inheritDeadline(from: AbortSignal | undefined, to: AbortSignal): void {
  const d = from && deadlines.get(from);
  if (d) deadlines.set(to, d);
}

/** Calls between looks at the clock: a look costs about as much as a row of cheap work. */
const EVERY = 256;

/**
 * A check for a synchronous loop to call once a step: it throws the deadline's error once the
 * deadline of `signal` has passed; a no-op where `signal` has none (a view or sink runs on).
 */
export function deadlineCheck(signal: AbortSignal | undefined): () => void {
  const d = signal && deadlines.get(signal);
  if (!d) return () => {};
  let calls = 0;
  return () => {
    if (++calls % EVERY === 0 && performance.now() > d.at) throw d.error();
  };
}
