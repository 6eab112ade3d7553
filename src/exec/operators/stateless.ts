/** Filter and projection: stateless, one batch in, at most one batch out. */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import type { BoundExpr } from '../../planner/bound-expr.js';
import { dropRows, keepRows } from '../changes.js';
import { batchOfData, batchToRows, buildDataChecked, emptyBatch, takeRows } from '../columns.js';
import { compileExpr, type CompiledExpr, type RowError, type UdfResolver } from '../compile-expr.js';
import { RowKind, rowJson, type Message } from '../message.js';
import { StreamOperator } from '../operator-driver.js';

/** A batch an operator sends on, with its rows' change kinds when they are not all inserts. */
export interface Output {
  readonly batch: RecordBatch;
  readonly rowKinds?: Uint8Array;
}

/**
 * Invariant: the source's `more` hint (message.ts) passes through with each batch. A batch
 * without the hint that leaves no rows still goes downstream, empty, when the last batch sent
 * carried the hint, so an operator holding a mini-batch learns that it has ended.
 */
export abstract class StatelessOperator extends StreamOperator {
  /** Whether the last batch sent downstream carried the `more` hint. */
  private promised = false;

  constructor(
    readonly input: readonly Field[],
    readonly fields: readonly Field[],
  ) {
    super();
  }

  override async process(msg: Message, port = 0): Promise<void> {
    if (msg.kind !== 'data') {
      // Every control message ends a mini-batch downstream.
      this.promised = false;
      return super.process(msg, port);
    }
    const more = msg.more === true;
    // Each output but the last says more follows: one input batch may make several (UNNEST).
    let held: Output | undefined;
    if (msg.batch.numRows > 0) {
      for (const out of this.outputs(msg.batch, msg.rowKinds)) {
        if (out.batch.numRows === 0) continue;
        if (held) {
          await this.ctx.emit({ kind: 'data', ...held, more: true });
          // One input batch making millions of rows (`FROM range(100000000)`) lets timers, I/O and
          // other queries run between its batches, and stops once its query is (cancelled, timed out).
          await new Promise(setImmediate);
          if (this.ctx.signal.aborted) return;
        }
        held = out;
      }
    }
    if (held) {
      this.promised = more;
      await this.ctx.emit({ kind: 'data', ...held, ...(more ? { more } : {}) });
    } else if (this.promised && !more) {
      this.promised = false;
      await this.ctx.emit({ kind: 'data', batch: emptyBatch(this.fields) });
    }
  }

  protected onData(): void {}

  protected abstract apply(batch: RecordBatch, rowKinds?: Uint8Array): Output | undefined;

  /** The batches one input batch makes: at most one, apply's, unless an operator makes more. */
  protected *outputs(batch: RecordBatch, rowKinds?: Uint8Array): Iterable<Output> {
    const out = this.apply(batch, rowKinds);
    if (out) yield out;
  }

  /**
   * Sends rows whose expressions threw to the dead-letter stream. A row taken back (-U, -D)
   * fails as the row it takes back failed when it came (expressions give the same for the same
   * row), which went there then: it is dropped without a second letter.
   */
  protected reject(batch: RecordBatch, errors: readonly RowError[], what: string, rowKinds?: Uint8Array): void {
    if (rowKinds) errors = errors.filter((e) => rowKinds[e.row] !== RowKind.UPDATE_BEFORE && rowKinds[e.row] !== RowKind.DELETE);
    if (errors.length === 0) return;
    const rows = batchToRows(batch, this.input);
    for (const e of errors) {
      this.ctx.deadLetter({ reason: `${what}: ${e.message}`, operator: this.name, row: rowJson(this.input, rows[e.row]!) });
    }
  }
}

export interface FilterSpec {
  readonly input: readonly Field[];
  readonly predicate: BoundExpr;
  readonly udfs: UdfResolver;
}

/**
 * FilterExec (WHERE, HAVING). Invariants: a row passes when the predicate is TRUE (NULL and
 * FALSE drop it; a row whose predicate throws goes to the dead-letter stream); a -U/+U pair whose
 * halves disagree becomes -D of the old row or +I of the new one (see keepRows), so a group that
 * stops satisfying HAVING is removed downstream. Watermarks and barriers pass unchanged.
 */
export class FilterExecOperator extends StatelessOperator {
  readonly name = 'FilterExec';
  private readonly predicate: CompiledExpr;

  constructor(spec: FilterSpec) {
    super(spec.input, spec.input);
    this.predicate = compileExpr(spec.predicate, spec.input, spec.udfs);
  }

  protected apply(batch: RecordBatch, rowKinds?: Uint8Array) {
    const { values, errors } = this.predicate.evaluate(batch);
    this.reject(batch, errors, `WHERE ${this.predicate.text}`, rowKinds);
    const kept = keepRows(batch.numRows, rowKinds, (i) => values[i] === true);
    if (kept.all) return rowKinds ? { batch, rowKinds } : { batch };
    if (kept.count === 0) return undefined;
    const out = takeRows(batch, this.input, kept.indexes, kept.count);
    return kept.rowKinds ? { batch: out, rowKinds: kept.rowKinds } : { batch: out };
  }
}

export interface ProjectSpec {
  readonly input: readonly Field[];
  /** One expression per output field. */
  readonly exprs: readonly BoundExpr[];
  readonly fields: readonly Field[];
  readonly udfs: UdfResolver;
}

/**
 * ProjectExec. Invariants: one output row per input row with its change kind, except rows for
 * which an expression throws or whose value a column cannot hold: those go to the dead-letter
 * stream (once per row, with the first reason) and pairs are rewritten as in keepRows.
 */
export class ProjectExecOperator extends StatelessOperator {
  readonly name = 'ProjectExec';
  private readonly exprs: CompiledExpr[];
  private readonly direct: (number | undefined)[];

  constructor(spec: ProjectSpec) {
    super(spec.input, spec.fields);
    this.exprs = spec.exprs.map((e) => compileExpr(e, spec.input, spec.udfs));
    this.direct = spec.exprs.map((e) => (e.kind === 'Column' ? e.index : undefined));
  }

  protected apply(batch: RecordBatch, rowKinds?: Uint8Array) {
    const n = batch.numRows;
    const failed = new Set<number>();
    const fail = (errors: readonly RowError[], what: string) => {
      this.reject(batch, errors.filter((e) => !failed.has(e.row)), what, rowKinds);
      for (const e of errors) failed.add(e.row);
    };
    const cols = this.exprs.map((x, k) => {
      const d = this.direct[k];
      if (d !== undefined) return batch.data.children[d]!;
      const what = `SELECT ${this.fields[k]!.name} := ${x.text}`;
      const { values, errors } = x.evaluate(batch);
      if (errors.length) fail(errors, what);
      const built = buildDataChecked(this.fields[k]!.type, values, n);
      if (built.bad.size) fail([...built.bad].map(([row, message]) => ({ row, message })), what);
      return built.data;
    });
    const out = batchOfData(this.fields, cols, n);
    if (failed.size === 0) return rowKinds ? { batch: out, rowKinds } : { batch: out };
    return dropRows(out, this.fields, rowKinds, failed);
  }
}
