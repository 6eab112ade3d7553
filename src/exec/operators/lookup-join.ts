/**
 * Stream-table lookup join: each stream row looks up the latest row of a TABLE by primary key,
 * at the time the row is processed. INNER drops rows with no match; LEFT fills NULLs.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import type { BoundExpr } from '../../planner/bound-expr.js';
import { batchOfData, buildData, readColumn, takeColumn } from '../columns.js';
import { compileExpr, type CompiledExpr, type UdfResolver } from '../compile-expr.js';
import { keyOf } from '../keys.js';
import { rowJson, type Message, type Operator, type OperatorContext } from '../message.js';

/** Read access to a table's current rows (values in table schema order). */
export interface TableLookup {
  get(key: string): readonly unknown[] | undefined;
}

export class StreamLookupJoinOperator implements Operator {
  readonly name = 'StreamLookupJoinExec';
  private ctx!: OperatorContext;
  private readonly keys: CompiledExpr[];

  constructor(
    private readonly input: readonly Field[],
    readonly fields: readonly Field[],
    keys: readonly BoundExpr[],
    private readonly tableColumns: readonly number[],
    private readonly joinType: 'INNER' | 'LEFT',
    private readonly table: TableLookup,
    udfs: UdfResolver,
  ) {
    this.keys = keys.map((k) => compileExpr(k, input, udfs));
  }

  async open(ctx: OperatorContext): Promise<void> {
    this.ctx = ctx;
  }

  async process(msg: Message): Promise<void> {
    if (msg.kind !== 'data') return this.ctx.emit(msg);
    const { batch, rowKinds } = msg;
    const n = batch.numRows;
    const keyVals = this.keys.map((k) => k.evaluate(batch));
    for (const kv of keyVals) {
      for (const e of kv.errors) {
        this.ctx.deadLetter({ reason: `join key: ${e.message}`, operator: this.name, row: this.rowText(batch, e.row) });
      }
    }
    const idx = new Uint32Array(n);
    const matches: (readonly unknown[] | undefined)[] = [];
    let m = 0;
    const parts = new Array<unknown>(this.keys.length);
    for (let i = 0; i < n; i++) {
      let bad = false;
      for (let k = 0; k < keyVals.length; k++) {
        const v = keyVals[k]!.values[i];
        if (v === null) bad = true;
        parts[k] = v;
      }
      const row = bad ? undefined : this.table.get(keyOf(parts));
      if (row || this.joinType === 'LEFT') {
        idx[m++] = i;
        matches.push(row);
      }
    }
    if (m === 0) return;
    const left = m === n ? batch.data.children : this.input.map((f, c) => takeColumn(batch, c, f.type, idx, m));
    const n0 = this.input.length;
    const right = this.tableColumns.map((tc, j) => buildData(this.fields[n0 + j]!.type, matches.map((r) => (r ? r[tc] ?? null : null)), m));
    const out = batchOfData(this.fields, [...left, ...right], m);
    await this.ctx.emit({ kind: 'data', batch: out, ...(rowKinds ? { rowKinds: Uint8Array.from(idx.subarray(0, m), (i) => rowKinds[i]!) } : {}) });
  }

  private rowText(batch: RecordBatch, row: number): string {
    return rowJson(this.input, this.input.map((f, c) => readColumn(batch, c, f.type)[row]));
  }

  async close(): Promise<void> {}
}
