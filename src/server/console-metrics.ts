/**
 * Samples the engine's figures about once a second into bounded series (src/server/timeseries.ts)
 * for the console's live charts: per query rows in/out per second, lag, end-to-end latency
 * p50/p99, dead letters per second and checkpoint age; per operator rows out per second; per
 * model rows scored, fallbacks and failed batches per second; engine CPU, heap and RSS, and the
 * state store's figures (`sluice_state_*` metrics: counters as rates, gauges as they are).
 *
 * Rates are differences of the engine's counters between two samples divided by the time between
 * them; latency quantiles come from the difference of the end-to-end latency histogram over the
 * last few samples, so they describe recent rows, not the whole run.
 */
import type { Registry } from 'prom-client';
import type { QueryInfo } from '../engine/types.js';
import type { EngineLike } from './engine-like.js';
import { SeriesSet } from './timeseries.js';

export interface SamplerOptions {
  /** Default 1000 ms. */
  readonly intervalMs?: number;
  /** How far back the series reach. Default 15 minutes. */
  readonly windowMs?: number;
}

/** What a series describes: `scope` and `id` say whose figure it is, `metric` which one. */
export interface SeriesKey {
  readonly scope: 'engine' | 'query' | 'operator' | 'model';
  /** Query id, model name, or `<query id>/<operator>`; empty for the engine. */
  readonly id: string;
  readonly metric: string;
}

export interface SeriesJson extends SeriesKey {
  readonly t: number[];
  readonly v: (number | null)[];
}

/**
 * Samples a rate or a latency quantile is computed over (about 5 s): engines emit in batches, so
 * over one second a steady 200 rows/s would read as 0 and 400 by turns.
 */
const SPAN = 5;

type Buckets = Map<string, { le: number[]; counts: number[] }>;

function keyText(k: SeriesKey): string {
  return `${k.scope}\u0000${k.id}\u0000${k.metric}`;
}

function keyOfText(text: string): SeriesKey {
  const [scope, id, metric] = text.split('\u0000') as [SeriesKey['scope'], string, string];
  return { scope, id, metric };
}

/** The value of `q` (0..1) in a cumulative histogram, interpolated inside its bucket; NaN when empty. */
export function histogramQuantile(le: readonly number[], cumulative: readonly number[], q: number): number {
  const total = cumulative[cumulative.length - 1] ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  for (let i = 0; i < le.length; i++) {
    if (cumulative[i]! >= rank) {
      const lower = i === 0 ? 0 : le[i - 1]!;
      const below = i === 0 ? 0 : cumulative[i - 1]!;
      const upper = Number.isFinite(le[i]!) ? le[i]! : lower;
      const inBucket = cumulative[i]! - below;
      return inBucket <= 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
    }
  }
  return le[le.length - 2] ?? NaN;
}

/** Counter values by label text (`query=x,operator=y`), summed over other labels. */
async function counterValues(registry: Registry, name: string, label: (labels: Record<string, string | number>) => string | undefined): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const metric = registry.getSingleMetric(name);
  if (!metric) return out;
  const data = await metric.get();
  for (const v of data.values) {
    const key = label(v.labels as Record<string, string | number>);
    if (key !== undefined) out.set(key, (out.get(key) ?? 0) + v.value);
  }
  return out;
}

/**
 * The state store's figures (metrics named `sluice_state_*`: cache bytes, hits, misses and the
 * like, where the engine reports them), each summed over its labels, by name without `sluice_`.
 * Histograms and summaries are left out.
 */
async function stateFigures(registry: Registry): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const { name } of registry.getMetricsAsArray()) {
    const metric = name.startsWith('sluice_state_') ? registry.getSingleMetric(name) : undefined;
    if (!metric) continue;
    const data = await metric.get();
    if (String(data.type) !== 'counter' && String(data.type) !== 'gauge') continue;
    out.set(name.slice('sluice_'.length), data.values.reduce((sum, v) => sum + v.value, 0));
  }
  return out;
}

async function latencyBuckets(registry: Registry): Promise<Buckets> {
  const out: Buckets = new Map();
  const metric = registry.getSingleMetric('sluice_end_to_end_latency_seconds');
  if (!metric) return out;
  const data = await metric.get();
  for (const v of data.values) {
    if (!(v as { metricName?: string }).metricName?.endsWith('_bucket')) continue;
    const query = String(v.labels['query'] ?? '');
    const le = v.labels['le'] === '+Inf' ? Infinity : Number(v.labels['le']);
    const b = out.get(query) ?? { le: [], counts: [] };
    b.le.push(le);
    b.counts.push(v.value);
    out.set(query, b);
  }
  return out;
}

export class ConsoleSampler {
  readonly series: SeriesSet;
  private timer: NodeJS.Timeout | undefined;
  /** The last SPAN + 1 counter snapshots, oldest first. */
  private readonly history: { at: number; cpu: NodeJS.CpuUsage; counters: Map<string, number> }[] = [];
  private readonly latencyHistory: Buckets[] = [];
  /** Per query: the last checkpoint epoch seen and when it was first seen. */
  private readonly epochs = new Map<string, { epoch: number; at: number }>();
  private sampling = false;

  constructor(
    private readonly engine: EngineLike,
    opts: SamplerOptions = {},
  ) {
    this.series = new SeriesSet(opts.windowMs ?? 15 * 60_000, opts.intervalMs ?? 1000);
  }

  start(): void {
    if (this.timer) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.series.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Series whose key matches the filter, samples at or after `since` (ms since the epoch). */
  read(filter: { scope?: string; id?: string; since?: number } = {}): SeriesJson[] {
    const out: SeriesJson[] = [];
    for (const name of this.series.names()) {
      const k = keyOfText(name);
      if (filter.scope !== undefined && k.scope !== filter.scope) continue;
      if (filter.id !== undefined && k.id !== filter.id && !(k.scope === 'operator' && k.id.startsWith(`${filter.id}/`))) continue;
      out.push({ ...k, ...this.series.get(name)!.since(filter.since) });
    }
    return out;
  }

  /** Takes one sample now; never throws (a figure that cannot be read is left out). */
  async sample(now = Date.now()): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      await this.sampleAll(now);
    } catch {
      // A metric that cannot be read this time is read again at the next sample.
    } finally {
      this.sampling = false;
    }
  }

  private record(k: SeriesKey, time: number, value: number): void {
    this.series.record(keyText(k), time, value);
  }

  private async sampleAll(now: number): Promise<void> {
    const queries = this.engine.queries();
    const registry = this.engine.metrics;
    const counters = new Map<string, number>();
    for (const q of queries) {
      counters.set(`q\u0000${q.id}\u0000rows_in`, q.rowsIn);
      counters.set(`q\u0000${q.id}\u0000rows_out`, q.rowsOut);
      counters.set(`q\u0000${q.id}\u0000dead_letters`, q.deadLetters);
    }
    // Operator metrics are labelled with the query's name; series are keyed by its id.
    const idOf = new Map(queries.map((q) => [q.name ?? q.id, q.id]));
    const operators = await counterValues(registry, 'sluice_operator_records_out_total', (l) => {
      const id = idOf.get(String(l['query']));
      return id === undefined ? undefined : `${id}/${String(l['operator'])}`;
    });
    for (const [k, v] of operators) counters.set(`o\u0000${k}\u0000rows`, v);
    for (const [metric, name] of [
      ['rows', 'sluice_model_rows_scored_total'],
      ['fallbacks', 'sluice_model_fallbacks_total'],
      ['errors', 'sluice_model_errors_total'],
    ] as const) {
      const values = await counterValues(registry, name, (l) => (l['model'] === undefined ? undefined : String(l['model'])));
      for (const [model, v] of values) counters.set(`m\u0000${model}\u0000${metric}`, v);
    }
    for (const [name, value] of await stateFigures(registry)) {
      if (name.endsWith('_total')) counters.set(`e\u0000\u0000${name}`, value);
      else this.record({ scope: 'engine', id: '', metric: name }, now, value);
    }
    const cpu = process.cpuUsage();
    this.history.push({ at: now, cpu, counters });
    if (this.history.length > SPAN + 1) this.history.shift();
    const prev = this.history.length > 1 ? this.history[0] : undefined;

    const mem = process.memoryUsage();
    this.record({ scope: 'engine', id: '', metric: 'heap_used_bytes' }, now, mem.heapUsed);
    this.record({ scope: 'engine', id: '', metric: 'rss_bytes' }, now, mem.rss);
    this.record({ scope: 'engine', id: '', metric: 'external_bytes' }, now, mem.external);
    if (prev && now > prev.at) {
      const cpuMs = (cpu.user - prev.cpu.user + cpu.system - prev.cpu.system) / 1000;
      this.record({ scope: 'engine', id: '', metric: 'cpu_percent' }, now, (100 * cpuMs) / (now - prev.at));
      this.recordRates(prev.counters, counters, (now - prev.at) / 1000, now);
    }
    this.recordGauges(queries, now);
    await this.recordLatency(queries, now);
    this.series.prune(now);
  }

  private recordRates(before: Map<string, number>, after: Map<string, number>, seconds: number, now: number): void {
    const scopes = { q: 'query', o: 'operator', m: 'model', e: 'engine' } as const;
    for (const [k, v] of after) {
      // A counter, like a query, that appeared since `before` was at 0 then.
      const old = before.get(k) ?? 0;
      const [s, id, metric] = k.split('\u0000') as [keyof typeof scopes, string, string];
      this.record({ scope: scopes[s], id, metric: `${metric}_per_s` }, now, Math.max(0, v - old) / seconds);
    }
  }

  private recordGauges(queries: readonly QueryInfo[], now: number): void {
    for (const q of queries) {
      this.record({ scope: 'query', id: q.id, metric: 'lag' }, now, q.lag ?? NaN);
      const seen = this.epochs.get(q.id);
      if (q.lastCheckpointEpoch === undefined) {
        this.record({ scope: 'query', id: q.id, metric: 'checkpoint_age_s' }, now, NaN);
        continue;
      }
      if (!seen || seen.epoch !== q.lastCheckpointEpoch) this.epochs.set(q.id, { epoch: q.lastCheckpointEpoch, at: now });
      // The first epoch seen may be older than the sampler; it counts from when it was seen.
      this.record({ scope: 'query', id: q.id, metric: 'checkpoint_age_s' }, now, (now - (this.epochs.get(q.id)?.at ?? now)) / 1000);
    }
    const ids = new Set(queries.map((q) => q.id));
    for (const id of this.epochs.keys()) if (!ids.has(id)) this.epochs.delete(id);
  }

  private async recordLatency(queries: readonly QueryInfo[], now: number): Promise<void> {
    const buckets = await latencyBuckets(this.engine.metrics);
    this.latencyHistory.push(buckets);
    if (this.latencyHistory.length > SPAN + 1) this.latencyHistory.shift();
    const oldest = this.latencyHistory[0]!;
    for (const q of queries) {
      const name = q.name ?? q.id;
      const nowB = buckets.get(name);
      if (!nowB) continue;
      const then = oldest === buckets ? undefined : oldest.get(name);
      const diff = nowB.counts.map((c, i) => c - (then?.counts[i] ?? 0));
      for (const [metric, quantile] of [
        ['latency_p50_ms', 0.5],
        ['latency_p99_ms', 0.99],
      ] as const) {
        this.record({ scope: 'query', id: q.id, metric }, now, histogramQuantile(nowB.le, diff, quantile) * 1000);
      }
    }
  }
}
