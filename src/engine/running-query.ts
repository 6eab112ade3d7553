/**
 * A running query: its pipeline, its sink, its dead letters, and — for persistent queries — the
 * checkpoint loop. Each epoch's output, dead letters, and source positions are written in one
 * atomic batch, so a restart resumes from the last checkpoint with no row lost or repeated.
 */
import { SluiceError, asSluiceError } from '../common/errors.js';
import type { Field } from '../common/types.js';
import type { RecordBatch } from 'apache-arrow';
import { readColumn } from '../exec/columns.js';
import { encodeBatch } from '../exec/ipc.js';
import { rowText, type DeadLetter, type Message, type SideOutput } from '../exec/message.js';
import { Pipeline, type ExecEnv } from '../exec/pipeline.js';
import type { PhysicalPlan } from '../planner/physical.js';
import { isRecordedStateIds, resolveStateIds, type RecordedStateIds } from '../exec/state-ids.js';
import type { CheckpointStore, EmbeddedLog, StateCache, Store } from '../state/index.js';
import { QueryState, type OperatorStateBytes } from './query-state.js';
import { appendDeadLetters, dlqBatch, PushQueue, type EpochSink } from './sinks.js';
import type { QueryInfo } from './types.js';

export interface QueryDeps {
  readonly store: Store;
  readonly log: EmbeddedLog;
  readonly checkpoints: CheckpointStore;
  readonly env: ExecEnv;
  readonly checkpointIntervalMs: number;
  /** The engine's state cache, which every state table reads through. */
  readonly stateCache?: StateCache;
  readonly onDeadLetters?: (queryId: string, n: number) => void;
  readonly onRowsOut?: (queryId: string, n: number) => void;
  /** End-to-end latency samples (seconds): output time minus the row's event time. */
  readonly onLatency?: (queryId: string, seconds: readonly number[]) => void;
}

/** What the engine needs of any running query, whether it runs here alone or across processes. */
export interface QueryHandle {
  readonly id: string;
  readonly kind: QueryInfo['kind'];
  readonly name: string | undefined;
  readonly status: QueryInfo['status'];
  readonly rowsIn: number;
  start(): Promise<void>;
  /** Takes a checkpoint now. */
  checkpoint(): Promise<void>;
  stop(status?: QueryInfo['status']): void;
  /** Resolves when the query stopped and released what it holds. */
  stopped(): Promise<void>;
  info(lag: number | undefined): QueryInfo;
  operatorStats(): readonly { readonly operator: string; readonly rowsOut: number }[];
  /** Source positions now (`topic/partition` -> offset), for lag over the embedded log. */
  positionsNow(): Record<string, number>;
  /** Records waiting in the query's inputs, when the query knows it itself (Kafka). */
  lag?(): number | undefined;
  /** Approximate state bytes on disk per stateful operator, as last measured. */
  stateBytes?(): readonly OperatorStateBytes[];
}

/** Records per second in and out, over at least the last second. */
export class RateMeter {
  private at = Date.now();
  private lastIn = 0;
  private lastOut = 0;
  private rates = { rateIn: 0, rateOut: 0 };

  sample(rowsIn: number, rowsOut: number): { readonly rateIn: number; readonly rateOut: number } {
    const now = Date.now();
    if (now - this.at >= 1000) {
      const s = (now - this.at) / 1000;
      this.rates = { rateIn: Math.round((rowsIn - this.lastIn) / s), rateOut: Math.round((rowsOut - this.lastOut) / s) };
      this.at = now;
      this.lastIn = rowsIn;
      this.lastOut = rowsOut;
    }
    return this.rates;
  }
}

/** What `queryInfo` reads of a running query. */
export interface QueryCounters {
  readonly id: string;
  readonly kind: QueryInfo['kind'];
  readonly name: string | undefined;
  readonly sql: string;
  readonly status: QueryInfo['status'];
  readonly error: SluiceError | undefined;
  readonly startedAt: number;
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly deadLetters: number;
}

/** The public description of a running query. */
export function queryInfo(q: QueryCounters, rate: RateMeter, lag: number | undefined, lastCheckpointEpoch: number | undefined, state?: readonly OperatorStateBytes[]): QueryInfo {
  return {
    id: q.id,
    kind: q.kind,
    ...(q.name ? { name: q.name } : {}),
    sql: q.sql,
    status: q.status,
    ...(q.error ? { error: { code: q.error.code, message: q.error.message } } : {}),
    startedAt: q.startedAt,
    rowsIn: q.rowsIn,
    rowsOut: q.rowsOut,
    deadLetters: q.deadLetters,
    ...rate.sample(q.rowsIn, q.rowsOut),
    ...(lag !== undefined ? { lag } : {}),
    ...(lastCheckpointEpoch !== undefined ? { lastCheckpointEpoch } : {}),
    ...(state?.length ? { state: { diskBytes: state.reduce((a, o) => a + o.bytes, 0), operators: state } } : {}),
  };
}

export type QueryOutput =
  | { readonly kind: 'push'; readonly queue: PushQueue; readonly limit?: number }
  | { readonly kind: 'epoch'; readonly sink: EpochSink };

/** Least time between two measurements of a query's state on disk. */
const STATE_MEASURE_MS = 5000;

/** What a running query is made of. */
export interface RunningQuerySpec {
  readonly id: string;
  readonly kind: QueryInfo['kind'];
  /** The view's or sink's name; absent for a push query. */
  readonly name?: string;
  readonly sql: string;
  readonly plan: PhysicalPlan;
  readonly fields: readonly Field[];
  readonly output: QueryOutput;
  readonly deps: QueryDeps;
  /** Embedded-log topic for dead letters. */
  readonly dlqTopic: string;
  /** Sources read what is there now and then end (finite runs, tests). Default false. */
  readonly bounded?: boolean;
  /** Output column holding the source's event time, for end-to-end latency. */
  readonly eventTimeColumn?: number;
}

interface Letter extends DeadLetter {
  readonly at: number;
}

export class RunningQuery implements QueryHandle {
  readonly abort = new AbortController();
  readonly startedAt = Date.now();
  status: QueryInfo['status'] = 'running';
  error: SluiceError | undefined;
  rowsOut = 0;
  deadLetters = 0;
  epoch = 0;
  private readonly pipeline: Pipeline;
  private letters: Letter[] = [];
  private sideOutputs: SideOutput[] = [];
  private readonly positions = new Map<number, Record<string, number>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly rate = new RateMeter();
  private finished: Promise<void> = Promise.resolve();
  /** Created by start(), once the checkpoint says under which ids the state lives. */
  private state: QueryState | undefined;
  /** The stateful operators' ids, recorded with every checkpoint. */
  private stateIds: RecordedStateIds = { ids: [] };
  /** State bytes on disk per operator, as last measured, and when. */
  private stateSizes: readonly OperatorStateBytes[] = [];
  private stateMeasuredAt = 0;
  /** Dead letters of a push query being written (they go straight to the log). */
  private letterWrites: Promise<unknown> = Promise.resolve();

  readonly id: string;
  readonly kind: QueryInfo['kind'];
  readonly name: string | undefined;
  readonly sql: string;
  readonly fields: readonly Field[];
  /** Embedded-log topic for dead letters. */
  readonly dlqTopic: string;
  private readonly output: QueryOutput;
  private readonly deps: QueryDeps;
  private readonly eventTimeColumn: number | undefined;
  private readonly plan: PhysicalPlan;

  constructor(spec: RunningQuerySpec) {
    const { id, plan, deps } = spec;
    this.id = id;
    this.kind = spec.kind;
    this.name = spec.name;
    this.sql = spec.sql;
    this.fields = spec.fields;
    this.dlqTopic = spec.dlqTopic;
    this.output = spec.output;
    this.deps = deps;
    this.eventTimeColumn = spec.eventTimeColumn;
    this.plan = plan;
    const bounded = spec.bounded ?? false;
    this.pipeline = new Pipeline(plan, deps.env, { process: (m) => this.onOutput(m) }, {
      signal: this.abort.signal,
      bounded,
      deadLetter: (l) => this.deadLetter(l),
      sideOutput: (o) => this.sideOutput(o),
      queryId: id,
      state: (i) => this.queryState().operator(i),
    });
  }

  get rowsIn(): number {
    return this.pipeline.rowsIn;
  }

  /** Restores from the latest checkpoint (persistent queries), opens operators and starts running. */
  async start(): Promise<void> {
    let recorded: RecordedStateIds | undefined;
    let restored = false;
    if (this.output.kind === 'epoch') {
      await this.output.sink.recover?.();
      const ckpt = await this.deps.checkpoints.latest(this.id);
      if (ckpt) {
        restored = true;
        const ids = ckpt.meta?.['stateIds'];
        if (isRecordedStateIds(ids)) recorded = ids;
        this.epoch = ckpt.epoch;
        for (const s of this.pipeline.sources) s.seek(ckpt.offsets);
      }
    }
    const layout = resolveStateIds(this.name ?? this.id, this.plan, recorded, restored);
    this.stateIds = layout.record;
    // State is written only with a checkpoint, so a persistent query without one has none.
    this.state = new QueryState(this.deps.store, this.deps.stateCache, this.id, layout.ids, '', this.output.kind === 'epoch' && !restored);
    await this.pipeline.open();
    this.finished = this.pipeline
      .run()
      .then(async () => {
        if (this.output.kind === 'epoch' && !this.abort.signal.aborted) await this.checkpoint();
        if (this.status === 'running') this.status = 'finished';
      })
      .catch((err: unknown) => this.fail(err))
      .finally(async () => {
        if (this.timer) clearInterval(this.timer);
        // A push query's reader sees the end only once its dead letters are in the log, so a
        // bounded query's letters can be read as soon as its rows have ended.
        await this.letterWrites;
        if (this.output.kind === 'push') this.output.queue.end(this.error);
      });
    if (this.output.kind === 'epoch') {
      this.timer = setInterval(() => {
        this.checkpoint().catch((err: unknown) => this.fail(err));
      }, this.deps.checkpointIntervalMs);
      this.timer.unref();
    }
  }

  private fail(err: unknown): void {
    if (this.abort.signal.aborted && this.status !== 'running') return;
    this.error = asSluiceError(err, 'QUERY_FAILED');
    this.status = 'failed';
    this.abort.abort();
  }

  private checkpointing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  /**
   * Takes a checkpoint (one at a time) that covers every row emitted before the call: when one
   * is in flight, its barrier may have gone before those rows, so a next one is queued behind it
   * (one at most, shared by every caller meanwhile).
   */
  checkpoint(): Promise<void> {
    if (this.status !== 'running' && this.status !== 'finished') return Promise.resolve();
    if (!this.checkpointing) {
      this.checkpointing = this.takeCheckpoint().finally(() => {
        this.checkpointing = undefined;
      });
      return this.checkpointing;
    }
    this.queued ??= this.checkpointing
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.checkpoint();
      });
    return this.queued;
  }

  private async takeCheckpoint(): Promise<void> {
    const epoch = this.epoch + 1;
    await this.pipeline.checkpoint(epoch, (p) => this.positions.set(epoch, p));
  }

  private async onOutput(msg: Message): Promise<void> {
    switch (msg.kind) {
      case 'data': {
        // A push query's LIMIT cuts the batch first: rowsOut counts the rows delivered.
        const limit = this.output.kind === 'push' ? this.output.limit : undefined;
        const batch = limit !== undefined && this.rowsOut + msg.batch.numRows > limit ? msg.batch.slice(0, Math.max(0, limit - this.rowsOut)) : msg.batch;
        this.rowsOut += batch.numRows;
        this.deps.onRowsOut?.(this.id, batch.numRows);
        this.observeLatency(batch);
        if (this.output.kind === 'push') {
          await this.output.queue.push(batch, msg.rowKinds);
          if (limit !== undefined && this.rowsOut >= limit) this.stop('finished');
        } else {
          await this.writeToSink(this.output.sink, msg.batch, msg.rowKinds);
        }
        return;
      }
      case 'barrier':
        if (this.output.kind === 'epoch') await this.commit(msg.epoch);
        return;
      case 'watermark':
      case 'end':
        return;
    }
  }

  /**
   * Hands a batch to the sink. A sink's write only encodes and buffers (delivery happens at
   * commit), so an exception there comes from a row the sink cannot encode: the batch is then
   * written row by row and each row that throws goes to the dead-letter stream, never failing
   * the view or sink.
   */
  private async writeToSink(sink: EpochSink, batch: RecordBatch, rowKinds: Uint8Array | undefined): Promise<void> {
    try {
      await sink.write(batch, rowKinds);
      return;
    } catch {
      // Find the rows below.
    }
    for (let i = 0; i < batch.numRows; i++) {
      const one = batch.slice(i, i + 1);
      try {
        await sink.write(one, rowKinds?.subarray(i, i + 1));
      } catch (e) {
        let row: string;
        try {
          row = rowText(one, this.fields, 0);
        } catch {
          row = '(the row could not be rendered)';
        }
        this.deadLetter({ reason: `${this.kind} ${this.name ?? this.id}: cannot write the row: ${e instanceof Error ? e.message : String(e)}`, operator: 'sink', row });
      }
    }
  }

  /** Samples output time minus event time, when the output carries the source's event time. */
  private observeLatency(batch: import('apache-arrow').RecordBatch): void {
    if (this.eventTimeColumn === undefined || !this.deps.onLatency || batch.numRows === 0) return;
    const times = readColumn(batch, this.eventTimeColumn, this.fields[this.eventTimeColumn]!.type);
    const now = Date.now();
    const step = Math.max(1, Math.floor(times.length / 64));
    const out: number[] = [];
    for (let i = 0; i < times.length; i += step) {
      const t = times[i];
      if (typeof t === 'number') out.push(Math.max(0, now - t) / 1000);
    }
    if (out.length) this.deps.onLatency(this.id, out);
  }

  operatorStats(): readonly { readonly operator: string; readonly rowsOut: number }[] {
    return this.pipeline.operatorStats;
  }

  /**
   * Writes the epoch's output, dead letters, side outputs (prediction logs) and positions in one atomic batch. When any part
   * cannot be written, nothing of the epoch is: the checkpoint fails, and with it the query
   * (STATE_ERROR, shown by SHOW QUERIES); on restart it resumes from the previous checkpoint
   * and sends the same rows, and the same dead letters, again.
   */
  private async commit(epoch: number): Promise<void> {
    if (this.output.kind !== 'epoch') return;
    const wb = this.deps.store.batch();
    const letters = this.letters;
    const side = this.sideOutputs;
    try {
      this.output.sink.stage(wb);
      this.state?.flush(wb);
      if (letters.length) this.deps.log.append(this.dlqTopic, 0, encodeBatch(dlqBatch(letters)), letters.length, wb);
      for (const o of side) this.deps.log.append(o.topic, 0, encodeBatch(o.batch), o.batch.numRows, wb);
      this.deps.checkpoints.stage(wb, this.id, { epoch, offsets: this.positions.get(epoch) ?? {}, meta: { stateIds: { ids: [...this.stateIds.ids] } } });
      await wb.write();
    } catch (err) {
      if (!wb.isDone) wb.discard();
      throw new SluiceError('STATE_ERROR', `${this.kind} ${this.name ?? this.id}: checkpoint ${epoch} (its output, state, ${letters.length} dead letter(s) for '${this.dlqTopic}' and source positions) could not be written: ${err instanceof Error ? err.message : String(err)}`, {
        hint: 'check the data folder (disk space, permissions); the query resumes from its last checkpoint when the engine restarts',
        cause: err,
      });
    }
    this.positions.delete(epoch);
    this.letters = [];
    this.sideOutputs = this.sideOutputs.slice(side.length);
    this.epoch = epoch;
    this.measureState();
    await this.output.sink.committed(epoch);
  }

  /**
   * Rows for another stream (a model's prediction log). A persistent query writes them with the
   * epoch's output and positions, so after a crash they are there exactly once; a push query
   * writes them at once, in order.
   */
  private sideOutput(o: SideOutput): void {
    this.sideOutputs.push(o);
    if (this.output.kind === 'epoch' || this.sideOutputs.length > 1) return;
    // A push query writes them in one durable write per turn of the event loop, like its dead letters.
    this.letterWrites = this.letterWrites.then(
      () =>
        new Promise<void>((resolve) => {
          setImmediate(() => {
            const wb = this.deps.store.batch();
            for (const x of this.sideOutputs) this.deps.log.append(x.topic, 0, encodeBatch(x.batch), x.batch.numRows, wb);
            this.sideOutputs = [];
            // A log row that cannot be written fails the query, like a dead letter that cannot.
            wb.write()
              .catch((err: unknown) => this.fail(new SluiceError('STATE_ERROR', `${this.kind} query ${this.name ?? this.id}: prediction log rows could not be written: ${err instanceof Error ? err.message : String(err)}`, { cause: err })))
              .then(() => resolve());
          });
        }),
    );
  }

  private deadLetter(l: DeadLetter): void {
    this.deadLetters++;
    this.deps.onDeadLetters?.(this.id, 1);
    const letter = { ...l, at: Date.now() };
    if (this.output.kind === 'epoch') {
      this.letters.push(letter);
      return;
    }
    // Letters of a push query go to the log in one chunk per turn of the event loop, not one
    // synchronous write each: a stream of bad rows must not slow the query to the disk's pace.
    this.letters.push(letter);
    if (this.letters.length > 1) return;
    this.letterWrites = this.letterWrites.then(
      () =>
        new Promise<void>((resolve) => {
          setImmediate(() => {
            const batch = this.letters;
            this.letters = [];
            appendDeadLetters(this.deps.log, this.dlqTopic, batch, `${this.kind} query ${this.name ?? this.id}`)
              .catch((err: unknown) => this.fail(err))
              .then(() => resolve());
          });
        }),
    );
  }

  /** Stops the query; the pipeline's sources see the abort and end. */
  stop(status: QueryInfo['status'] = 'finished'): void {
    if (this.status === 'running') this.status = status;
    this.abort.abort();
  }

  /** The query's state (operator tables), once started. */
  private queryState(): QueryState {
    if (!this.state) throw new SluiceError('INTERNAL', `query ${this.id} opened its operators before its state layout was resolved`);
    return this.state;
  }

  stateBytes(): readonly OperatorStateBytes[] {
    return this.stateSizes;
  }

  /** Measures the state on disk again when the last measurement is a few seconds old. */
  private measureState(): void {
    const now = Date.now();
    if (!this.state || now - this.stateMeasuredAt < STATE_MEASURE_MS || this.deps.store.isClosed) return;
    this.stateMeasuredAt = now;
    this.state.diskBytes().then(
      (sizes) => (this.stateSizes = sizes),
      () => undefined,
    );
  }

  async stopped(): Promise<void> {
    await this.finished;
    await this.letterWrites;
    await this.pipeline.close().catch(() => undefined);
    this.state?.release();
    if (this.output.kind === 'epoch') await this.output.sink.close?.().catch(() => undefined);
  }

  info(lag: number | undefined): QueryInfo {
    return queryInfo(this, this.rate, lag, this.output.kind === 'epoch' ? this.epoch : undefined, this.stateSizes);
  }

  /** Source positions now, for lag. */
  positionsNow(): Record<string, number> {
    return Object.assign({}, ...this.pipeline.sources.map((s) => s.positions())) as Record<string, number>;
  }
}
