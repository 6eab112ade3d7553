/**
 * Turns a physical plan into a running operator graph: sources at the leaves, the query's sink
 * at the root. All sources emit under one lock, so a checkpoint barrier injected under that lock
 * is aligned across inputs by construction, and the positions snapshot taken with it matches
 * exactly the rows that went before it. Scans the planner marked shared (rules/share-scans.ts)
 * get one source between them, whose messages fan out to each, so the input is read once and
 * its positions are one set; a sub-plan the query computes more than once (rules/share-subplans.ts)
 * is built once, and its messages fan out to each use the same way.
 */
import { physicalInputs, type PhysicalPlan } from '../planner/physical.js';
import { reusedSubplans, type SubplanUse } from '../planner/rules/share-subplans.js';
import { buildOperator } from './build-operator.js';
import type { ExecEnv } from './exec-env.js';
import type { DeadLetter, Message, Operator, OperatorContext, OperatorState, SideOutput } from './message.js';
import { ScanFanout, sharedReader } from './shared-scan.js';
import type { Source } from './source.js';

export type { ExecEnv } from './exec-env.js';

/** The root of a pipeline: takes the query's output messages. */
export interface PipelineSink {
  process(msg: Message): Promise<void>;
}

export interface PipelineOptions {
  readonly signal: AbortSignal;
  readonly bounded: boolean;
  readonly deadLetter: (letter: DeadLetter) => void;
  readonly sideOutput?: (out: SideOutput) => void;
  readonly queryId?: string;
  /** State for the operator at `index` (in build order: root first). */
  readonly state: (index: number) => OperatorState;
  /**
   * Asked before each source message: a promise to wait for before it goes in (undefined: go
   * on). How a query holds its input while its output falls behind (see QueryRunner).
   */
  readonly admit?: () => Promise<void> | undefined;
}

export class Pipeline {
  readonly sources: Source[] = [];
  readonly operators: Operator[] = [];
  private readonly wiring: { op: Operator; emit: (m: Message) => Promise<void> }[] = [];
  private readonly roots: { source: Source; emit: (m: Message) => Promise<void> }[] = [];
  /** The reader of each shared scan group, by `shared.id`. */
  private readonly fanouts = new Map<number, ScanFanout>();
  /** The shared sub-plans (rules/share-subplans.ts), and the fan-out of each built so far, by id. */
  private readonly reused: ReadonlyMap<PhysicalPlan, SubplanUse>;
  private readonly subplanFanouts = new Map<number, ScanFanout>();
  private lock: Promise<void> = Promise.resolve();
  /** Rows emitted by the sources so far. */
  rowsIn = 0;
  /** Rows each operator has emitted, root first; `operator` is `<index>:<name>`. */
  readonly operatorStats: { readonly operator: string; rowsOut: number }[] = [];

  constructor(
    plan: PhysicalPlan,
    private readonly env: ExecEnv,
    private readonly sink: PipelineSink,
    private readonly options: PipelineOptions,
  ) {
    this.reused = reusedSubplans(plan);
    this.build(plan, (m) => this.sink.process(m));
  }

  private build(plan: PhysicalPlan, emit: (m: Message) => Promise<void>): void {
    const use = this.reused.get(plan);
    if (use) {
      // A shared sub-plan is built at its first use; every use takes its output.
      const known = this.subplanFanouts.get(use.id);
      const fanout = known ?? new ScanFanout();
      fanout.addConsumer(emit);
      if (known) return;
      this.subplanFanouts.set(use.id, fanout);
      emit = fanout.emit;
    }
    if (plan.kind === 'SourceExec' && plan.shared) {
      const known = this.fanouts.get(plan.shared.id);
      const fanout = known ?? new ScanFanout();
      fanout.add(plan, emit);
      if (known) return;
      this.fanouts.set(plan.shared.id, fanout);
      const source = this.env.source(sharedReader(plan));
      this.sources.push(source);
      this.roots.push({ source, emit: fanout.emit });
      return;
    }
    const source = this.sourceAt(plan);
    if (source) {
      this.sources.push(source);
      this.roots.push({ source, emit });
      return;
    }
    const op = buildOperator(plan, this.env);
    this.operators.push(op);
    const stats = { operator: `${this.operatorStats.length}:${op.name}`, rowsOut: 0 };
    this.operatorStats.push(stats);
    this.wiring.push({
      op,
      emit: (m) => {
        if (m.kind === 'data') stats.rowsOut += m.batch.numRows;
        return emit(m);
      },
    });
    physicalInputs(plan).forEach((input, port) => this.build(input, (m) => op.process(m, port)));
  }

  /** The source a leaf of this pipeline reads: a SourceExec, or the exchange it runs above. */
  private sourceAt(plan: PhysicalPlan): Source | undefined {
    if (plan.kind === 'SourceExec') return this.env.source(plan);
    const exchange = this.env.exchange;
    if (plan.kind === 'ExchangeExec' && exchange?.side === 'receive') return exchange.source;
    return undefined;
  }

  /** Runs emit under the pipeline lock; `advance` runs inside it after emit. */
  private locked(f: () => Promise<void>): Promise<void> {
    const run = this.lock.then(f);
    this.lock = run.catch(() => undefined);
    return run;
  }

  async open(): Promise<void> {
    for (const { source } of this.roots) await source.open?.();
    for (const [i, { op, emit }] of this.wiring.entries()) {
      const { deadLetter, sideOutput, queryId, signal, bounded } = this.options;
      const ctx: OperatorContext = { emit, deadLetter, signal, bounded, state: this.options.state(i), ...(sideOutput ? { sideOutput } : {}), ...(queryId ? { queryId } : {}) };
      await op.open(ctx);
    }
  }

  /** Runs all sources to completion (bounded) or until the signal aborts. */
  async run(): Promise<void> {
    await Promise.all(
      this.roots.map(({ source, emit }) =>
        source.run(
          {
            signal: this.options.signal,
            deadLetter: this.options.deadLetter,
            emit: async (msg, advance) => {
              // Outside the lock: what is waited for never needs it.
              const wait = this.options.admit?.();
              if (wait) await wait;
              return this.locked(async () => {
                // Counted as read before the graph runs it, so that no output (which may wait
                // for a slow push client) is ever counted ahead of the input that produced it.
                if (msg.kind === 'data') this.rowsIn += msg.batch.numRows;
                await emit(msg);
                advance?.();
              });
            },
          },
          this.options.bounded,
        ),
      ),
    );
  }

  /**
   * Injects a barrier into every source under the lock and returns the positions it reflects.
   * When the returned promise resolves, the barrier has passed through the whole graph.
   */
  checkpoint(epoch: number, beforeBarrier: (positions: Record<string, number>) => void = () => undefined): Promise<Record<string, number>> {
    let positions: Record<string, number> = {};
    return this.locked(async () => {
      positions = Object.assign({}, ...this.sources.map((s) => s.positions())) as Record<string, number>;
      beforeBarrier(positions);
      const seen = new Set<(m: Message) => Promise<void>>();
      for (const { emit } of this.roots) {
        if (seen.has(emit)) continue;
        seen.add(emit);
        await emit({ kind: 'barrier', epoch });
      }
    }).then(() => positions);
  }

  async close(): Promise<void> {
    for (const op of this.operators) await op.close();
  }
}
