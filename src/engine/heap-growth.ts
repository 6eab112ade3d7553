/**
 * How far the JavaScript heap of a process running the engine grows past what survived the last
 * full collection before it collects again. V8 picks a factor of up to 4 on its own: with keyed
 * state the survivors are the state cache, the Bloom filters and the groups of one checkpoint
 * interval, and up to three times as much garbage on top of them is most of a large view's peak
 * RSS. The engine's own garbage is short-lived, so collecting earlier costs little time.
 */
import v8 from 'node:v8';

/** The heap grows by at most this many percent of what survived the last full collection. */
export const HEAP_GROWING_PERCENT = 50;

const FLAG = '--heap-growing-percent';

/**
 * Sets V8's heap growing factor for this process (`sluice serve`, `sluice run`) unless the
 * process was started with one (`node --heap-growing-percent=N`, or in NODE_OPTIONS).
 */
export function limitHeapGrowth(): void {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].map((a) => a.replace(/_/g, '-'));
  const given = args.some((a) => a === FLAG || a.startsWith(`${FLAG}=`));
  if (!given) v8.setFlagsFromString(`${FLAG}=${HEAP_GROWING_PERCENT}`);
}
