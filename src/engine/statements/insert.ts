/** INSERT INTO a table (upsert by primary key) or a stream on the embedded log: VALUES, or the rows of a query. */
import { SluiceError, throwIfCancelled } from '../../common/errors.js';
import type { Span } from '../../common/span.js';
import { keyOf } from '../../common/keys.js';
import { normalizeName, type Expr, type Ident, type InsertConflict, type SelectItem, type SelectQuery } from '../../parser/index.js';
import { returningRows } from './returning.js';
import type { StreamDef, TableDef } from '../../planner/catalog.js';
import { limitError } from '../../planner/limits.js';
import { planQuery, pullRelation, readsOnlyTables } from '../../planner/plan-query.js';
import type { StateRow, TableChange } from '../../state/index.js';
import { checkRows, defaultValues, insertTarget, insertValueRows } from '../insert-bind.js';
import { checkUnique } from '../unique-constraints.js';
import { freshRowKey } from '../row-ids.js';
import type { Session } from '../session.js';
import { visibleFields } from '../sorted-rows.js';
import { logTopicOf, stageStreamRows } from '../stream-append.js';
import { ok } from './definitions.js';
import type { StatementResult } from '../types.js';
import type { StatementHandler } from './handler.js';
import type { TableState } from '../relation-storage.js';
import type { DataType } from '../../common/types.js';
import { bindExpr, Scope } from '../../planner/bind-expr.js';
import { batchFromRows } from '../../exec/columns.js';
import { compileExpr } from '../../exec/compile-expr.js';

export const insert: StatementHandler<'Insert'> = async (session, s, text, opts) => {
  const { def, fields, rows: values } = insertValueRows(s, session.catalog);
  const defaults = defaultValues(def, insertTarget(s, session.catalog).cols, session.catalog);
  const rows = values.map((v) => {
    const row: Record<string, unknown> = { ...defaults };
    for (let k = 0; k < fields.length; k++) row[fields[k]!.name] = v[k];
    return row;
  });
  // Everything below writes in one batch: the last point where the call can still be cancelled.
  throwIfCancelled(opts.signal, 'the INSERT', s.span);
  return writeRows(session, def, rows, text, s.target.span, s.conflict, s.returning);
};

/**
 * INSERT INTO t [(columns)] SELECT ...: the query runs to its rows as they are now (a pull query,
 * or a push query run bounded: the streams' stored rows), each value cast to its column's type as
 * VALUES are; then the rows are written as INSERT ... VALUES writes them, all or none. `select`
 * runs the query as a statement of its own.
 */
export async function insertSelect(select: StatementHandler<'Query'>, ...[session, given, text, opts]: Parameters<StatementHandler<'Insert'>>): Promise<StatementResult> {
  const query = given.query!;
  const pull = !query.from || pullRelation(query, session.catalog) !== undefined || readsOnlyTables(query, session.catalog);
  const output = visibleFields(planQuery(query, session.catalog, pull ? { pull: true } : { bounded: true }));
  // BY NAME: the query's column names are the column list.
  const s = given.byName ? { ...given, columns: output.map((f) => ({ name: f.name, span: query.span })) } : given;
  const { def, cols } = insertTarget(s, session.catalog);
  const width = output.length;
  if (width !== cols.length) {
    throw new SluiceError('INVALID_ARGUMENT', `the query gives ${width} column${width === 1 ? '' : 's'}; ${def.name} expects ${cols.length}`, {
      span: query.span,
      hint: `columns: ${cols.map((c) => def.schema[c]!.name).join(', ')}; name the columns to fill: INSERT INTO ${def.name} (a, b) SELECT ...`,
    });
  }
  const result = await select(session, { kind: 'Query', query: castToColumns(query, cols.map((c) => def.schema[c]!), s.span), span: s.span }, text, { ...opts, bounded: true });
  const rows = await finalRows(session, result, s.span);
  throwIfCancelled(opts.signal, 'the INSERT', s.span);
  const defaults = defaultValues(def, cols, session.catalog);
  const records = rows.map((values, r) => {
    const row: Record<string, unknown> = { ...defaults };
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
  return writeRows(session, def, records, text, s.target.span, s.conflict, s.returning);
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

/** Writes rows (by column name) into a table (upsert by key, or as `conflict` says) or a stream, in one batch. */
async function writeRows(session: Session, def: StreamDef | TableDef, rows: readonly Record<string, unknown>[], text: string, span: Span, conflict?: InsertConflict, returning?: readonly SelectItem[]): Promise<StatementResult> {
  const { store, log } = session.storage;
  checkNotNull(def, rows, span);
  if (def.kind === 'table') {
    const t = session.tables.table(def.name);
    // Without a primary key, each row is one of its own (a bag): under a key no other row has.
    const keyed = def.primaryKey.length > 0;
    if (conflict && conflict.action !== 'replace' && !keyed) {
      throw new SluiceError('INVALID_ARGUMENT', `table ${def.name} has no primary key, so no row conflicts with another`, { span: conflict.span, hint: 'leave out ON CONFLICT / OR IGNORE: each row is added' });
    }
    const keyedRows = rows.map((row): [string, Record<string, unknown>] => [keyed ? keyOf(def.primaryKey.map((k) => row[def.schema.find((f) => normalizeName(f.name) === normalizeName(k))!.name])) : freshRowKey(), row]);
    const changes: TableChange[] = conflict && conflict.action !== 'replace' ? await resolveConflicts(session, t, keyedRows, conflict) : keyedRows.map(([k, row]) => [k, row as StateRow]);
    const written = changes.flatMap(([, row]) => (row ? [row as Record<string, unknown>] : []));
    checkRows(def, written, session.catalog, span);
    await checkUnique(t, changes, span);
    const returned = returning && returningRows(session, def, written, returning, text);
    await t.rows.apply(changes);
    if (returned) return returned;
    const verb = conflict?.action === 'nothing' ? `inserted ${changes.length} row(s) (${rows.length - changes.length} left as they were)` : `inserted ${rows.length} row(s)`;
    return ok(text, `${verb} into table ${def.name}`);
  }
  if (conflict) throw new SluiceError('UNSUPPORTED', `${def.name} is a stream: its rows are appended, nothing conflicts`, { span: conflict.span, hint: 'leave out ON CONFLICT / OR ...' });
  const topic = logTopicOf(def, 'INSERT INTO', span);
  checkRows(def, rows, session.catalog, span);
  const returned = returning && returningRows(session, def, rows, returning, text);
  const wb = store.batch();
  stageStreamRows(log, def, topic, rows, wb);
  await wb.write();
  if (returned) return returned;
  return ok(text, `inserted ${rows.length} row(s) into stream ${def.name}`);
}


/**
 * Refuses rows that leave a NOT NULL column (a primary-key column among them) NULL: a column the
 * INSERT left out, without a DEFAULT, is NULL too. Nothing is written.
 */
function checkNotNull(def: StreamDef | TableDef, rows: readonly Record<string, unknown>[], span: Span): void {
  const required = def.schema.filter((f) => !f.nullable);
  if (required.length === 0) return;
  rows.forEach((row, r) => {
    for (const f of required) {
      if ((row[f.name] ?? null) !== null) continue;
      const key = def.kind === 'table' && def.primaryKey.some((k) => normalizeName(k) === normalizeName(f.name));
      throw new SluiceError('INVALID_ARGUMENT', `row ${r + 1}: NULL in ${f.name}, a NOT NULL column${key ? ` (part of the primary key of ${def.name})` : ''}`, {
        span,
        hint: `give ${f.name} a value in every row (a column the INSERT leaves out is NULL unless it has a DEFAULT); nothing was inserted`,
      });
    }
  });
}

/**
 * The changes of an INSERT ... ON CONFLICT DO NOTHING (OR IGNORE) or DO UPDATE: a row whose key
 * the table holds (or an earlier row of the statement gave) is left out, or becomes its old row
 * with each SET expression computed over the old row and `excluded`, the row given (where the
 * condition holds); a new key's row is inserted.
 */
async function resolveConflicts(session: Session, t: TableState, rows: readonly [string, Record<string, unknown>][], conflict: InsertConflict): Promise<TableChange[]> {
  const def = t.def;
  const stored = await t.rows.getMany(rows.map(([k]) => k));
  const current = new Map<string, Record<string, unknown>>();
  rows.forEach(([k], i) => {
    const old = stored[i];
    if (old && !current.has(k)) current.set(k, Object.fromEntries(def.schema.map((f, c) => [f.name, old[c] ?? null])));
  });
  const out = new Map<string, Record<string, unknown>>();
  const clashes: [string, Record<string, unknown>, Record<string, unknown>][] = [];
  for (const [k, row] of rows) {
    const old = out.get(k) ?? current.get(k);
    if (!old) out.set(k, row);
    else if (conflict.action === 'update') clashes.push([k, old, row]);
  }
  if (conflict.action === 'update' && clashes.length) {
    updatedRows(session, def, clashes.map(([, old, given]) => [old, given]), conflict).forEach((next, i) => {
      if (next) out.set(clashes[i]![0], next);
    });
  }
  // Rows left as they were are not written again.
  return [...out.entries()].filter(([k, row]) => current.get(k) !== row).map(([k, row]) => [k, row as StateRow]);
}

/** DO UPDATE SET over each (old, given) pair: the new row, or undefined where WHERE is not TRUE. */
function updatedRows(session: Session, def: TableDef, pairs: readonly [Record<string, unknown>, Record<string, unknown>][], conflict: Extract<InsertConflict, { action: 'update' }>): (Record<string, unknown> | undefined)[] {
  const excluded = (name: string) => `\u0000excluded.${name}`;
  const fields = [...def.schema, ...def.schema.map((f) => ({ ...f, name: excluded(f.name) }))];
  // The table's columns by name (and qualified by it); the row given as excluded.c.
  const scope = new Scope([...def.schema.map((f) => ({ qualifier: def.name, name: f.name, type: f.type })), ...def.schema.map((f) => ({ qualifier: 'excluded', name: f.name, type: f.type, hidden: true }))]);
  const batch = batchFromRows(fields, pairs.map(([old, given]) => ({ ...old, ...Object.fromEntries(def.schema.map((f) => [excluded(f.name), given[f.name] ?? null])) })));
  const evaluate = (e: Expr, type: DataType | undefined, clause: string): unknown[] => {
    const bound = bindExpr(type ? { kind: 'Cast', operand: e, type, span: e.span } : e, scope, session.catalog, { clause });
    const { values, errors } = compileExpr(bound, fields, session.env.udfs).evaluate(batch);
    if (errors.length) throw new SluiceError('INVALID_ARGUMENT', `ON CONFLICT ${clause}: ${errors[0]!.message}`, { span: e.span, hint: 'nothing was inserted' });
    return values;
  };
  const keep = conflict.where ? evaluate(conflict.where, undefined, 'WHERE').map((v) => v === true) : pairs.map(() => true);
  const next = pairs.map(([old]) => ({ ...old }));
  for (const { column, value } of conflict.sets) {
    const field = def.schema.find((f) => normalizeName(f.name) === normalizeName(column.name));
    if (!field) throw new SluiceError('UNKNOWN_COLUMN', `table ${def.name} has no column ${column.name}`, { span: column.span });
    if (def.primaryKey.some((k) => normalizeName(k) === normalizeName(field.name))) {
      throw new SluiceError('INVALID_ARGUMENT', `ON CONFLICT DO UPDATE cannot SET ${field.name}, a column of the primary key`, { span: column.span, hint: 'the row keeps its key; SET the other columns' });
    }
    evaluate(value, field.type, 'SET').forEach((v, i) => {
      next[i]![field.name] = v ?? null;
    });
  }
  return next.map((row, i) => (keep[i] ? row : undefined));
}
