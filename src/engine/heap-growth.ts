/**
 * How far the JavaScript heap of a process running the engine grows past what survived the last
 * full collection before it collects again. V8 picks a factor of up to 4 on its own: with keyed
 * state the survivors are the state cache, the Bloom filters and the groups of one checkpoint
 * interval, and up to three times as much garbage on top of them is most of a large view's peak
 * RSS. Collecting earlier costs time (more full collections, each marking the whole state cache),
 * so the limit applies only while the heap is large: a small heap keeps V8's own choice.
 */
import v8 from 'node:v8';

/** Past LARGE_HEAP_BYTES, the heap grows by at most this many percent of what survived the last full collection. */
export const HEAP_GROWING_PERCENT = 50;
/** The heap size (bytes V8 holds for it) from which growth is limited. */
export const LARGE_HEAP_BYTES = 384 * 1024 * 1024;
/** How often the heap's size is looked at. */
const CHECK_MS = 500;

const FLAG = '--heap-growing-percent';

/**
 * Limits V8's heap growing factor for this process (`sluice serve`, `sluice run`) while its heap is
 * larger than LARGE_HEAP_BYTES, unless the process was started with a factor of its own
 * (`node --heap-growing-percent=N`; 0 is V8's own choice).
 */
export function limitHeapGrowth(): void {
  const given = process.execArgv.some((a) => {
    const flag = a.replace(/_/g, '-');
    return flag === FLAG || flag.startsWith(`${FLAG}=`);
  });
  if (given) return;
  let limited = false;
  const timer = setInterval(() => {
    const large = v8.getHeapStatistics().total_heap_size > LARGE_HEAP_BYTES;
    if (large === limited) return;
    limited = large;
    v8.setFlagsFromString(`${FLAG}=${large ? HEAP_GROWING_PERCENT : 0}`);
  }, CHECK_MS);
  timer.unref();
}
