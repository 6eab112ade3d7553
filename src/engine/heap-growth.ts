/**
 * How far the JavaScript heap of a process running the engine grows past what survived the last
 * full collection before it collects again. V8 picks a factor between 1.1 and 4 on its own. With
 * keyed state the survivors are the state cache, the Bloom filters and the groups of one
 * checkpoint interval, and up to three times as much garbage on top of them is most of a large
 * view's peak RSS: a large heap is held to a small factor. A small heap is the opposite case: V8
 * tends to pick a factor near 2 for it, and the engine's short-lived Arrow batches and buffers then
 * start a full collection every 100 ms or so, each marking the whole heap on the cores the query
 * needs (the fraud view of the benchmark ran 10-15% faster at 4x). Collecting earlier costs time
 * (more full collections, each marking the whole heap), so the limit is loosest where a heap is
 * small enough that its garbage does not matter.
 */
import v8 from 'node:v8';

const MIB = 1024 * 1024;
/** Past this much heap (bytes V8 holds for it: a full state cache), it grows by LARGE_HEAP_PERCENT. */
const LARGE_HEAP_BYTES = 256 * MIB;
const LARGE_HEAP_PERCENT = 50;
/** A smaller heap may grow until it uses about this many bytes... */
const SMALL_HEAP_TARGET_BYTES = 192 * MIB;
/** ...by at least 50% (half its survivors again) and at most 300% (four times). */
const SMALL_HEAP_MIN_PERCENT = 50;
const SMALL_HEAP_MAX_PERCENT = 300;

/**
 * How far the heap may grow past what survived the last full collection (percent), for a heap
 * holding `heapBytes` of which `usedBytes` are in use. Past LARGE_HEAP_BYTES, 50%: a heap never
 * holds less than survived, so one whose survivors alone pass 256 MiB stays at 50% between
 * collections too, and a factor set after a collection (the size is looked at every CHECK_MS)
 * cannot let it grow to twice its survivors. Below, as far as keeps the next limit near
 * SMALL_HEAP_TARGET_BYTES (the survivors are at most what is in use), between 50% and 300%: a
 * heap of 30 MB in use collects at four times its survivors, one of 96 MB at twice, one of 128 MB
 * and more at one and a half (the all-distinct view of the state benchmark, whose survivors are
 * the groups of two checkpoint intervals, peaked 50-70 MiB lower than at twice, as fast).
 */
export function heapGrowthPercent(heapBytes: number, usedBytes: number): number {
  if (heapBytes > LARGE_HEAP_BYTES) return LARGE_HEAP_PERCENT;
  const room = Math.floor((SMALL_HEAP_TARGET_BYTES / Math.max(usedBytes, 1) - 1) * 100);
  return Math.min(SMALL_HEAP_MAX_PERCENT, Math.max(SMALL_HEAP_MIN_PERCENT, room));
}
/** How often the heap's size is looked at. */
const CHECK_MS = 100;

const FLAG = '--heap-growing-percent';

/**
 * Limits V8's heap growing factor for this process (`sluice serve`, `sluice run`) by its heap's
 * size (see heapGrowthPercent), unless the process was started with a factor of its own
 * (`node --heap-growing-percent=N`; 0 is V8's own choice).
 */
export function limitHeapGrowth(): void {
  const given = process.execArgv.some((a) => {
    const flag = a.replace(/_/g, '-');
    return flag === FLAG || flag.startsWith(`${FLAG}=`);
  });
  if (given) return;
  let percent = 0;
  const check = (): void => {
    const heap = v8.getHeapStatistics();
    const next = heapGrowthPercent(heap.total_heap_size, heap.used_heap_size);
    if (next === percent) return;
    percent = next;
    v8.setFlagsFromString(`${FLAG}=${percent}`);
  };
  check();
  setInterval(check, CHECK_MS).unref();
}
