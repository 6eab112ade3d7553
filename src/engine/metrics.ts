/** The engine's Prometheus metrics: per query, per operator, per log topic and per model. */
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

  constructor(queries: QueryRegistry, models: ModelRegistry) {
    const registers = [this.registry];
    this.rowsOut = new Counter({ name: 'sluice_query_records_out_total', help: 'Records a query has output.', labelNames: ['query'], registers });
    this.deadLetters = new Counter({ name: 'sluice_dead_letters_total', help: 'Rows sent to a query dead-letter stream.', labelNames: ['query'], registers });
    this.expired = new Counter({ name: 'sluice_log_records_expired_total', help: 'Records removed from embedded-log topics by their retention.', labelNames: ['topic'], registers });
    this.missed = new Counter({
      name: 'sluice_log_records_missed_total',
      help: 'Records a query could not read because retention had removed them before it got there.',
      labelNames: ['topic'],
      registers,
    });
    const rowsIn: Gauge = new Gauge({
      name: 'sluice_query_records_in_total',
      help: 'Records a query has read from its sources.',
      labelNames: ['query'],
      registers,
      collect: () => {
        for (const q of queries.running.values()) rowsIn.set({ query: q.name ?? q.id }, q.rowsIn);
      },
    });
    const operatorOut: Gauge = new Gauge({
      name: 'sluice_operator_records_out_total',
      help: 'Records an operator has emitted (its parent operator reads them).',
      labelNames: ['query', 'operator'],
      registers,
      collect: () => {
        for (const q of queries.running.values()) {
          for (const o of q.operatorStats()) operatorOut.set({ query: q.name ?? q.id, operator: o.operator }, o.rowsOut);
        }
      },
    });
    this.latency = new Histogram({
      name: 'sluice_end_to_end_latency_seconds',
      help: 'Output time minus event time of output rows (sampled), for queries whose output carries the source event time.',
      labelNames: ['query'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    const lag: Gauge = new Gauge({
      name: 'sluice_query_lag_records',
      help: 'Records available in a query source but not yet read.',
      labelNames: ['query'],
      registers,
      collect: () => {
        for (const q of queries.running.values()) {
          const n = queries.lagOf(q);
          if (n !== undefined) lag.set({ query: q.name ?? q.id }, n);
        }
      },
    });
    registerModelMetrics(this.registry, models);
  }

  /** A query (by its label: view or sink name, else id) has output `n` records. */
  recordsOut(query: string, n: number): void {
    this.rowsOut.inc({ query }, n);
  }

  /** A query has sent `n` rows to its dead-letter stream. */
  deadLettered(query: string, n: number): void {
    this.deadLetters.inc({ query }, n);
  }

  /** End-to-end latency samples (seconds) of a query's output rows. */
  observeLatency(query: string, seconds: readonly number[]): void {
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
  const g = (name: string, help: string, read: (s: ModelStatsSnapshot) => number) => {
    const gauge: Gauge = new Gauge({
      name,
      help,
      labelNames: ['model'],
      registers: [registry],
      collect: () => {
        for (const [m, snap] of models.statsSnapshots()) gauge.set({ model: m }, read(snap));
      },
    });
  };
  g('sluice_model_rows_scored_total', 'Rows scored by a model.', (s) => s.rows);
  g('sluice_model_batches_total', 'Batches run by a model.', (s) => s.batches);
  g('sluice_model_latency_p50_ms', 'Median model batch latency (ms).', (s) => s.latencyMs.p50 ?? 0);
  g('sluice_model_latency_p99_ms', '99th percentile model batch latency (ms).', (s) => s.latencyMs.p99 ?? 0);
  g('sluice_model_errors_total', 'Model batches that failed.', (s) => s.errors);
  g('sluice_model_fallbacks_total', 'Rows scored by a fallback model.', (s) => s.fallbackRows);
  const byRole: Gauge = new Gauge({
    name: 'sluice_model_rows_by_role_total',
    help: 'Rows that went out scored by a model, by role (serving, canary, fallback, pinned; interactive for POST /v1/models/:name/predict).',
    labelNames: ['model', 'role'],
    registers: [registry],
    collect: () => {
      for (const [m, snap] of models.statsSnapshots()) for (const [role, n] of Object.entries(snap.rowsByRole)) byRole.set({ model: m, role }, n);
    },
  });
  g('sluice_model_load_failures_total', 'Model files from a watched folder that failed to load (nothing changed).', (s) => s.loadFailures);
  g('sluice_model_shadow_skipped_total', 'Rows a shadow candidate could not keep up with (skipped, never waited for).', (s) => s.shadowSkipped);
}
