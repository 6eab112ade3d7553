/** Runs one statement on an engine and gathers its rows, bounded. */
import type { Engine } from '../../src/engine/engine.js';
import type { PushRow, ResultColumn, StatementResult } from '../../src/engine/types.js';

export interface Collected {
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly unknown[])[];
  /** For push results: every change with its op, in arrival order. */
  readonly changes: readonly PushRow[];
  readonly updating: boolean;
  /** For pull results: the rows that failed, as `reason: row`. */
  readonly errors?: readonly string[];
}

/** Folds a changelog into the rows it leaves: +I/+U add a row, -U/-D remove one equal row. */
export function foldChanges(changes: readonly PushRow[]): unknown[][] {
  const rows: unknown[][] = [];
  // NaN and the infinities kept apart from NULL (JSON writes all three as null).
  const keyOf = (v: readonly unknown[]): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : typeof x === 'number' && !Number.isFinite(x) ? `${x}` : x));
  for (const c of changes) {
    if (c.op === '+I' || c.op === '+U') rows.push([...c.values]);
    else {
      const k = keyOf(c.values);
      const i = rows.findIndex((r) => keyOf(r) === k);
      if (i >= 0) rows.splice(i, 1);
      else rows.push(['<retraction of a missing row>', ...c.values]);
    }
  }
  return rows;
}

export async function drain(result: StatementResult): Promise<Collected> {
  switch (result.kind) {
    case 'push': {
      const changes: PushRow[] = [];
      try {
        for await (const batch of result.rows) changes.push(...batch);
      } finally {
        result.cancel();
      }
      const rows = result.updating || changes.some((c) => c.op !== '+I') ? foldChanges(changes) : changes.map((c) => [...c.values]);
      return { columns: result.columns, rows, changes, updating: result.updating };
    }
    case 'rows':
      return { columns: result.columns, rows: result.rows, changes: [], updating: false, errors: (result.errors ?? []).map((e) => `${e.reason}: ${e.row}`) };
    case 'explain':
      return { columns: [{ name: 'plan', type: 'STRING' }], rows: result.text.split('\n').map((l) => [l]), changes: [], updating: false };
    case 'ok':
      return { columns: [], rows: [], changes: [], updating: false };
  }
}

/** Executes `sql` bounded and returns the rows of its last statement. */
export async function collectRows(engine: Engine, sql: string): Promise<Collected> {
  const results = await engine.execute(sql, { bounded: true });
  let last: Collected = { columns: [], rows: [], changes: [], updating: false };
  for (const r of results) last = await drain(r);
  return last;
}
