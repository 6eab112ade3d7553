/**
 * DELETE FROM and UPDATE of a TABLE: the rows where WHERE is TRUE (every row without one) are
 * removed, or rewritten with each SET expression computed over the row's old values and cast to
 * its column's type. All or nothing: a row whose expression fails, a NULL key, or more rows
 * than `--max-result-rows` fail the statement and nothing changes. A stream is an append-only
 * log: its rows are not deleted or updated.
 */
import { SluiceError, throwIfCancelled } from '../../common/errors.js';
import { keyOf } from '../../common/keys.js';
import type { Span } from '../../common/span.js';
import { batchFromRows } from '../../exec/columns.js';
import { compileExpr } from '../../exec/compile-expr.js';
import { normalizeName, type Expr, type FromItem, type Ident, type SelectItem, type SelectQuery } from '../../parser/index.js';
import type { Field } from '../../common/types.js';
import { asCondition, bindExpr, Scope } from '../../planner/bind-expr.js';
import type { Catalog, TableDef } from '../../planner/catalog.js';
import { limitError } from '../../planner/limits.js';
import type { StateRow, TableChange } from '../../state/index.js';
import { checkRows, isDefaultKeyword } from '../insert-bind.js';
import { checkUnique } from '../unique-constraints.js';
import type { Session } from '../session.js';
import { ok } from './definitions.js';
import type { StatementHandler } from './handler.js';
import type { StatementResult } from '../types.js';
import { finalRows } from './insert.js';
import { returningRows } from './returning.js';
import { hasSubquery } from '../../planner/ast-conjuncts.js';
import { stringifyExactJson } from '../../common/exact-json.js';
import { plain } from '../../exec/columns.js';

export async function deleteRows(select: StatementHandler<'Query'>, ...[session, s, text, opts]: Parameters<StatementHandler<'Delete'>>): Promise<StatementResult> {
  const def = tableTarget(s.target, session.catalog, s.truncate ? 'TRUNCATE' : 'DELETE FROM');
  const { keys, rows } = await tableRows(session, def, s.span);
  const hit = await matching(select, session, def, rows, s.where, opts, s.using);
  const changes: TableChange[] = keys.filter((_, i) => hit[i]).map((key) => [key, null]);
  const returned = s.returning && returningRows(session, def, rows.filter((_, i) => hit[i]), s.returning, text);
  throwIfCancelled(opts.signal, 'the DELETE', s.span);
  await session.tables.table(def.name).rows.apply(changes);
  return returned ?? ok(text, `deleted ${changes.length} row(s) from table ${def.name}`);
}

export async function updateRows(select: StatementHandler<'Query'>, ...[session, s, text, opts]: Parameters<StatementHandler<'Update'>>): Promise<StatementResult> {
  const def = tableTarget(s.target, session.catalog, 'UPDATE');
  const { keys, rows } = await tableRows(session, def, s.span);
  // A SET value with a subquery (`SET x = (SELECT MAX(y) FROM b WHERE b.g = t.g)`) is computed by a query too.
  const queried = s.from !== undefined || s.sets.some(({ value }) => hasSubquery(value));
  const { chosen, chosenKeys, next } = queried ? await updatedFrom(select, session, def, keys, rows, s, opts) : await updatedInPlace(select, session, def, keys, rows, s, opts);
  // Rows whose key changes leave their old key first, so that no new row is removed after it is written.
  const moved: TableChange[] = [];
  const written: TableChange[] = [];
  chosen.forEach((_old, i) => {
    // A table without a primary key keeps each row under its own key.
    const before = chosenKeys[i]!;
    const after = def.primaryKey.length ? rowKey(def, next[i]!) : before;
    if (after !== before) moved.push([before, null]);
    written.push([after, next[i]! as StateRow]);
  });
  checkRows(def, next, session.catalog, s.span);
  await checkUnique(session.tables.table(def.name), [...moved, ...written], s.span);
  const returned = s.returning && returningRows(session, def, next, s.returning, text);
  throwIfCancelled(opts.signal, 'the UPDATE', s.span);
  await session.tables.table(def.name).rows.apply([...moved, ...written]);
  return returned ?? ok(text, `updated ${written.length} row(s) in table ${def.name}`);
}

interface Updated {
  /** The rows picked, their keys, and each as the SETs leave it. */
  readonly chosen: readonly Record<string, unknown>[];
  readonly chosenKeys: readonly string[];
  readonly next: Record<string, unknown>[];
}

/** The field each SET writes, checked: a column of the table, set once. */
function setFields(def: TableDef, s: Extract<Parameters<StatementHandler<'Update'>>[1], { kind: 'Update' }>): Field[] {
  const seen = new Set<string>();
  return s.sets.map(({ column }) => {
    const field = def.schema.find((f) => normalizeName(f.name) === normalizeName(column.name));
    if (!field) scopeOf(def).resolve(undefined, column.name, column.span);
    if (seen.has(normalizeName(field!.name))) throw new SluiceError('INVALID_ARGUMENT', `column ${field!.name} is SET twice`, { span: column.span, hint: 'set each column once' });
    seen.add(normalizeName(field!.name));
    return field!;
  });
}

/** SET c = DEFAULT is the column's DEFAULT, else NULL. */
function setValue(def: TableDef, field: Field, value: Expr): Expr {
  return isDefaultKeyword(value) ? (def.defaults?.[field.name] ?? { kind: 'Literal', literal: 'null', value: null, span: value.span }) : value;
}

/**
 * UPDATE t SET ... FROM other WHERE ...: the query `SELECT t.*, <each SET value> FROM t, other
 * WHERE ...` over the rows now; a table row is updated with the values of the first row of that
 * query it appears in (equal rows alike), as PostgreSQL and DuckDB pick one match. Without FROM
 * (a SET value with a subquery), the query is over t alone.
 */
async function updatedFrom(select: StatementHandler<'Query'>, session: Session, def: TableDef, keys: readonly string[], rows: readonly Record<string, unknown>[], s: Extract<Parameters<StatementHandler<'Update'>>[1], { kind: 'Update' }>, opts: Parameters<StatementHandler<'Query'>>[3]): Promise<Updated> {
  const span = s.span;
  const fields = setFields(def, s);
  const target: Ident = { name: def.name, span: s.target.span };
  const items: SelectItem[] = [
    ...def.schema.map((f): SelectItem => ({ kind: 'ExprItem', expr: { kind: 'ColumnRef', qualifier: target, column: { name: f.name, span }, span }, span })),
    ...s.sets.map(({ value }, i): SelectItem => ({ kind: 'ExprItem', expr: { kind: 'Cast', operand: setValue(def, fields[i]!, value), type: fields[i]!.type, span: value.span }, alias: { name: `\u0000set${i}`, span }, span })),
  ];
  const table: FromItem = { kind: 'TableRef', name: target, span: s.target.span };
  const query: SelectQuery = { kind: 'Select', distinct: false, items, from: s.from ? { kind: 'Join', joinType: 'CROSS', left: table, right: s.from, span } : table, ...(s.where ? { where: s.where } : {}), groupBy: [], orderBy: [], span };
  const result = await select(session, { kind: 'Query', query, span }, `UPDATE ${def.name} ...`, { ...opts, bounded: true });
  const found = new Map<string, readonly unknown[]>();
  for (const r of await finalRows(session, result, span)) {
    const key = rowText(r.slice(0, def.schema.length));
    if (!found.has(key)) found.set(key, r.slice(def.schema.length));
  }
  const chosen: Record<string, unknown>[] = [];
  const chosenKeys: string[] = [];
  const next: Record<string, unknown>[] = [];
  rows.forEach((row, i) => {
    const values = found.get(rowText(def.schema.map((f) => row[f.name] ?? null)));
    if (!values) return;
    const updated = { ...row };
    fields.forEach((f, k) => {
      const v = values[k] ?? null;
      if (v === null && !f.nullable) throw new SluiceError('INVALID_ARGUMENT', `SET ${f.name}: NULL in a NOT NULL column`, { span: s.sets[k]!.value.span, hint: 'nothing was updated' });
      updated[f.name] = v;
    });
    chosen.push(row);
    chosenKeys.push(keys[i]!);
    next.push(updated);
  });
  return { chosen, chosenKeys, next };
}

/** UPDATE t SET ... [WHERE ...] over the table's own rows. */
async function updatedInPlace(select: StatementHandler<'Query'>, session: Session, def: TableDef, keys: readonly string[], rows: readonly Record<string, unknown>[], s: Extract<Parameters<StatementHandler<'Update'>>[1], { kind: 'Update' }>, opts: Parameters<StatementHandler<'Query'>>[3]): Promise<Updated> {
  const hit = await matching(select, session, def, rows, s.where, opts);
  const chosen = rows.filter((_, i) => hit[i]);
  const chosenKeys = keys.filter((_, i) => hit[i]);
  const batch = batchFromRows(def.schema, chosen);
  const next = chosen.map((r) => ({ ...r }));
  const fields = setFields(def, s);
  s.sets.forEach(({ value }, k) => {
    const field = fields[k];
    const bound = bindExpr({ kind: 'Cast', operand: setValue(def, field!, value), type: field!.type, span: value.span }, scopeOf(def), session.catalog, { clause: 'SET' });
    const { values, errors } = compileExpr(bound, def.schema, session.env.udfs).evaluate(batch);
    if (errors.length) throw new SluiceError('INVALID_ARGUMENT', `SET ${field!.name}: ${errors[0]!.message}`, { span: value.span, hint: 'nothing was updated' });
    values.forEach((v, i) => {
      if ((v ?? null) === null && !field!.nullable) {
        throw new SluiceError('INVALID_ARGUMENT', `SET ${field!.name}: NULL in a NOT NULL column`, { span: value.span, hint: `${field!.name} is part of the primary key of ${def.name}` });
      }
      next[i]![field!.name] = v ?? null;
    });
  });
  return { chosen, chosenKeys, next };
}

/** The table a DELETE or UPDATE changes; a clear error for a stream, view or sink. */
export function tableTarget(target: Ident, catalog: Catalog, what: string): TableDef {
  const def = catalog.relation(target.name, target.span);
  if (def.kind !== 'table') {
    throw new SluiceError('UNSUPPORTED', `${what} changes a table; '${def.name}' is a ${def.kind}`, {
      span: target.span,
      hint: def.kind === 'stream' ? "a stream is an append-only log: its rows are not deleted or updated; keep the current row per key in a TABLE or a materialized view" : 'change the table or stream it reads',
    });
  }
  return def;
}

/** The table's rows now and the keys they are stored under (at most `--max-result-rows`). */
async function tableRows(session: Session, def: TableDef, span: Span): Promise<{ keys: string[]; rows: Record<string, unknown>[] }> {
  const max = session.catalog.limits.maxResultRows;
  const rows: Record<string, unknown>[] = [];
  const keys: string[] = [];
  for await (const [key, r] of session.tables.table(def.name).kv.scan()) {
    keys.push(key);
    rows.push(r as Record<string, unknown>);
    if (rows.length > max) throw limitError('maxResultRows', `table ${def.name} holds more than ${max.toLocaleString('en-US')} rows, more than one statement changes`, span, 'change fewer rows at a time with a narrower WHERE on the key');
  }
  return { keys, rows };
}

/**
 * Per row, whether WHERE is TRUE for it (every row without WHERE). A WHERE with a subquery
 * (`id IN (SELECT ...)`, `EXISTS (...)`) runs as the query `SELECT * FROM t WHERE ...` over the
 * table's rows now (its subqueries over streams read the rows they hold), and a row is picked when
 * that query gives a row equal to it: equal rows meet WHERE alike, whatever they are.
 */
async function matching(select: StatementHandler<'Query'>, session: Session, def: TableDef, rows: readonly Record<string, unknown>[], where: Expr | undefined, opts: Parameters<StatementHandler<'Query'>>[3], using?: FromItem): Promise<boolean[]> {
  if (!where && !using) return rows.map(() => true);
  if (using || hasSubquery(where!)) {
    const span = where?.span ?? using!.span;
    const target: Ident = { name: def.name, span };
    const table: FromItem = { kind: 'TableRef', name: target, span };
    // With USING: SELECT t.* FROM t, other WHERE ... (a row with any match is picked).
    const query: SelectQuery = { kind: 'Select', distinct: false, items: [{ kind: 'Star', ...(using ? { qualifier: target } : {}), span }], from: using ? { kind: 'Join', joinType: 'CROSS', left: table, right: using, span } : table, ...(where ? { where } : {}), groupBy: [], orderBy: [], span };
    const result = await select(session, { kind: 'Query', query, span }, `SELECT * FROM ${def.name} WHERE ...`, { ...opts, bounded: true });
    const picked = new Set((await finalRows(session, result, span)).map(rowText));
    return rows.map((r) => picked.has(rowText(def.schema.map((f) => r[f.name] ?? null))));
  }
  const cond = where!;
  const bound = asCondition(bindExpr(cond, scopeOf(def), session.catalog, { clause: 'WHERE' }), 'WHERE', cond.span);
  const { values, errors } = compileExpr(bound, def.schema, session.env.udfs).evaluate(batchFromRows(def.schema, rows));
  if (errors.length) throw new SluiceError('INVALID_ARGUMENT', `WHERE: ${errors[0]!.message}`, { span: cond.span, hint: 'nothing was changed' });
  return Array.from(values, (v) => v === true);
}

/** A row's values as one text, equal for equal rows (numbers, bigints, lists and structs alike). */
function rowText(values: readonly unknown[]): string {
  return stringifyExactJson(values.map(plain));
}

function scopeOf(def: TableDef): Scope {
  return new Scope(def.schema.map((f) => ({ qualifier: def.name, name: f.name, type: f.type })));
}

function rowKey(def: TableDef, row: Record<string, unknown>): string {
  return keyOf(def.primaryKey.map((k) => row[def.schema.find((f) => normalizeName(f.name) === normalizeName(k))!.name]));
}
