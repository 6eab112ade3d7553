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

/**
 * How far the heap may grow past what survived the last full collection, by the heap's size
 * (bytes V8 holds for it): past `fromBytes`, by `percent`. A heap up to 128 MiB collects at four
 * times its survivors, a larger one at twice, one past 256 MiB (a full state cache) at one and a
 * half times. A heap never
 * holds less than survived, so one whose survivors alone pass 256 MiB stays at 50% between
 * collections too: a step set after a collection (the size is looked at every CHECK_MS) cannot
 * let it grow to twice its survivors.
 */
export const HEAP_GROWTH_STEPS: readonly { readonly fromBytes: number; readonly percent: number }[] = [
  { fromBytes: 256 * 1024 * 1024, percent: 50 },
  { fromBytes: 128 * 1024 * 1024, percent: 100 },
  { fromBytes: 0, percent: 300 },
];
/** How often the heap's size is looked at. */
const CHECK_MS = 500;

const FLAG = '--heap-growing-percent';

/** The growth limit (percent; 0: V8's own choice) for a heap of `heapBytes` (see HEAP_GROWTH_STEPS). */
export function heapGrowthPercent(heapBytes: number): number {
  return HEAP_GROWTH_STEPS.find((s) => heapBytes > s.fromBytes)?.percent ?? 0;
}

/**
 * Limits V8's heap growing factor for this process (`sluice serve`, `sluice run`) by its heap's
 * size (see HEAP_GROWTH_STEPS), unless the process was started with a factor of its own
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
    const next = heapGrowthPercent(v8.getHeapStatistics().total_heap_size);
    if (next === percent) return;
    percent = next;
    v8.setFlagsFromString(`${FLAG}=${percent}`);
  };
  check();
  setInterval(check, CHECK_MS).unref();
}
