/**
 * The engine's Prometheus metrics: per query, per operator, per log topic and per model. Names
 * follow Prometheus conventions: a count that only grows is a counter ending in `_total`; a value
 * that can go down is a gauge without it.
 */
import type { TableRegistry } from './relation-storage.js';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelRegistry } from '../udf/model-registry.js';
import type { ModelStatsSnapshot } from '../udf/model-stats.js';
import type { QueryRegistry } from './query-registry.js';

export class EngineMetrics {
  /** The registry `GET /metrics` renders. */
  readonly registry = new Registry();
  private readonly rowsOut: Counter;
  private readonly deadLetters: Counter;
  private readonly latency: Histogram;
  private readonly expired: Counter;
  private readonly missed: Counter;
  /** The query labels each per-query metric has a series for (see `pruned`). */
  private readonly rowsOutSeen = new Set<string>();
  private readonly deadLettersSeen = new Set<string>();
  private readonly latencySeen = new Set<string>();

  constructor(queries: QueryRegistry, models: ModelRegistry, tables: TableRegistry) {
    const registers = [this.registry];
    // The series of a query that no longer runs (a push query that ended, a view stopped or
    // dropped) leave at the next scrape, so that the labels do not grow with every query run.
    const live = () => new Set([...queries.running.values()].map((q) => q.name ?? q.id));
    const pruned = <M extends Counter<'query'> | Histogram<'query'>>(seen: Set<string>, metric: () => M) => () => {
      const now = live();
      for (const q of seen) {
        if (now.has(q)) continue;
        metric().remove({ query: q });
        seen.delete(q);
      }
    };
    this.rowsOut = new Counter({ name: 'sluice_query_records_out_total', help: 'Records a query has output.', labelNames: ['query'], registers, collect: pruned(this.rowsOutSeen, () => this.rowsOut) });
    this.deadLetters = new Counter({ name: 'sluice_dead_letters_total', help: 'Rows sent to a query dead-letter stream.', labelNames: ['query'], registers, collect: pruned(this.deadLettersSeen, () => this.deadLetters) });
    this.expired = new Counter({ name: 'sluice_log_records_expired_total', help: 'Records removed from embedded-log topics by their retention.', labelNames: ['topic'], registers });
    this.missed = new Counter({
      name: 'sluice_log_records_missed_total',
      help: 'Records a query could not read because retention had removed them before it got there.',
      labelNames: ['topic'],
      registers,
    });
    readCounter(this.registry, {
      name: 'sluice_query_records_in_total',
      help: 'Records a query has read from its sources.',
      labelNames: ['query'],
      read: () => [...queries.running.values()].map((q) => [{ query: q.name ?? q.id }, q.rowsIn] as const),
    });
    readCounter(this.registry, {
      name: 'sluice_operator_records_out_total',
      help: 'Records an operator has emitted (its parent operator reads them).',
      labelNames: ['query', 'operator'],
      read: () => [...queries.running.values()].flatMap((q) => q.operatorStats().map((o) => [{ query: q.name ?? q.id, operator: o.operator }, o.rowsOut] as const)),
    });
    this.latency = new Histogram({
      name: 'sluice_end_to_end_latency_seconds',
      help: 'Output time minus event time of output rows (sampled), for queries whose output carries the source event time.',
      labelNames: ['query'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
      collect: pruned(this.latencySeen, () => this.latency),
    });
    readGauge(this.registry, {
      name: 'sluice_query_lag_records',
      help: 'Records available in a query source but not yet read.',
      labelNames: ['query'],
      read: () => [...queries.running.values()].flatMap((q) => {
        const n = queries.lagOf(q);
        return n === undefined ? [] : [[{ query: q.name ?? q.id }, n] as const];
      }),
    });
    readCounter(this.registry, {
      name: 'sluice_table_records_rejected_total',
      help: 'Records a table kept from a Kafka topic skipped: values that do not decode into its columns, or break one of its CHECKs.',
      labelNames: ['table'],
      read: () => [...tables.values()].flatMap((t) => (t.loader?.rejected === undefined ? [] : [[{ table: t.def.name }, t.loader.rejected] as const])),
    });
    registerModelMetrics(this.registry, models);
  }

  /** A query (by its label: view or sink name, else id) has output `n` records. */
  recordsOut(query: string, n: number): void {
    this.rowsOutSeen.add(query);
    this.rowsOut.inc({ query }, n);
  }

  /** A query has sent `n` rows to its dead-letter stream. */
  deadLettered(query: string, n: number): void {
    this.deadLettersSeen.add(query);
    this.deadLetters.inc({ query }, n);
  }

  /** Rows posted to a stream (POST /v1/streams/:name/rows) were refused into its dead letters: the series `<stream>_ingest`, which is no query's and stays. */
  ingestDeadLettered(stream: string, n: number): void {
    this.deadLetters.inc({ query: `${stream}_ingest` }, n);
  }

  /** End-to-end latency samples (seconds) of a query's output rows. */
  observeLatency(query: string, seconds: readonly number[]): void {
    this.latencySeen.add(query);
    for (const x of seconds) this.latency.observe({ query }, x);
  }

  /** Retention removed `n` records of a log topic. */
  recordsExpired(topic: string, n: number): void {
    this.expired.inc({ topic }, n);
  }

  /** A query skipped `n` records of a topic that retention had removed. */
  recordsMissed(topic: string, n: number): void {
    this.missed.inc({ topic }, n);
  }
}

function registerModelMetrics(registry: Registry, models: ModelRegistry): void {
  const per = (read: (s: ModelStatsSnapshot) => number) => () => [...models.statsSnapshots()].map(([m, snap]) => [{ model: m }, read(snap)] as const);
  const counter = (name: string, help: string, read: (s: ModelStatsSnapshot) => number) => readCounter(registry, { name, help, labelNames: ['model'], read: per(read) });
  const gauge = (name: string, help: string, read: (s: ModelStatsSnapshot) => number) => readGauge(registry, { name, help, labelNames: ['model'], read: per(read) });
  counter('sluice_model_rows_scored_total', 'Rows scored by a model.', (s) => s.rows);
  counter('sluice_model_batches_total', 'Batches run by a model.', (s) => s.batches);
  gauge('sluice_model_latency_p50_ms', 'Median model batch latency (ms).', (s) => s.latencyMs.p50 ?? 0);
  gauge('sluice_model_latency_p99_ms', '99th percentile model batch latency (ms).', (s) => s.latencyMs.p99 ?? 0);
  counter('sluice_model_errors_total', 'Model batches that failed.', (s) => s.errors);
  counter('sluice_model_fallbacks_total', 'Rows scored by a fallback model.', (s) => s.fallbackRows);
  readCounter(registry, {
    name: 'sluice_model_rows_by_role_total',
    help: 'Rows that went out scored by a model, by role (serving, canary, fallback, pinned; interactive for POST /v1/models/:name/predict).',
    labelNames: ['model', 'role'],
    read: () => [...models.statsSnapshots()].flatMap(([m, snap]) => Object.entries(snap.rowsByRole).map(([role, n]) => [{ model: m, role }, n] as const)),
  });
  counter('sluice_model_load_failures_total', 'Model files from a watched folder or an updates topic that failed to load (nothing changed).', (s) => s.loadFailures);
  counter('sluice_model_shadow_skipped_total', 'Rows a shadow candidate could not keep up with (skipped, never waited for).', (s) => s.shadowSkipped);
}

type Labels<L extends string> = Partial<Record<L, string>>;

interface ReadMetricSpec<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** The current values, one per label set; read at each scrape. */
  readonly read: () => Iterable<readonly [Labels<L>, number]>;
}

/**
 * A counter read from its source (a running query, a model) at each scrape. Counts that only
 * grow are counters ending in _total; values that go up and down are gauges without it
 * (Prometheus conventions). Series of a source that is gone disappear; one that starts again
 * from zero reads as a counter reset, which rate() and increase() allow for.
 */
function readCounter<L extends string>(registry: Registry, spec: ReadMetricSpec<L>): Counter<L> {
  if (!spec.name.endsWith('_total')) throw new Error(`counter ${spec.name} must end in _total`);
  const counter: Counter<L> = new Counter<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    registers: [registry],
    collect: () => {
      counter.reset();
      for (const [labels, value] of spec.read()) counter.inc(labels, Math.max(0, value));
    },
  });
  return counter;
}

/** A gauge read from its source at each scrape. */
function readGauge<L extends string>(registry: Registry, spec: ReadMetricSpec<L>): Gauge<L> {
  if (spec.name.endsWith('_total')) throw new Error(`gauge ${spec.name} must not end in _total`);
  const gauge: Gauge<L> = new Gauge<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    registers: [registry],
    collect: () => {
      gauge.reset();
      for (const [labels, value] of spec.read()) gauge.set(labels, value);
    },
  });
  return gauge;
}
