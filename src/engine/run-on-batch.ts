/** Runs a query plan over finite batches (pull queries over views and tables). */
import type { RecordBatch } from 'apache-arrow';
import { deadlineCheck, inheritDeadline } from '../common/deadline.js';
import { batchToRows, plain } from '../exec/columns.js';
import { RowKind, type Message } from '../exec/message.js';
import { Pipeline, type ExecEnv } from '../exec/pipeline.js';
import type { Source, SourceContext } from '../exec/source.js';
import { constantBatch } from '../exec/sources/constant-source.js';
import type { SourceExec } from '../planner/physical.js';
import type { QueryPlan } from '../planner/plan-query.js';
import type { Store } from '../state/index.js';
import { QueryState } from './query-state.js';
import { finishRows, foldedRowsFor } from './sorted-rows.js';
import type { RowError } from './types.js';

/**
 * Operator state lives only in memory here: nothing is flushed. The result is the rows the plan's
 * changes leave (an aggregate's update replaces the row it updates). Rows that fail on the way
 * come back in `errors` (a pull query has no dead-letter stream: its caller is the one to tell).
 */
export async function runOnBatch(
  env: ExecEnv,
  q: QueryPlan,
  input: RecordBatch | ((relation: string, scan: SourceExec) => AsyncIterable<RecordBatch>),
  store: Store,
  opts: { readonly maxRows: number; readonly signal?: AbortSignal | undefined },
): Promise<{ rows: unknown[][]; errors: RowError[] }> {
  const result = foldedRowsFor(q, opts.maxRows);
  const abort = new AbortController();
  // The caller going away stops the operators (a join of large inputs stops pairing); the caller
  // reports the cancellation.
  const cancel = () => abort.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', cancel, { once: true });
  inheritDeadline(opts.signal, abort.signal);
  const errors: RowError[] = [];
  const oneBatch: ExecEnv = {
    ...env,
    source: (plan): Source => ({
      name: `rows:${plan.relation}`,
      fields: plan.fields,
      seek: () => undefined,
      positions: () => ({}),
      async run(ctx: SourceContext) {
        if (plan.constants) {
          const { batch, letters } = constantBatch(plan, env.udfs);
          for (const l of letters) errors.push({ reason: l.reason, operator: l.operator, row: l.row });
          if (batch.numRows) await ctx.emit({ kind: 'data', batch });
          await ctx.emit({ kind: 'end' });
          return;
        }
        // One batch for the one relation read, or each relation's own rows, a batch at a time:
        // each but the last says more follows, so that an aggregate emits its groups once per
        // mini-batch rather than once per batch read.
        // Reading stops once the answer is whole (a LIMIT without ORDER BY has its rows).
        let held: RecordBatch | undefined;
        for await (const batch of typeof input === 'function' ? input(plan.relation, plan) : [input]) {
          const projected = batch.selectAt(plan.columns as number[]);
          if (!projected.numRows) continue;
          if (held) await ctx.emit({ kind: 'data', batch: held, more: true });
          held = projected;
          if (result.full) break;
        }
        if (held && !result.full) await ctx.emit({ kind: 'data', batch: held });
        await ctx.emit({ kind: 'end' });
      },
    }),
  };
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
  try {
    await pipeline.open();
    await pipeline.run();
    await pipeline.close();
  } finally {
    opts.signal?.removeEventListener('abort', cancel);
    state.release();
  }
  return { rows: finishRows(q, result.rows(), deadlineCheck(opts.signal)), errors };
}
