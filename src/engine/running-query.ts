/**
 * A query running here alone: its output (a push client, or an epoch sink for views and sinks),
 * its dead letters and its counters, on a QueryRunner that drives the pipeline and checkpoints.
 * A persistent query's epoch output, state, dead letters and source positions are written in
 * one atomic batch, so a restart resumes from the last checkpoint with no row lost or repeated.
 */
import { SluiceError, asSluiceError } from '../common/errors.js';
import type { Field } from '../common/types.js';
import type { RecordBatch } from 'apache-arrow';
import { readColumn } from '../exec/columns.js';
import { encodeBatch } from '../exec/ipc.js';
import { rowText, type SideOutput } from '../exec/message.js';
import type { ExecEnv } from '../exec/pipeline.js';
import type { PhysicalPlan } from '../planner/physical.js';
import type { CheckpointStore, EmbeddedLog, StateCache, Store } from '../state/index.js';
import type { OperatorStateBytes } from './query-state.js';
import { QueryRunner, type CommitProtocol, type TimedDeadLetter } from './query-runner.js';
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
  | { readonly kind: 'push'; readonly queue: PushQueue; readonly limit?: number; readonly offset?: number }
  | { readonly kind: 'epoch'; readonly sink: EpochSink };

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

export class RunningQuery implements QueryHandle {
  readonly abort = new AbortController();
  readonly startedAt = Date.now();
  status: QueryInfo['status'] = 'running';
  error: SluiceError | undefined;
  rowsOut = 0;
  deadLetters = 0;
  private readonly runner: QueryRunner;
  private readonly rate = new RateMeter();
  private finished: Promise<void> = Promise.resolve();
  /** Dead letters and side outputs of a push query waiting for their write, and the writes in flight. */
  private letters: TimedDeadLetter[] = [];
  private sideOutputs: SideOutput[] = [];
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

  constructor(spec: RunningQuerySpec) {
    const { id, deps } = spec;
    this.id = id;
    this.kind = spec.kind;
    this.name = spec.name;
    this.sql = spec.sql;
    this.fields = spec.fields;
    this.dlqTopic = spec.dlqTopic;
    this.output = spec.output;
    this.deps = deps;
    this.eventTimeColumn = spec.eventTimeColumn;
    this.runner = new QueryRunner({
      queryId: id,
      label: this.name ?? id,
      plan: spec.plan,
      env: deps.env,
      store: deps.store,
      ...(deps.stateCache ? { stateCache: deps.stateCache } : {}),
      signal: this.abort.signal,
      bounded: spec.bounded ?? false,
      checkpointIntervalMs: deps.checkpointIntervalMs,
      protocol: this.output.kind === 'epoch' ? this.epochCommit(this.output.sink) : this.pushOutput(this.output),
      live: () => this.status === 'running' || this.status === 'finished',
      onFailed: (err) => this.fail(err),
      onDeadLetter: () => {
        this.deadLetters++;
        this.deps.onDeadLetters?.(this.id, 1);
      },
      measureState: true,
    });
  }

  get rowsIn(): number {
    return this.runner.pipeline.rowsIn;
  }

  /** The last committed checkpoint's epoch. */
  get epoch(): number {
    return this.runner.epoch;
  }

  /** Restores from the latest checkpoint (persistent queries), opens operators and starts running. */
  async start(): Promise<void> {
    await this.runner.start();
    this.finished = this.runner
      .run()
      .then(() => {
        if (this.status === 'running') this.status = 'finished';
      })
      .catch((err: unknown) => this.fail(err))
      .finally(async () => {
        // A push query's reader sees the end only once its dead letters are in the log, so a
        // bounded query's letters can be read as soon as its rows have ended.
        await this.letterWrites;
        if (this.output.kind === 'push') this.output.queue.end(this.error);
      });
  }

  private fail(err: unknown): void {
    if (this.abort.signal.aborted && this.status !== 'running') return;
    this.error = asSluiceError(err, 'QUERY_FAILED');
    this.status = 'failed';
    this.abort.abort();
  }

  /** Takes a checkpoint now, covering every row emitted before the call. */
  checkpoint(): Promise<void> {
    return this.runner.checkpoint();
  }

  /**
   * A persistent query's commit: the epoch's output (staged by the sink), state, dead letters,
   * side outputs (prediction logs) and source positions in one atomic batch. When any part
   * cannot be written, nothing of the epoch is: the checkpoint fails, and with it the query
   * (STATE_ERROR, shown by SHOW QUERIES); on restart it resumes from the previous checkpoint
   * and sends the same rows, and the same dead letters, again. A sink that delivers elsewhere
   * (the Kafka outbox) does it once the batch is durable.
   */
  private epochCommit(sink: EpochSink): CommitProtocol {
    const { checkpoints, log } = this.deps;
    return {
      pipelined: true,
      resume: async () => {
        await sink.recover?.();
        const ckpt = await checkpoints.latest(this.id);
        return ckpt ? { restored: true, epoch: ckpt.epoch, offsets: ckpt.offsets, stateIds: ckpt.meta?.['stateIds'] } : { restored: false, stateEmpty: true };
      },
      write: (msg) => {
        this.countOutput(msg.batch);
        return this.writeToSink(sink, msg.batch, msg.rowKinds);
      },
      commit: async ({ epoch, wb, positions, letters, sideOutputs, stateIds }) => {
        try {
          sink.stage(wb);
          if (letters.length) log.append(this.dlqTopic, 0, encodeBatch(dlqBatch(letters)), letters.length, wb);
          for (const o of sideOutputs) log.append(o.topic, 0, encodeBatch(o.batch), o.batch.numRows, wb);
          checkpoints.stage(wb, this.id, { epoch, offsets: positions, meta: { stateIds: { ids: [...stateIds.ids] } } });
          await wb.write();
        } catch (err) {
          throw new SluiceError('STATE_ERROR', `${this.kind} ${this.name ?? this.id}: checkpoint ${epoch} (its output, state, ${letters.length} dead letter(s) for '${this.dlqTopic}' and source positions) could not be written: ${err instanceof Error ? err.message : String(err)}`, {
            hint: 'check the data folder (disk space, permissions); the query resumes from its last checkpoint when the engine restarts',
            cause: err,
          });
        }
      },
      committed: async (epoch) => {
        await sink.committed(epoch);
      },
    };
  }

  /**
   * A push query's output: rows go to the client as they come (a LIMIT cuts them), and dead
   * letters and side outputs (prediction logs) go to the log at once, in order. It takes no
   * checkpoints.
   */
  private pushOutput(output: Extract<QueryOutput, { kind: 'push' }>): CommitProtocol {
    // Rows still to skip (OFFSET) before the first one delivered.
    let skip = output.offset ?? 0;
    return {
      // A push query's id is new to the data folder and it never commits state: nothing of it is on disk.
      resume: () => Promise.resolve({ restored: false, stateEmpty: true, stateEphemeral: true }),
      write: async (msg) => {
        let { batch, rowKinds } = msg;
        if (skip > 0) {
          const n = Math.min(skip, batch.numRows);
          skip -= n;
          if (n === batch.numRows) return;
          batch = batch.slice(n);
          rowKinds = rowKinds?.subarray(n);
        }
        // The LIMIT cuts the batch first: rowsOut counts the rows delivered.
        const { limit } = output;
        if (limit !== undefined && this.rowsOut + batch.numRows > limit) batch = batch.slice(0, Math.max(0, limit - this.rowsOut));
        this.countOutput(batch);
        await output.queue.push(batch, rowKinds);
        if (limit !== undefined && this.rowsOut >= limit) this.stop('finished');
      },
      deadLetter: (l) => this.writeSoon(() => this.letters.push(l) === 1),
      sideOutput: (o) => this.writeSoon(() => this.sideOutputs.push(o) === 1),
    };
  }

  /**
   * Queues a push query's dead letter or side output (`add` says whether it is the first
   * waiting): they go to the log in one durable write per turn of the event loop, not one
   * synchronous write each, so a stream of bad rows does not slow the query to the disk's pace.
   */
  private writeSoon(add: () => boolean): void {
    if (!add()) return;
    this.letterWrites = this.letterWrites.then(
      () =>
        new Promise<void>((resolve) => {
          setImmediate(() => this.writeWaiting().then(resolve));
        }),
    );
  }

  /** Writes the waiting dead letters and side outputs of a push query; a failed write fails the query. */
  private async writeWaiting(): Promise<void> {
    const letters = this.letters;
    const side = this.sideOutputs;
    this.letters = [];
    this.sideOutputs = [];
    if (letters.length) await appendDeadLetters(this.deps.log, this.dlqTopic, letters, `${this.kind} query ${this.name ?? this.id}`).catch((err: unknown) => this.fail(err));
    if (side.length === 0) return;
    const wb = this.deps.store.batch();
    for (const x of side) this.deps.log.append(x.topic, 0, encodeBatch(x.batch), x.batch.numRows, wb);
    await wb.write().catch((err: unknown) => this.fail(new SluiceError('STATE_ERROR', `${this.kind} query ${this.name ?? this.id}: prediction log rows could not be written: ${err instanceof Error ? err.message : String(err)}`, { cause: err })));
  }

  private countOutput(batch: RecordBatch): void {
    this.rowsOut += batch.numRows;
    this.deps.onRowsOut?.(this.id, batch.numRows);
    this.observeLatency(batch);
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
        this.runner.deadLetter({ reason: `${this.kind} ${this.name ?? this.id}: cannot write the row: ${e instanceof Error ? e.message : String(e)}`, operator: 'sink', row });
      }
    }
  }

  /** Samples output time minus event time, when the output carries the source's event time. */
  private observeLatency(batch: RecordBatch): void {
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
    return this.runner.pipeline.operatorStats;
  }

  /** Stops the query; the pipeline's sources see the abort and end. */
  stop(status: QueryInfo['status'] = 'finished'): void {
    if (this.status === 'running') this.status = status;
    this.abort.abort();
  }

  stateBytes(): readonly OperatorStateBytes[] {
    return this.runner.stateBytes();
  }

  async stopped(): Promise<void> {
    await this.finished;
    await this.letterWrites;
    await this.runner.close();
    if (this.output.kind === 'epoch') await this.output.sink.close?.().catch(() => undefined);
  }

  info(lag: number | undefined): QueryInfo {
    return queryInfo(this, this.rate, lag, this.output.kind === 'epoch' ? this.runner.epoch : undefined, this.runner.stateBytes());
  }

  /** Source positions now, for lag. */
  positionsNow(): Record<string, number> {
    return Object.assign({}, ...this.runner.pipeline.sources.map((s) => s.positions())) as Record<string, number>;
  }
}
