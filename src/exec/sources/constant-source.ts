/**
 * Constant rows as a source: the rows of `(VALUES ...)` in FROM, or the one row of no columns of a
 * SELECT without FROM inside a query. They are given once; a checkpoint records that they were,
 * so a query that resumes does not give them again.
 */
import type { RecordBatch } from 'apache-arrow';
import type { SourceExec } from '../../planner/physical.js';
import { MAX_EPOCH_MS } from '../casts.js';
import { makeBatch } from '../columns.js';
import { constantValue, type UdfResolver } from '../compile-expr.js';
import { exprToString } from '../../planner/bound-expr.js';
import type { DeadLetter } from '../message.js';
import type { Source, SourceContext } from '../source.js';

/** The plan's constant rows as a batch; a row with a value that fails to compute is a dead letter, not a row. */
export function constantBatch(plan: SourceExec, udfs: UdfResolver): { batch: RecordBatch; letters: DeadLetter[] } {
  const rows = plan.constants ?? [];
  const letters: DeadLetter[] = [];
  const kept: unknown[][] = [];
  rows.forEach((row, r) => {
    const values: unknown[] = [];
    for (const e of row) {
      const { value, error } = constantValue(e, udfs);
      if (error !== undefined) {
        letters.push({ reason: `VALUES row ${r + 1}: ${exprToString(e)}: ${error}`, operator: 'values', row: `row ${r + 1}` });
        return;
      }
      values.push(value);
    }
    kept.push(values);
  });
  // The scan's columns may be fewer than each row's values (projection pruning keeps those read).
  const columns = plan.fields.map((_, c) => kept.map((v) => v[plan.columns[c]!] ?? null));
  return { batch: makeBatch(plan.fields, columns, kept.length), letters };
}

/**
 * SourceExec with constants. Its position is whether it gave its rows (under the scan's relation
 * name, which is the place of the constants in the query's text). After them it gives a watermark
 * past every time: constants hold back no window or join.
 */
export class ConstantSource implements Source {
  readonly name = 'values';
  readonly fields: SourceExec['fields'];
  private given = false;

  constructor(
    private readonly plan: SourceExec,
    private readonly udfs: UdfResolver,
  ) {
    this.fields = plan.fields;
  }

  seek(positions: Readonly<Record<string, number>>): void {
    if (positions[this.plan.relation] === 1) this.given = true;
  }

  positions(): Record<string, number> {
    return this.given ? { [this.plan.relation]: 1 } : {};
  }

  async run(ctx: SourceContext, bounded: boolean): Promise<void> {
    if (!this.given) {
      const { batch, letters } = constantBatch(this.plan, this.udfs);
      await ctx.emit({ kind: 'data', batch }, () => {
        this.given = true;
        for (const l of letters) ctx.deadLetter?.(l);
      });
    }
    await ctx.emit({ kind: 'watermark', time: MAX_EPOCH_MS });
    if (bounded) {
      await ctx.emit({ kind: 'end' });
      return;
    }
    // Nothing more comes: wait for the query to stop.
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
}
