/** Runs a query plan over one finite batch (pull queries over views and tables). */
import type { RecordBatch } from 'apache-arrow';
import { batchToRows, plain } from '../exec/columns.js';
import { RowKind, type Message } from '../exec/message.js';
import { Pipeline, type ExecEnv } from '../exec/pipeline.js';
import type { Source, SourceContext } from '../exec/source.js';
import { compareValues } from '../exec/sql-values.js';
import type { OrderKey } from '../planner/order-by.js';
import type { QueryPlan } from '../planner/plan-query.js';
import type { Store } from '../state/index.js';
import { QueryState } from './query-state.js';
import type { RowError } from './types.js';

/**
 * Operator state lives only in memory here: nothing is flushed. The result is the rows the plan's
 * changes leave (an aggregate's update replaces the row it updates). Rows that fail on the way
 * come back in `errors` (a pull query has no dead-letter stream: its caller is the one to tell).
 */
export async function runOnBatch(env: ExecEnv, q: QueryPlan, batch: RecordBatch, store: Store): Promise<{ rows: unknown[][]; errors: RowError[] }> {
  const result = new FoldedRows();
  const abort = new AbortController();
  const oneBatch: ExecEnv = {
    ...env,
    source: (plan): Source => ({
      name: `rows:${plan.relation}`,
      fields: plan.fields,
      seek: () => undefined,
      positions: () => ({}),
      async run(ctx: SourceContext) {
        const projected = batch.selectAt(plan.columns as number[]);
        if (projected.numRows) await ctx.emit({ kind: 'data', batch: projected });
        await ctx.emit({ kind: 'end' });
      },
    }),
  };
  const errors: RowError[] = [];
  const state = new QueryState(store, undefined, 'pull', []);
  const pipeline = new Pipeline(
    q.physical,
    oneBatch,
    {
      process: async (m: Message) => {
        if (m.kind === 'data') batchToRows(m.batch, q.fields).forEach((r, i) => result.apply(m.rowKinds ? m.rowKinds[i]! : RowKind.INSERT, r.map(plain)));
      },
    },
    { signal: abort.signal, bounded: true, deadLetter: (l) => errors.push({ reason: l.reason, operator: l.operator, row: l.row }), state: (i) => state.operator(i) },
  );
  await pipeline.open();
  await pipeline.run();
  await pipeline.close();
  state.release();
  const rows = result.rows();
  if (q.orderBy?.length) sortRows(rows, q.orderBy);
  return { rows: q.limit !== undefined ? rows.slice(0, q.limit) : rows, errors };
}

/** The rows a changelog leaves: +I/+U add a row, -U/-D take away one equal row. */
class FoldedRows {
  private readonly held: (unknown[] | undefined)[] = [];
  /** Indexes into `held` of the rows still there, by the row's text. */
  private readonly at = new Map<string, number[]>();

  apply(kind: number, row: unknown[]): void {
    const text = JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    if (kind === RowKind.INSERT || kind === RowKind.UPDATE_AFTER) {
      const list = this.at.get(text) ?? [];
      list.push(this.held.length);
      this.at.set(text, list);
      this.held.push(row);
      return;
    }
    const i = this.at.get(text)?.pop();
    if (i !== undefined) this.held[i] = undefined;
  }

  rows(): unknown[][] {
    return this.held.filter((r): r is unknown[] => r !== undefined);
  }
}

/** Sorts in SQL value order (strings by code point, NaN above numbers), NULLs last either way. */
function sortRows(rows: unknown[][], keys: readonly OrderKey[]): void {
  rows.sort((a, b) => {
    for (const { index, desc, nullsFirst } of keys) {
      const x = a[index] ?? null;
      const y = b[index] ?? null;
      if (x === null || y === null) {
        if (x !== y) return (x === null) === nullsFirst ? -1 : 1;
        continue;
      }
      const c = compareValues(x, y);
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  });
}
