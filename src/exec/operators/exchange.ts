/** The sending side of an exchange: routes each row to the key partition its key hashes to. */
import type { RecordBatch } from 'apache-arrow';
import { partitionOf } from '../../common/hash.js';
import type { Field } from '../../common/types.js';
import { columnsOf, type BoundExpr } from '../../planner/bound-expr.js';
import { takeRows } from '../columns.js';
import { compileExpr, type CompiledExpr, type UdfResolver } from '../compile-expr.js';
import { StreamOperator } from '../operator-driver.js';
import { evaluateGroupKeys, usedColumns } from './aggregate-list.js';

export interface ExchangeSpec {
  readonly input: readonly Field[];
  /** Key expressions over the input: equal keys go to the same partition. */
  readonly key: readonly BoundExpr[];
  /** Key partitions on the receiving side (at least 1). */
  readonly partitions: number;
  readonly udfs: UdfResolver;
}

/**
 * ExchangeExec, sending side.
 *
 * Invariants: every input row goes out exactly once, in a data message whose `partition` is
 * partitionOf(key) (src/common/hash.ts, as INSERT into a keyed stream), with its change kind; within a partition rows keep their input
 * order. A row whose key expression throws is routed as a NULL key; the keyed operator above
 * evaluates the key again and sends the row to the dead-letter stream. With one partition a batch passes
 * unchanged (to partition 0). Watermarks, barriers and `end` pass through; the transport
 * delivers watermarks to every partition.
 */
export class ExchangeOperator extends StreamOperator {
  readonly name = 'ExchangeExec';
  readonly fields: readonly Field[];
  private readonly partitions: number;
  private readonly keys: CompiledExpr[];
  private readonly used: number[];

  constructor(spec: ExchangeSpec) {
    super();
    this.fields = spec.input;
    this.partitions = Math.max(1, spec.partitions);
    this.keys = spec.key.map((k) => compileExpr(k, spec.input, spec.udfs));
    const used = new Set<number>();
    for (const k of spec.key) columnsOf(k, used);
    this.used = [...used].sort((a, b) => a - b);
  }

  protected async onData(batch: RecordBatch, rowKinds: Uint8Array | undefined): Promise<void> {
    if (this.partitions === 1) return this.ctx.emit({ kind: 'data', batch, partition: 0, ...(rowKinds ? { rowKinds } : {}) });
    const n = batch.numRows;
    const keyVals = evaluateGroupKeys(this.keys, usedColumns(batch, this.fields, this.used), n, new Map());
    const buckets: number[][] = Array.from({ length: this.partitions }, () => []);
    const parts = new Array<unknown>(this.keys.length);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < parts.length; k++) parts[k] = keyVals[k]![i];
      buckets[partitionOf(parts, this.partitions)]!.push(i);
    }
    for (const [partition, rows] of buckets.entries()) {
      if (rows.length === 0) continue;
      const out = takeRows(batch, this.fields, rows);
      const kinds = rowKinds && Uint8Array.from(rows, (i) => rowKinds[i]!);
      await this.ctx.emit({ kind: 'data', batch: out, partition, ...(kinds ? { rowKinds: kinds } : {}) });
    }
  }
}
