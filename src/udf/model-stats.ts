/**
 * Per-model serving statistics in fixed memory: counters, a power-of-two batch-size histogram,
 * and batch latency as exact min/max, a fixed latency histogram (for Prometheus) and a ring of
 * the most recent samples (for p50/p99).
 */

/** Upper bounds (ms) of the latency histogram buckets; a last bucket catches the rest. */
export const LATENCY_BUCKETS_MS = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;
/** Batch sizes are counted in buckets (2^(i-1), 2^i]; the last bucket is everything above 2^16. */
const BATCH_BUCKETS = 17;
const RESERVOIR = 1024;

/** One histogram bucket: how many observations were at most `le` (not cumulative). */
export interface HistogramBucket {
  /** Upper bound, or `Infinity` for the last bucket. */
  readonly le: number;
  readonly count: number;
}

/**
 * A point-in-time copy of a model's statistics, for DESCRIBE MODEL and /metrics. Latencies are
 * milliseconds of wall time per batch as the runner saw it (queueing in the worker included);
 * percentiles are over the last 1024 batches and are null before the first batch.
 */
export interface ModelStatsSnapshot {
  readonly rows: number;
  readonly batches: number;
  /** Batches that failed (model error), counted once each. */
  readonly errors: number;
  /** Rows that came back flagged as errors (no fallback, or the fallback failed too). */
  readonly errorRows: number;
  /** Batches that missed the latency budget. */
  readonly timeouts: number;
  /** Batches scored by the fallback model instead of this one. */
  readonly fallbacks: number;
  readonly fallbackRows: number;
  /** Rows this model scored while standing in as another model's fallback. */
  readonly rowsAsFallback: number;
  /** Rows that went out per role: serving, canary, pinned (a query naming a version), fallback, interactive (POST /v1/models/:name/predict). */
  readonly rowsByRole: Readonly<Record<string, number>>;
  /** Rows the shadow candidate could not keep up with (its queue was full, or a checkpoint came first). */
  readonly shadowSkipped: number;
  /** Files from a watched folder or records from an updates topic that failed to load (nothing changed). */
  readonly loadFailures: number;
  readonly batchSize: { readonly buckets: readonly HistogramBucket[]; readonly sum: number; readonly count: number };
  readonly latencyMs: {
    readonly min: number | null;
    readonly p50: number | null;
    readonly p99: number | null;
    readonly max: number | null;
    readonly sum: number;
    readonly count: number;
    readonly buckets: readonly HistogramBucket[];
  };
}

/** Mutable statistics of one model; every method is O(1) except `snapshot`. */
export class ModelStats {
  private rows = 0;
  private batches = 0;
  private errors = 0;
  private errorRows = 0;
  private timeouts = 0;
  private fallbacks = 0;
  private fallbackRows = 0;
  private rowsAsFallback = 0;
  private readonly rowsByRole: Record<string, number> = {};
  private shadowSkipped = 0;
  private loadFailures = 0;
  private readonly batchBuckets = new Float64Array(BATCH_BUCKETS + 1);
  private batchRowSum = 0;
  private readonly latencyBuckets = new Float64Array(LATENCY_BUCKETS_MS.length + 1);
  private latencySum = 0;
  private latencyCount = 0;
  private latencyMin = Infinity;
  private latencyMax = -Infinity;
  private readonly recent = new Float64Array(RESERVOIR);
  private recentNext = 0;

  /** A batch of `rows` scored in `ms`. */
  recordBatch(rows: number, ms: number, asFallback = false): void {
    this.rows += rows;
    this.batches++;
    if (asFallback) this.rowsAsFallback += rows;
    const b = rows <= 1 ? 0 : Math.min(BATCH_BUCKETS, Math.ceil(Math.log2(rows)));
    this.batchBuckets[b]! += 1;
    this.batchRowSum += rows;
    this.recordLatency(ms);
  }

  private recordLatency(ms: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[i]!) i++;
    this.latencyBuckets[i]! += 1;
    this.latencySum += ms;
    this.latencyCount++;
    this.latencyMin = Math.min(this.latencyMin, ms);
    this.latencyMax = Math.max(this.latencyMax, ms);
    this.recent[this.recentNext % RESERVOIR] = ms;
    this.recentNext++;
  }

  recordError(): void {
    this.errors++;
  }

  recordErrorRows(rows: number): void {
    this.errorRows += rows;
  }

  recordTimeout(): void {
    this.timeouts++;
  }

  /** Rows that went out scored in `role`. */
  recordRole(role: string, rows: number): void {
    this.rowsByRole[role] = (this.rowsByRole[role] ?? 0) + rows;
  }

  recordLoadFailure(): void {
    this.loadFailures++;
  }

  recordShadowSkipped(rows: number): void {
    this.shadowSkipped += rows;
  }

  recordFallback(rows: number): void {
    this.fallbacks++;
    this.fallbackRows += rows;
  }

  snapshot(): ModelStatsSnapshot {
    const n = Math.min(this.recentNext, RESERVOIR);
    const sorted = Array.from(this.recent.subarray(0, n)).sort((a, b) => a - b);
    const pct = (p: number): number | null => (n === 0 ? null : (sorted[Math.min(n - 1, Math.ceil(p * n) - 1)] ?? null));
    return {
      rows: this.rows,
      batches: this.batches,
      errors: this.errors,
      errorRows: this.errorRows,
      timeouts: this.timeouts,
      fallbacks: this.fallbacks,
      fallbackRows: this.fallbackRows,
      rowsAsFallback: this.rowsAsFallback,
      rowsByRole: { ...this.rowsByRole },
      shadowSkipped: this.shadowSkipped,
      loadFailures: this.loadFailures,
      batchSize: {
        buckets: Array.from(this.batchBuckets, (count, i) => ({ le: i === BATCH_BUCKETS ? Infinity : 2 ** i, count })),
        sum: this.batchRowSum,
        count: this.batches,
      },
      latencyMs: {
        min: this.latencyCount ? this.latencyMin : null,
        p50: pct(0.5),
        p99: pct(0.99),
        max: this.latencyCount ? this.latencyMax : null,
        sum: this.latencySum,
        count: this.latencyCount,
        buckets: Array.from(this.latencyBuckets, (count, i) => ({ le: LATENCY_BUCKETS_MS[i] ?? Infinity, count })),
      },
    };
  }
}

function promLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function promHistogram(out: string[], metric: string, labels: string, buckets: readonly HistogramBucket[], sum: number, count: number): void {
  let cumulative = 0;
  for (const b of buckets) {
    cumulative += b.count;
    out.push(`${metric}_bucket{${labels},le="${b.le === Infinity ? '+Inf' : b.le}"} ${cumulative}`);
  }
  out.push(`${metric}_sum{${labels}} ${sum}`, `${metric}_count{${labels}} ${count}`);
}

/** Renders snapshots (by model name) in the Prometheus text exposition format. */
export function renderPrometheus(models: ReadonlyMap<string, ModelStatsSnapshot> | Readonly<Record<string, ModelStatsSnapshot>>): string {
  const entries = models instanceof Map ? [...models.entries()] : Object.entries(models);
  const out: string[] = [];
  const counters: [keyof ModelStatsSnapshot, string, string][] = [
    ['rows', 'sluice_model_rows_total', 'Rows scored by the model.'],
    ['batches', 'sluice_model_batches_total', 'Batches run by the model.'],
    ['errors', 'sluice_model_errors_total', 'Batches that failed.'],
    ['errorRows', 'sluice_model_error_rows_total', 'Rows returned as errors.'],
    ['timeouts', 'sluice_model_timeouts_total', 'Batches that missed the latency budget.'],
    ['fallbacks', 'sluice_model_fallbacks_total', 'Batches scored by the fallback model.'],
  ];
  for (const [key, metric, help] of counters) {
    out.push(`# HELP ${metric} ${help}`, `# TYPE ${metric} counter`);
    for (const [name, s] of entries) out.push(`${metric}{model="${promLabel(name)}"} ${s[key] as number}`);
  }
  out.push('# HELP sluice_model_batch_rows Rows per batch.', '# TYPE sluice_model_batch_rows histogram');
  for (const [name, s] of entries) promHistogram(out, 'sluice_model_batch_rows', `model="${promLabel(name)}"`, s.batchSize.buckets, s.batchSize.sum, s.batchSize.count);
  out.push('# HELP sluice_model_batch_latency_ms Batch latency in milliseconds.', '# TYPE sluice_model_batch_latency_ms histogram');
  for (const [name, s] of entries) promHistogram(out, 'sluice_model_batch_latency_ms', `model="${promLabel(name)}"`, s.latencyMs.buckets, s.latencyMs.sum, s.latencyMs.count);
  return out.join('\n') + '\n';
}
