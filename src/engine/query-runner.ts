/**
 * Runs a query's operator pipeline and its checkpoints, the same way for a query running here
 * alone and for one partition's task of a scale-out query. How an epoch's output commits is the
 * one thing that differs, and a CommitProtocol says it.
 *
 * Invariants:
 * - State ids are resolved once, from what the last checkpoint recorded, before any operator
 *   opens; every state table is read through the engine's state cache.
 * - A checkpoint is a barrier injected into every source under the pipeline's lock, with the
 *   source positions it reflects. When the barrier reaches the output, the epoch's state
 *   changes, output, dead letters, side outputs and positions go to the protocol's `commit`
 *   together: it commits all of them or none (and throws), so a restart resumes from the last
 *   committed checkpoint with no row lost or repeated.
 * - One checkpoint is taken at a time, and it resolves once its epoch is committed. A call while
 *   one is in flight gets the next one (queued once, shared by every caller meanwhile): the
 *   barrier in flight may have gone before rows the caller wants covered.
 * - With a pipelined protocol the pipeline goes on with the next epoch's rows while an epoch's
 *   commit is in flight. At most one commit is in flight: the next barrier is injected only
 *   after it ended, so an epoch is staged only once the one before it committed (or failed,
 *   which fails the query).
 */
import { isRecordedStateIds, resolveStateIds, type RecordedStateIds } from '../exec/state-ids.js';
import type { DeadLetter, Message, SideOutput } from '../exec/message.js';
import { Pipeline, type ExecEnv } from '../exec/pipeline.js';
import type { PhysicalPlan } from '../planner/physical.js';
import type { StateCache, Store, WriteBatch } from '../state/index.js';
import { QueryState, type OperatorStateBytes } from './query-state.js';

/** A batch of the plan's output. */
export type OutputMessage = Extract<Message, { kind: 'data' }>;

/** A dead letter with the time it was raised. */
export interface TimedDeadLetter extends DeadLetter {
  readonly at: number;
}

/** Where a run resumes: what its last committed checkpoint holds. */
export interface Resume {
  /** Whether the query committed before, so its state ids must match what it recorded. */
  readonly restored: boolean;
  readonly epoch?: number;
  /** Source positions to seek to (`topic/partition` -> offset). */
  readonly offsets?: Readonly<Record<string, number>>;
  /** The stateful operators' ids as the checkpoint recorded them (checked before use). */
  readonly stateIds?: unknown;
  /**
   * The query holds no state on disk (it never committed a checkpoint, and its state is written
   * only with one), so its tables need not read keys they never wrote (see
   * StateTableOptions.startsEmpty).
   */
  readonly stateEmpty?: boolean;
  /** The run never checkpoints (a push query), so its state is never written (see StateTableOptions.ephemeral). */
  readonly stateEphemeral?: boolean;
}

/** What one checkpoint commits, all of it or none. */
export interface EpochCommit {
  readonly epoch: number;
  /** Holds the epoch's state changes; the protocol adds what it writes locally, then writes or discards it. */
  readonly wb: WriteBatch;
  /** Source positions the epoch's output reflects. */
  readonly positions: Readonly<Record<string, number>>;
  readonly letters: readonly TimedDeadLetter[];
  readonly sideOutputs: readonly SideOutput[];
  /** The stateful operators' ids, to record with the checkpoint. */
  readonly stateIds: RecordedStateIds;
}

/**
 * How a query's output commits: an epoch sink staged into the checkpoint's write batch (views,
 * log topics, the Kafka outbox), a scale-out task's Kafka transaction, or nothing at all (a
 * push query hands rows to its client as they come).
 */
export interface CommitProtocol {
  /**
   * Called once before any operator opens: recovers what a crash left and says where to resume
   * (undefined: from the start). `state` is the query's state scope, for
   * task-level tables.
   */
  resume(state: QueryState): Promise<Resume | undefined>;
  /** Takes a batch of the plan's output (buffered until the epoch commits, or handed on at once). */
  write(msg: OutputMessage): Promise<void> | void;
  /** The plan's output watermark. */
  watermark?(time: number): void;
  /** Takes a dead letter at once; without this, dead letters commit with their epoch. */
  deadLetter?(letter: TimedDeadLetter): void;
  /** Takes a side output at once; without this, side outputs commit with their epoch. */
  sideOutput?(out: SideOutput): void;
  /** Updates task-level state that commits with the epoch (before the state is flushed into the batch). */
  beforeFlush?(state: QueryState, stateIds: RecordedStateIds): void;
  /**
   * Commits the epoch atomically, or throws having committed nothing (the query fails and a
   * restart resumes from the previous checkpoint). Without it the query takes no checkpoints.
   */
  commit?(c: EpochCommit): Promise<void>;
  /** `commit` reads the epoch's state changes back from its batch (`wb.staged()`, see Store.batch's keepStaged). */
  readonly readsStaged?: boolean;
  /**
   * The next epoch's rows may flow while this epoch's `commit` and `committed` run. A pipelined
   * protocol takes all it commits (from `c`, and its own output buffers) before the first
   * `await` in `commit`, and reads nothing back from the store that an epoch in flight wrote.
   */
  readonly pipelined?: boolean;
  /** Runs after the epoch committed and the runner moved to it (delivery from an outbox). */
  committed?(epoch: number): Promise<void>;
}

export interface QueryRunnerSpec {
  readonly queryId: string;
  /** The query as messages name it (state id conflicts). */
  readonly label: string;
  readonly plan: PhysicalPlan;
  readonly env: ExecEnv;
  readonly store: Store;
  /** The engine's state cache, which every state table reads through. */
  readonly stateCache?: StateCache;
  /** Scope of the state tables within the query's (a scale-out task's partition), default none. */
  readonly stateScope?: string;
  readonly signal: AbortSignal;
  /** Sources read what is there now and then end. */
  readonly bounded: boolean;
  /** Checkpoint every so often (with a protocol that commits). */
  readonly checkpointIntervalMs: number;
  readonly protocol: CommitProtocol;
  /** Whether the query still takes checkpoints (false once it stopped or failed). */
  readonly live: () => boolean;
  /** A checkpoint failed: the query fails (called again for the same failure is harmless). */
  readonly onFailed: (err: unknown) => void;
  /** Counts every dead letter, however it commits. */
  readonly onDeadLetter?: (letter: TimedDeadLetter) => void;
  /** Measure the state on disk after checkpoints, for stateBytes(). Default false. */
  readonly measureState?: boolean;
}

/** Least time between two measurements of a query's state on disk. */
const STATE_MEASURE_MS = 5000;
/** How long a commit may run before the sources wait for it (see QueryRunner.admit). */
const MAX_COMMIT_LAG_MS = 1000;

export class QueryRunner {
  readonly pipeline: Pipeline;
  /** The last committed epoch. */
  epoch = 0;
  private state: QueryState;
  private stateIds: RecordedStateIds = { ids: [] };
  private opened = false;
  private letters: TimedDeadLetter[] = [];
  private sideOutputs: SideOutput[] = [];
  private readonly positions = new Map<number, Record<string, number>>();
  private timer: NodeJS.Timeout | undefined;
  private checkpointing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  /** The commit of the last epoch whose barrier reached the output (pipelined: maybe still in flight). */
  private inFlight: Promise<void> = Promise.resolve();
  /** When the commit in flight began; undefined when none is (see admit). */
  private commitSince: number | undefined;
  private stateSizes: readonly OperatorStateBytes[] = [];
  private stateMeasuredAt = 0;

  constructor(private readonly spec: QueryRunnerSpec) {
    this.state = new QueryState(spec.store, spec.stateCache, spec.queryId, [], spec.stateScope);
    this.pipeline = new Pipeline(spec.plan, spec.env, { process: (m) => this.onOutput(m) }, {
      signal: spec.signal,
      bounded: spec.bounded,
      deadLetter: (l) => this.deadLetter(l),
      sideOutput: (o) => this.sideOutput(o),
      queryId: spec.queryId,
      // Operators open in start(), after the state ids are resolved.
      state: (i) => this.state.operator(i),
      admit: () => this.admit(),
    });
  }

  /** Resumes from the last checkpoint (positions, epoch, state ids) and opens the operators. */
  async start(): Promise<void> {
    const { spec } = this;
    const resume = await spec.protocol.resume(this.state);
    if (spec.signal.aborted) return;
    this.epoch = resume?.epoch ?? 0;
    if (resume?.offsets) for (const s of this.pipeline.sources) s.seek(resume.offsets);
    const layout = resolveStateIds(spec.label, spec.plan, isRecordedStateIds(resume?.stateIds) ? resume.stateIds : undefined, resume?.restored ?? false);
    this.stateIds = layout.record;
    this.state.release();
    this.state = new QueryState(spec.store, spec.stateCache, spec.queryId, layout.ids, spec.stateScope, resume?.stateEmpty ?? false, resume?.stateEphemeral ?? false);
    await this.pipeline.open();
    this.opened = true;
  }

  /**
   * Drives the pipeline until its sources end (then takes a last checkpoint) or the signal
   * aborts, checkpointing every interval meanwhile. Rejects with the pipeline's error.
   */
  async run(): Promise<void> {
    const { spec } = this;
    if (!this.opened) return;
    if (spec.protocol.commit) {
      this.timer = setInterval(() => {
        this.checkpoint().catch((err: unknown) => spec.onFailed(err));
      }, spec.checkpointIntervalMs);
      this.timer.unref();
    }
    try {
      await this.pipeline.run();
      if (!spec.signal.aborted) await this.checkpoint();
    } finally {
      clearInterval(this.timer);
    }
  }

  /** Takes a checkpoint that covers every row emitted before the call (see the invariants). */
  checkpoint(): Promise<void> {
    if (!this.opened || !this.spec.protocol.commit || !this.spec.live()) return Promise.resolve();
    if (!this.checkpointing) {
      const epoch = this.epoch + 1;
      this.checkpointing = this.pipeline
        .checkpoint(epoch, (p) => this.positions.set(epoch, p))
        .then(() => this.inFlight)
        .finally(() => {
          this.positions.delete(epoch);
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

  private async onOutput(msg: Message): Promise<void> {
    switch (msg.kind) {
      case 'data':
        await this.spec.protocol.write(msg);
        return;
      case 'watermark':
        this.spec.protocol.watermark?.(msg.time);
        return;
      case 'barrier': {
        // Only one commit at a time (checkpoint() waits for it before the next barrier; a
        // barrier that comes otherwise waits here).
        await this.inFlight;
        const commit = this.commit(msg.epoch);
        this.inFlight = commit;
        // What the epoch took from the buffers is gone: a failed commit fails the query.
        commit.catch((err: unknown) => this.spec.onFailed(err));
        if (!this.spec.protocol.pipelined) await commit;
        return;
      }
      case 'end':
        return;
    }
  }

  /**
   * Holds the sources while the commit in flight has run longer than MAX_COMMIT_LAG_MS (or two
   * checkpoint intervals, if longer): the next epoch's rows flow while an epoch commits, but its
   * changes are held in memory until its own commit, so when writes are slow (RocksDB stalling
   * them while compaction catches up) they would grow with the commit's duration. Waiting costs
   * nothing while commits keep up; the commit never needs the input to finish.
   */
  private admit(): Promise<void> | undefined {
    const since = this.commitSince;
    if (since === undefined || Date.now() - since < Math.max(MAX_COMMIT_LAG_MS, 2 * this.spec.checkpointIntervalMs)) return undefined;
    return this.inFlight.then(
      () => undefined,
      () => undefined,
    );
  }

  private async commit(epoch: number): Promise<void> {
    const commit = this.spec.protocol.commit;
    if (!commit) return;
    this.commitSince = Date.now();
    try {
      await this.commitEpoch(epoch, commit);
    } finally {
      this.commitSince = undefined;
    }
  }

  private async commitEpoch(epoch: number, commit: (c: EpochCommit) => Promise<void>): Promise<void> {
    const { protocol, store } = this.spec;
    protocol.beforeFlush?.(this.state, this.stateIds);
    const wb = store.batch({ keepStaged: protocol.readsStaged ?? false });
    const letters = this.letters;
    const sideOutputs = this.sideOutputs;
    this.letters = [];
    this.sideOutputs = [];
    try {
      this.state.flush(wb);
      await commit.call(protocol, { epoch, wb, positions: this.positions.get(epoch) ?? {}, letters, sideOutputs, stateIds: { ids: [...this.stateIds.ids] } });
    } catch (err) {
      if (!wb.isDone) wb.discard();
      throw err;
    }
    this.epoch = epoch;
    this.measureState();
    await protocol.committed?.(epoch);
  }

  /** Raises a dead letter (the pipeline's, or one the output could not write). */
  deadLetter(l: DeadLetter): void {
    const letter = { ...l, at: Date.now() };
    this.spec.onDeadLetter?.(letter);
    if (this.spec.protocol.deadLetter) this.spec.protocol.deadLetter(letter);
    else this.letters.push(letter);
  }

  private sideOutput(o: SideOutput): void {
    if (this.spec.protocol.sideOutput) this.spec.protocol.sideOutput(o);
    else this.sideOutputs.push(o);
  }

  /** Approximate state bytes on disk per stateful operator, as last measured. */
  stateBytes(): readonly OperatorStateBytes[] {
    return this.stateSizes;
  }

  /** Measures the state on disk again when the last measurement is a few seconds old. */
  private measureState(): void {
    const now = Date.now();
    if (!this.spec.measureState || now - this.stateMeasuredAt < STATE_MEASURE_MS || this.spec.store.isClosed) return;
    this.stateMeasuredAt = now;
    this.state.diskBytes().then(
      (sizes) => (this.stateSizes = sizes),
      () => undefined,
    );
  }

  /** Closes the operators and frees the state's cache entries (the state stays on disk), after the commit in flight. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight.catch(() => undefined);
    if (this.opened) await this.pipeline.close().catch(() => undefined);
    this.state.release();
  }
}
