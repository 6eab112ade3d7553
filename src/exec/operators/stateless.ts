/** Filter and projection: stateless, one batch in, at most one batch out. */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import type { BoundExpr } from '../../planner/bound-expr.js';
import { batchOfData, batchToRows, buildData, takeRows } from '../columns.js';
import { compileExpr, type CompiledExpr, type RowError, type UdfResolver } from '../compile-expr.js';
import { rowJson, type Message, type Operator, type OperatorContext } from '../message.js';

abstract class StatelessOperator implements Operator {
  protected ctx!: OperatorContext;
  abstract readonly name: string;
  constructor(readonly input: readonly Field[], readonly fields: readonly Field[]) {}

  async open(ctx: OperatorContext): Promise<void> {
    this.ctx = ctx;
  }

  async process(msg: Message): Promise<void> {
    if (msg.kind !== 'data') return this.ctx.emit(msg);
    const out = this.apply(msg.batch, msg.rowKinds);
    if (out && out.batch.numRows > 0) await this.ctx.emit({ kind: 'data', ...out });
  }

  protected abstract apply(batch: RecordBatch, rowKinds?: Uint8Array): { batch: RecordBatch; rowKinds?: Uint8Array } | undefined;

  /** Sends rows whose expressions threw to the dead-letter stream. */
  protected reject(batch: RecordBatch, errors: readonly RowError[], what: string): void {
    if (errors.length === 0) return;
    const rows = batchToRows(batch, this.input);
    for (const e of errors) {
      this.ctx.deadLetter({ reason: `${what}: ${e.message}`, operator: this.name, row: rowJson(this.input, rows[e.row]!) });
    }
  }

  async close(): Promise<void> {}
}

export class FilterExecOperator extends StatelessOperator {
  readonly name = 'FilterExec';
  private readonly predicate: CompiledExpr;

  constructor(input: readonly Field[], predicate: BoundExpr, udfs: UdfResolver) {
    super(input, input);
    this.predicate = compileExpr(predicate, input, udfs);
  }

  protected apply(batch: RecordBatch, rowKinds?: Uint8Array) {
    const { values, errors } = this.predicate.evaluate(batch);
    this.reject(batch, errors, `WHERE ${this.predicate.text}`);
    const keep = new Uint32Array(batch.numRows);
    let n = 0;
    for (let i = 0; i < values.length; i++) if (values[i] === true) keep[n++] = i;
    if (n === batch.numRows) return rowKinds ? { batch, rowKinds } : { batch };
    if (n === 0) return undefined;
    const out = takeRows(batch, this.input, keep, n);
    return rowKinds ? { batch: out, rowKinds: rowKinds.filter((_, i) => values[i] === true) } : { batch: out };
  }
}

export class ProjectExecOperator extends StatelessOperator {
  readonly name = 'ProjectExec';
  private readonly exprs: CompiledExpr[];
  private readonly direct: (number | undefined)[];

  constructor(input: readonly Field[], exprs: readonly BoundExpr[], fields: readonly Field[], udfs: UdfResolver) {
    super(input, fields);
    this.exprs = exprs.map((e) => compileExpr(e, input, udfs));
    this.direct = exprs.map((e) => (e.kind === 'Column' ? e.index : undefined));
  }

  protected apply(batch: RecordBatch, rowKinds?: Uint8Array) {
    const n = batch.numRows;
    const failed = new Set<number>();
    const cols = this.exprs.map((x, k) => {
      const d = this.direct[k];
      if (d !== undefined) return batch.data.children[d]!;
      const { values, errors } = x.evaluate(batch);
      if (errors.length) {
        this.reject(batch, errors.filter((e) => !failed.has(e.row)), `SELECT ${this.fields[k]!.name} := ${x.text}`);
        for (const e of errors) failed.add(e.row);
      }
      return buildData(this.fields[k]!.type, values, n);
    });
    const out = batchOfData(this.fields, cols, n);
    if (failed.size === 0) return rowKinds ? { batch: out, rowKinds } : { batch: out };
    const keep = Uint32Array.from({ length: n }, (_, i) => i).filter((i) => !failed.has(i));
    return {
      batch: takeRows(out, this.fields, keep),
      ...(rowKinds ? { rowKinds: Uint8Array.from(keep, (i) => rowKinds[i]!) } : {}),
    };
  }
}
