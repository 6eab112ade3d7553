/**
 * The engine's last line against running out of memory. A query that holds ever more values in
 * memory (STRING_AGG or LIST of large strings, a pull query's GROUP BY over millions of distinct
 * large keys, a join of two large tables) would otherwise grow the process until V8 aborts it
 * ("JavaScript heap out of memory") or the kernel kills it, taking every other query with it.
 *
 * `checkMemory` is called as batches move through operators (and where a function builds a large
 * string); at most every CHECK_MS it looks at the JavaScript heap against V8's limit and at the
 * process's resident memory against the machine's (or its container's). Past either line the
 * query doing the work fails with OUT_OF_MEMORY and lets go of what it held; the engine and
 * the other queries keep running.
 */
import { constrainedMemory } from 'node:process';
import { totalmem } from 'node:os';
import v8 from 'node:v8';
import { SluiceError } from './errors.js';

/**
 * Share of V8's heap limit in use past which a query fails. V8 gives up before its heap holds
 * the whole limit in live objects (pages it cannot fill, large objects, the room a full
 * collection needs): a heap of 4 GiB was measured failing with 3.1 GiB in use, 4.0 GiB committed.
 */
const HEAP_SHARE = 0.7;
/** ...or the share of the limit committed, once half of it is in use. */
const COMMITTED_SHARE = 0.9;
/** Share of the machine's (or container's) memory resident past which a query fails. */
const RSS_SHARE = 0.85;
const CHECK_MS = 20;
const MIB = 1024 * 1024;

let nextCheck = 0;
let heapLimit = 0;
let memoryLimit = 0;

/** The memory this process may use: its container's limit when it has one, else the machine's. */
function machineMemory(): number {
  const limit = constrainedMemory?.() ?? 0;
  const total = totalmem();
  return limit > 0 && limit < total ? limit : total;
}

/**
 * Throws OUT_OF_MEMORY when the engine's memory is nearly full; `where` names the work (an
 * operator, a function) for the message. Cheap: a clock read on most calls.
 */
export function checkMemory(where: string): void {
  const now = performance.now();
  if (now < nextCheck) return;
  nextCheck = now + CHECK_MS;
  if (heapLimit === 0) {
    heapLimit = v8.getHeapStatistics().heap_size_limit;
    memoryLimit = machineMemory();
  }
  const heap = v8.getHeapStatistics();
  const used = heap.used_heap_size;
  const rss = process.memoryUsage.rss();
  const heapFull = used > HEAP_SHARE * heapLimit || (heap.total_heap_size > COMMITTED_SHARE * heapLimit && used > heapLimit / 2);
  if (!heapFull && rss <= RSS_SHARE * memoryLimit) return;
  const what = heapFull
    ? `the JavaScript heap holds ${Math.round(used / MIB).toLocaleString('en-US')} MiB of its ${Math.round(heapLimit / MIB).toLocaleString('en-US')} MiB limit`
    : `the process holds ${Math.round(rss / MIB).toLocaleString('en-US')} MiB of the ${Math.round(memoryLimit / MIB).toLocaleString('en-US')} MiB this machine has`;
  throw new SluiceError('OUT_OF_MEMORY', `the engine's memory is nearly full (${what}): this query stopped in ${where} so that the engine and its other queries keep running`, {
    hint: 'hold fewer or smaller values in memory: filter or aggregate before STRING_AGG, LIST or a join of large tables, or write the rows to a view or sink; node --max-old-space-size=<MiB> raises the heap limit',
  });
}
