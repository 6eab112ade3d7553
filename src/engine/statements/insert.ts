/** INSERT INTO a table (upsert by primary key) or a stream on the embedded log: VALUES, or the rows of a query. */
import { SluiceError, throwIfCancelled } from '../../common/errors.js';
import type { Span } from '../../common/span.js';
import { keyOf } from '../../common/keys.js';
import { normalizeName, type Ident, type SelectQuery } from '../../parser/index.js';
import type { StreamDef, TableDef } from '../../planner/catalog.js';
import { limitError } from '../../planner/limits.js';
import { planQuery, pullRelation, readsOnlyTables } from '../../planner/plan-query.js';
import type { StateRow, TableChange } from '../../state/index.js';
import { bindInsert, evaluateInsertValue, insertTarget } from '../insert-bind.js';
import { freshRowKey } from '../row-ids.js';
import type { Session } from '../session.js';
import { visibleFields } from '../sorted-rows.js';
import { logTopicOf, stageStreamRows } from '../stream-append.js';
import { ok } from './definitions.js';
import type { StatementResult } from '../types.js';
import type { StatementHandler } from './handler.js';

export const insert: StatementHandler<'Insert'> = async (session, s, text, opts) => {
  const bound = bindInsert(s, session.catalog);
  const def = bound.def;
  const rows = bound.rows.map((values) => {
    const row: Record<string, unknown> = {};
    for (const { field, value, span } of values) row[field.name] = evaluateInsertValue(field, value, span, def);
    return row;
  });
  // Everything below writes in one batch: the last point where the call can still be cancelled.
  throwIfCancelled(opts.signal, 'the INSERT', s.span);
  return writeRows(session, def, rows, text, s.target.span);
};

/**
 * INSERT INTO t [(columns)] SELECT ...: the query runs to its rows as they are now (a pull query,
 * or a push query run bounded: the streams' stored rows), each value cast to its column's type as
 * VALUES are; then the rows are written as INSERT ... VALUES writes them, all or none. `select`
 * runs the query as a statement of its own.
 */
export async function insertSelect(select: StatementHandler<'Query'>, ...[session, s, text, opts]: Parameters<StatementHandler<'Insert'>>): Promise<StatementResult> {
  const { def, cols } = insertTarget(s, session.catalog);
  const query = s.query!;
  const pull = !query.from || pullRelation(query, session.catalog) !== undefined || readsOnlyTables(query, session.catalog);
  const width = visibleFields(planQuery(query, session.catalog, pull ? { pull: true } : { bounded: true })).length;
  if (width !== cols.length) {
    throw new SluiceError('INVALID_ARGUMENT', `the query gives ${width} column${width === 1 ? '' : 's'}; ${def.name} expects ${cols.length}`, {
      span: query.span,
      hint: `columns: ${cols.map((c) => def.schema[c]!.name).join(', ')}; name the columns to fill: INSERT INTO ${def.name} (a, b) SELECT ...`,
    });
  }
  const result = await select(session, { kind: 'Query', query: castToColumns(query, cols.map((c) => def.schema[c]!), s.span), span: s.span }, text, { ...opts, bounded: true });
  const rows = await finalRows(session, result, s.span);
  throwIfCancelled(opts.signal, 'the INSERT', s.span);
  const records = rows.map((values, r) => {
    const row: Record<string, unknown> = {};
    cols.forEach((c, k) => {
      const field = def.schema[c]!;
      if ((values[k] ?? null) === null && !field.nullable) {
        throw new SluiceError('INVALID_ARGUMENT', `row ${r + 1} of the query: NULL for ${field.name}, a NOT NULL column`, {
          span: query.span,
          hint: def.kind === 'table' ? `${field.name} is part of the primary key of ${def.name}: filter out rows without it (WHERE ... IS NOT NULL)` : `give ${field.name} a value`,
        });
      }
      row[field.name] = values[k] ?? null;
    });
    return row;
  });
  return writeRows(session, def, records, text, s.target.span);
}

/** `SELECT CAST(c0 AS t0), ... FROM (query) AS r(c0, ...)`: the query's columns cast to the target's types. */
function castToColumns(query: SelectQuery, fields: readonly { readonly name: string; readonly type: TableDef['schema'][number]['type'] }[], span: Span): SelectQuery {
  const alias: Ident = { name: '\u0000insert', span };
  const names = fields.map((_, i): Ident => ({ name: `\u0000c${i}`, span }));
  return {
    kind: 'Select',
    distinct: false,
    items: fields.map((f, i) => ({ kind: 'ExprItem', expr: { kind: 'Cast', operand: { kind: 'ColumnRef', qualifier: alias, column: names[i]!, span }, type: f.type, span }, alias: { name: f.name, span }, span })),
    from: { kind: 'Subquery', query, alias, columns: names, span },
    groupBy: [],
    orderBy: [],
    span,
  };
}

/** The rows a finished query gives: its changes folded (an update replaces its row); its first row error fails the INSERT. */
export async function finalRows(session: Session, result: Awaited<ReturnType<StatementHandler<'Query'>>>, span: Span): Promise<unknown[][]> {
  const max = session.catalog.limits.maxResultRows;
  const rows: unknown[][] = [];
  const tooMany = () => limitError('maxResultRows', `the query gives more than ${max.toLocaleString('en-US')} rows, more than one INSERT writes`, span, 'insert fewer rows at a time (narrow it with WHERE)');
  if (result.kind === 'rows') {
    if (result.errors?.length) throw rowError(result.errors[0]!, span);
    for (const r of result.rows) rows.push([...r]);
    if (rows.length > max) throw tooMany();
    return rows;
  }
  if (result.kind !== 'push') return rows;
  // A row that fails goes to the push query's dead letters: counted here, it fails the INSERT.
  const handle = session.queries.get(result.queryId);
  const held = new Map<string, unknown[][]>();
  const text = (v: readonly unknown[]) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
  let count = 0;
  try {
    for await (const batch of result.rows) {
      for (const r of batch) {
        const key = text(r.values);
        const same = held.get(key);
        if (r.op === '+I' || r.op === '+U') {
          if (same) same.push([...r.values]);
          else held.set(key, [[...r.values]]);
          if (++count > max) throw tooMany();
        } else if (same?.length) {
          same.pop();
          count--;
        }
      }
    }
    const failed = handle?.info(undefined).deadLetters ?? 0;
    if (failed > 0) throw rowError({ reason: `${failed} row(s) failed (query ${result.queryId}'s dead letters say why)` }, span);
  } finally {
    result.cancel();
  }
  for (const list of held.values()) rows.push(...list);
  return rows;
}

function rowError(e: { readonly reason: string }, span: Span): SluiceError {
  return new SluiceError('INVALID_ARGUMENT', `a row of the query could not be inserted: ${e.reason}`, { span, hint: 'fix or filter the rows the query gives; nothing was inserted' });
}

/** Writes rows (by column name) into a table (upsert by key) or a stream, in one batch. */
async function writeRows(session: Session, def: StreamDef | TableDef, rows: readonly Record<string, unknown>[], text: string, span: Span): Promise<StatementResult> {
  const { store, log } = session.storage;
  if (def.kind === 'table') {
    const t = session.tables.table(def.name);
    // Without a primary key, each row is one of its own (a bag): under a key no other row has.
    const keyed = def.primaryKey.length > 0;
    const changes: TableChange[] = rows.map((row) => [keyed ? keyOf(def.primaryKey.map((k) => row[def.schema.find((f) => normalizeName(f.name) === normalizeName(k))!.name])) : freshRowKey(), row as StateRow]);
    await t.rows.apply(changes);
    return ok(text, `inserted ${rows.length} row(s) into table ${def.name}`);
  }
  const topic = logTopicOf(def, 'INSERT INTO', span);
  const wb = store.batch();
  stageStreamRows(log, def, topic, rows, wb);
  await wb.write();
  return ok(text, `inserted ${rows.length} row(s) into stream ${def.name}`);
}

