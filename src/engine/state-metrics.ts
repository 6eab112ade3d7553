/** Prometheus metrics of keyed state: the engine's state cache and each query's state on disk. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { StateCache, StateCacheStats } from '../state/index.js';
import type { QueryHandle } from './running-query.js';

const CACHE_GAUGES: readonly [name: string, help: string, stat: keyof StateCacheStats][] = [
  ['sluice_state_cache_bytes', 'Estimated heap bytes of the keyed state held in the state cache.', 'bytes'],
  ['sluice_state_cache_budget_bytes', 'Budget of the state cache (--state-cache).', 'budget'],
  ['sluice_state_cache_entries', 'Keyed state entries held in the state cache.', 'entries'],
  ['sluice_state_cache_hits_total', 'State reads answered by the state cache.', 'hits'],
  ['sluice_state_cache_misses_total', 'State reads the state cache could not answer (read from RocksDB).', 'misses'],
  ['sluice_state_cache_evictions_total', 'Entries the state cache dropped to stay within its budget.', 'evictions'],
  ['sluice_state_disk_reads_total', 'Keyed state entries read from RocksDB (looked up past the state cache, or scanned).', 'diskReads'],
];

export function registerStateMetrics(registry: Registry, cache: StateCache, queries: () => Iterable<QueryHandle>): void {
  for (const [name, help, stat] of CACHE_GAUGES) {
    // Counts that only grow (hits, misses, evictions, disk reads) are counters, per Prometheus conventions.
    if (name.endsWith('_total')) {
      const c: Counter = new Counter({
        name,
        help,
        registers: [registry],
        collect: () => {
          c.reset();
          c.inc(cache.stats()[stat]);
        },
      });
    } else {
      const g: Gauge = new Gauge({ name, help, registers: [registry], collect: () => g.set(cache.stats()[stat]) });
    }
  }
  const disk: Gauge<'query' | 'operator'> = new Gauge({
    name: 'sluice_state_disk_bytes',
    help: 'Approximate bytes of a query operator keyed state in RocksDB files (measured after checkpoints).',
    labelNames: ['query', 'operator'],
    registers: [registry],
    collect: () => {
      disk.reset();
      for (const q of queries()) for (const o of q.stateBytes?.() ?? []) disk.set({ query: q.name ?? q.id, operator: o.operator }, o.bytes);
    },
  });
}
