/** Plans the FROM clause: scans, lookup joins, interval joins, window table functions, subqueries. */
import { LIFTED_PREFIX } from './window-lift.js';
import { SluiceError } from '../common/errors.js';
import { spanOf, type Span } from '../common/span.js';
import { T, typeToString, type DataType, type Field } from '../common/types.js';
import { normalizeName, type Expr, type FromItem, type Ident, type JoinRef, type UnionRef, type ValuesRef, type WindowRef } from '../parser/ast.js';
import { asCondition, bindExpr, literalsAsOthers, Scope, type ScopeColumn } from './bind-expr.js';
import { andAll, conjuncts, exprToString, factoredConjuncts, visit, type BoundExpr } from './bound-expr.js';
import { fnv1a32 } from '../common/hash.js';
import type { Catalog, TableDef } from './catalog.js';
import { commonType } from './functions.js';
import { crossColumns, hashJoinOn } from './join-keys.js';
import { impliedLateral, lateralQuery, lateralRows, planLateralQuery, planLateralRows } from './lateral.js';
import { planAsofJoin } from './asof-join.js';
import { checkInterval, checkIntervalMagnitude, checkWindowsPerRow, fixedMillis } from './limits.js';
import type { LogicalPlan } from './logical.js';
import { isUpdating, logicalStreamKind } from './stream-kind.js';

/**
 * The start of the name of constant rows (VALUES, a SELECT without FROM) as a relation; a hash of
 * the rows follows, so the name (which the checkpoint records the rows as given under, and which
 * state ids hash) is the same each time the query's text is planned.
 */
export const CONSTANT_RELATION = '\u0000values:';

/** A scan of constant rows (see LogicalScan.constants). */
export function constantScan(rows: readonly (readonly BoundExpr[])[], fields: readonly Field[]): LogicalPlan {
  const text = JSON.stringify([fields.map((f) => `${f.name} ${typeToString(f.type)}`), rows.map((r) => r.map(exprToString))]);
  const hash = (fnv1a32(text) >>> 0).toString(16).padStart(8, '0');
  return { kind: 'LogicalScan', relation: `${CONSTANT_RELATION}${hash}`, relationKind: 'table', columns: fields.map((_, i) => i), fields, constants: rows };
}

export interface Planned {
  readonly plan: LogicalPlan;
  readonly scope: Scope;
}

/** Plans a nested SELECT; supplied by plan-select to avoid an import cycle. */
export type SubqueryPlanner = (q: import('../parser/ast.js').SelectQuery) => { plan: LogicalPlan; names: readonly string[] };

export function planFrom(item: FromItem, catalog: Catalog, planSub: SubqueryPlanner, pull = false): Planned {
  switch (item.kind) {
    case 'TableRef': {
      const def = catalog.relation(item.name.name, item.name.span);
      if (def.kind === 'sink' && String(def.options['connector'] ?? 'log').toLowerCase() !== 'log') {
        throw new SluiceError('INVALID_ARGUMENT', `'${def.name}' is a sink; it cannot be read`, {
          span: item.name.span,
          hint: 'read the stream, table or view the sink writes from',
        });
      }
      const qualifier = item.alias?.name ?? def.name;
      const fields = def.schema;
      const wm = (def.kind === 'stream' || def.kind === 'view') && def.watermark ? def.watermark : undefined;
      const wmIndex = wm ? fields.findIndex((f) => normalizeName(f.name) === normalizeName(wm.column)) : -1;
      const plan: LogicalPlan = {
        kind: 'LogicalScan',
        relation: def.name,
        // A sink on the embedded log reads as the stream it writes.
        relationKind: def.kind === 'sink' ? 'stream' : def.kind,
        columns: fields.map((_, i) => i),
        fields,
        ...(wm && wmIndex >= 0 ? { watermark: { column: wmIndex, delayMs: wm.delayMs + (wm.latenessMs ?? 0) } } : {}),
        // A pull query reads the view's current rows: inserts only.
        ...(!pull && def.kind === 'view' && def.changes ? { changes: { key: def.changes === 'upsert' ? def.key.map((k) => fields.findIndex((f) => normalizeName(f.name) === normalizeName(k))) : [] } } : {}),
        // Over streams a table is read whole as its changelog: each row as it was, then changed, by its key.
        ...(!pull && def.kind === 'table' ? { changes: { key: def.primaryKey.map((k) => fields.findIndex((f) => normalizeName(f.name) === normalizeName(k))) } } : {}),
      };
      // Columns a rewrite added for its own use (window-lift.ts) are not for `*`.
      return { plan, scope: new Scope(fields.map((f) => ({ qualifier, name: f.name, type: f.type, ...(f.name.startsWith(LIFTED_PREFIX) ? { hidden: true } : {}) }))) };
    }
    case 'Subquery': {
      const sub = planSub(item.query);
      const qualifier = item.alias?.name;
      if (item.columns && item.columns.length > sub.plan.fields.length) {
        throw new SluiceError('INVALID_ARGUMENT', `the subquery has ${sub.plan.fields.length} columns, but ${item.columns.length} names are given for them`, { span: item.columns[sub.plan.fields.length]!.span, hint: 'name at most as many columns as it selects' });
      }
      // A lifted window's column (window-lift.ts) is no column of the subquery's result: `*` leaves it out.
      const cols: ScopeColumn[] = sub.plan.fields.map((f, i) => {
        const name = item.columns?.[i]?.name ?? sub.names[i] ?? f.name;
        return { ...(qualifier ? { qualifier } : {}), name, type: f.type, ...(name.startsWith(LIFTED_PREFIX) ? { hidden: true } : {}) };
      });
      return { plan: sub.plan, scope: new Scope(cols) };
    }
    case 'Window':
      return planWindow(item, catalog, planSub);
    case 'Join':
      return planJoin(item, catalog, planSub, pull);
    case 'Union':
      return planUnion(item, catalog, planSub);
    case 'Values':
      return planValues(item, catalog);
  }
}

/**
 * `(VALUES (...), ...) [AS] t(a, b)`: constant rows, all of one width; each column of the type
 * that holds every row's value (a value of another type is cast), named by the alias's list or
 * col0, col1, ... as in DuckDB.
 */
function planValues(item: ValuesRef, catalog: Catalog): Planned {
  const rows = item.rows.map((row) => row.map((e) => bindExpr(e, new Scope([]), catalog, { clause: 'VALUES' })));
  const width = rows[0]!.length;
  // A column's string literals take the type of its other values (VALUES (1), ('2') is INT), as DuckDB reads them.
  for (let c = 0; c < width; c++) {
    if (rows.some((row) => row.length !== width)) break;
    literalsAsOthers(rows.map((row) => row[c]!)).forEach((e, r) => (rows[r]![c] = e));
  }
  rows.forEach((row, r) => {
    if (row.length !== width) {
      throw new SluiceError('INVALID_ARGUMENT', `VALUES row ${r + 1} has ${row.length} value${row.length === 1 ? '' : 's'}; the first row has ${width}`, { span: spanOf(item.rows[r]![0]!.span, item.rows[r]![row.length - 1]!.span), hint: 'give every row the same number of values' });
    }
  });
  if (item.columns && item.columns.length > width) {
    throw new SluiceError('INVALID_ARGUMENT', `VALUES has ${width} columns, but ${item.columns.length} names are given for them`, { span: item.columns[width]!.span, hint: 'name at most as many columns as each row has values' });
  }
  const types = Array.from({ length: width }, (_, c) =>
    rows.reduce<DataType>((t, row, r) => {
      const next = commonType(t, row[c]!.type);
      if (!next) throw new SluiceError('TYPE_MISMATCH', `VALUES column ${c + 1} holds ${typeToString(t)} and ${typeToString(row[c]!.type)} (row ${r + 1})`, { span: row[c]!.span, hint: 'CAST the values to one type' });
      return next;
    }, T.NULL),
  );
  const fields = types.map((type, c): Field => ({ name: item.columns?.[c]?.name ?? `col${c}`, type, nullable: true }));
  const constants = rows.map((row) => row.map((e, c): BoundExpr => (e.type.kind === 'NULL' || sameType(e.type, types[c]!) ? e : { kind: 'Cast', operand: e, type: types[c]!, ...(e.span ? { span: e.span } : {}) })));
  const qualifier = item.alias?.name;
  return { plan: constantScan(constants, fields), scope: new Scope(fields.map((f) => ({ ...(qualifier ? { qualifier } : {}), name: f.name, type: f.type }))) };
}

/**
 * UNION ALL: each branch planned as a subquery; columns match by position, named as the first
 * branch names them, of the type that holds every branch's (a branch of another type is cast).
 */
function planUnion(item: UnionRef, catalog: Catalog, planSub: SubqueryPlanner): Planned {
  const planned = item.inputs.map((q) => ({ q, ...planSub(q) }));
  const branches = item.byName ? alignedByName(planned) : planned;
  const what = item.setOp ?? 'UNION';
  const first = branches[0]!;
  const width = first.plan.fields.length;
  for (const b of branches) {
    if (b.plan.fields.length !== width) {
      throw new SluiceError('TYPE_MISMATCH', `each SELECT of ${what === 'UNION' ? 'a UNION' : `an ${what}`} must have the same number of columns: the first has ${width}, this one ${b.plan.fields.length}`, {
        span: b.q.span,
        hint: `select ${width} column${width === 1 ? '' : 's'} here, in the order of the first SELECT`,
      });
    }
  }
  const types = first.plan.fields.map((f, i) => {
    let t: DataType | undefined = f.type;
    for (const b of branches) {
      const next: DataType | undefined = t && (commonType(t, b.plan.fields[i]!.type) ?? asText(t, b.plan.fields[i]!.type));
      if (!next) {
        throw new SluiceError('TYPE_MISMATCH', `column ${i + 1} (${first.names[i] ?? f.name}) of the ${what} is ${typeToString(t!)} in one SELECT and ${typeToString(b.plan.fields[i]!.type)} in another`, {
          span: b.q.span,
          hint: 'CAST one of them so that they have one type',
        });
      }
      t = next;
    }
    return t!.kind === 'NULL' ? T.STRING : t!;
  });
  const fields: Field[] = types.map((type, i) => ({ name: first.names[i] ?? first.plan.fields[i]!.name, type, nullable: true }));
  const inputs = branches.map(({ plan }): LogicalPlan => {
    if (plan.fields.every((f, i) => sameType(f.type, types[i]!))) return plan;
    const exprs: BoundExpr[] = plan.fields.map((f, i) => {
      const column: BoundExpr = { kind: 'Column', index: i, name: f.name, type: f.type };
      return sameType(f.type, types[i]!) ? column : { kind: 'Cast', operand: column, type: types[i]! };
    });
    return { kind: 'LogicalProject', input: plan, exprs, fields: plan.fields.map((f, i) => ({ ...f, type: types[i]! })) };
  });
  const scope = new Scope(fields.map((f) => ({ name: f.name, type: f.type })));
  if (item.setOp) return { plan: planSetOperation(item.setOp, item.all === true, inputs, fields, catalog, item.span), scope };
  return { plan: { kind: 'LogicalUnion', inputs, fields }, scope };
}

/**
 * A column that is text in one branch of a set operation and a number, time or BOOLEAN in
 * another is text, the others written as CAST writes them, as DuckDB makes it (`SELECT 1 UNION
 * ALL SELECT 'a'` is VARCHAR); lists and structs (maps among them) are not.
 */
function asText(a: DataType, b: DataType): DataType | undefined {
  const scalar = (t: DataType) => t.kind !== 'ARRAY' && t.kind !== 'STRUCT';
  return (a.kind === 'STRING' || b.kind === 'STRING') && scalar(a) && scalar(b) ? T.STRING : undefined;
}

/**
 * UNION BY NAME's branches with the same columns in the same order: every name any branch has
 * (case-insensitive), in the order they first appear; a branch without one gives NULL for it.
 */
function alignedByName<B extends { readonly plan: LogicalPlan; readonly names: readonly (string | undefined)[] }>(branches: readonly B[]): B[] {
  const nameOf = (b: B, i: number): string => b.names[i] ?? b.plan.fields[i]!.name;
  const all: string[] = [];
  const seen = new Set<string>();
  for (const b of branches) {
    b.plan.fields.forEach((_, i) => {
      const key = normalizeName(nameOf(b, i));
      if (seen.has(key)) return;
      seen.add(key);
      all.push(nameOf(b, i));
    });
  }
  return branches.map((b) => {
    const at = new Map(b.plan.fields.map((_, i) => [normalizeName(nameOf(b, i)), i] as const));
    const exprs = all.map((name): BoundExpr => {
      const i = at.get(normalizeName(name));
      return i === undefined ? { kind: 'Literal', value: null, type: T.NULL } : { kind: 'Column', index: i, name: b.plan.fields[i]!.name, type: b.plan.fields[i]!.type };
    });
    const fields = all.map((name, k): Field => ({ name, type: exprs[k]!.type, nullable: true }));
    return { ...b, plan: { kind: 'LogicalProject', input: b.plan, exprs, fields }, names: all };
  });
}

/**
 * `a INTERSECT b` and `a EXCEPT b` as a grouping of both inputs' rows, each tagged with the input
 * it came from: one row per distinct row (NULLs equal, as in GROUP BY) that `a` holds and `b`
 * does (or does not). With ALL, the row as many times as both hold it (the fewer copies), or as
 * `a` holds it more often than `b`: an UNNEST of that many. Over streams the result updates as
 * rows arrive on either side.
 */
function planSetOperation(op: 'INTERSECT' | 'EXCEPT', all: boolean, inputs: readonly LogicalPlan[], fields: readonly Field[], catalog: Catalog, span: Span): LogicalPlan {
  const n = fields.length;
  const tags: Field[] = [
    { name: 'in_left', type: T.INT, nullable: false },
    { name: 'in_right', type: T.INT, nullable: false },
  ];
  const tagged = inputs.map((input, side): LogicalPlan => ({
    kind: 'LogicalProject',
    input,
    exprs: [...fields.map((f, i): BoundExpr => ({ kind: 'Column', index: i, name: f.name, type: f.type })), ...[0, 1].map((t): BoundExpr => ({ kind: 'Literal', value: t === side ? 1 : 0, type: T.INT }))],
    fields: [...fields, ...tags],
  }));
  const union: LogicalPlan = { kind: 'LogicalUnion', inputs: tagged, fields: [...fields, ...tags] };
  const counts: Field[] = [
    { name: 'left_rows', type: T.BIGINT, nullable: true },
    { name: 'right_rows', type: T.BIGINT, nullable: true },
  ];
  const grouped: LogicalPlan = {
    kind: 'LogicalAggregate',
    input: union,
    groupBy: fields.map((f, i): BoundExpr => ({ kind: 'Column', index: i, name: f.name, type: f.type })),
    aggregates: [0, 1].map((t) => ({ fn: 'sum', args: [{ kind: 'Column', index: n + t, name: tags[t]!.name, type: T.INT }], name: counts[t]!.name })),
    fields: [...fields, ...counts],
  };
  // The names of the counts, so that an expression over the grouped row can read them.
  const over = new Scope([...fields.map((f, i) => ({ name: `\u0000c${i}`, type: f.type })), ...counts.map((f) => ({ name: f.name, type: f.type }))]);
  const at = (name: string): Expr => ({ kind: 'ColumnRef', column: { name, span }, span });
  const zero: Expr = { kind: 'Literal', literal: 'integer', value: 0, span };
  const cond: Expr = {
    kind: 'Binary',
    op: 'AND',
    left: { kind: 'Binary', op: '>', left: at('left_rows'), right: zero, span },
    right: { kind: 'Binary', op: op === 'INTERSECT' ? '>' : '=', left: at('right_rows'), right: zero, span },
    span,
  };
  const kept: LogicalPlan = { kind: 'LogicalFilter', input: grouped, predicate: bindExpr(all && op === 'EXCEPT' ? cond.left : cond, over, catalog), fields: grouped.fields };
  const own = fields.map((f, i): BoundExpr => ({ kind: 'Column', index: i, name: f.name, type: f.type }));
  if (!all) return { kind: 'LogicalProject', input: kept, exprs: own, fields };
  const call = (name: string, args: Expr[]): Expr => ({ kind: 'Call', name: { name, span }, args, distinct: false, star: false, span });
  const copies = op === 'INTERSECT' ? call('LEAST', [at('left_rows'), at('right_rows')]) : { kind: 'Binary', op: '-', left: at('left_rows'), right: at('right_rows'), span } as const;
  const repeated: LogicalPlan = {
    kind: 'LogicalUnnest',
    input: kept,
    arrays: [bindExpr(call('RANGE', [copies]), over, catalog)],
    fields: [...grouped.fields, { name: '\u0000copy', type: T.BIGINT, nullable: true }],
  };
  return { kind: 'LogicalProject', input: repeated, exprs: own, fields };
}

function sameType(a: DataType, b: DataType): boolean {
  return typeToString(a) === typeToString(b);
}

function planWindow(item: WindowRef, catalog: Catalog, planSub: SubqueryPlanner): Planned {
  const input = planFrom(item.input, catalog, planSub);
  const timeColumn = input.scope.resolve(undefined, item.timeColumn.name, item.timeColumn.span);
  const timeType = input.scope.columns[timeColumn]!.type;
  if (timeType.kind !== 'TIMESTAMP') {
    throw new SluiceError('TYPE_MISMATCH', `window time column '${item.timeColumn.name}' must be a TIMESTAMP, not ${timeType.kind}`, {
      span: item.timeColumn.span,
    });
  }
  const want = item.fn === 'HOP' ? 2 : 1;
  if (item.args.length !== want) {
    throw new SluiceError('INVALID_ARGUMENT', `${item.fn} takes ${want === 2 ? 'a slide and a size' : item.fn === 'SESSION' ? 'a gap' : 'a size'} interval`, {
      span: item.span,
      hint: item.fn === 'HOP' ? "e.g. HOP(TABLE bid, DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND)" : undefined,
    });
  }
  const what = item.fn === 'HOP' ? ['HOP slide', 'HOP size'] : item.fn === 'SESSION' ? ['SESSION gap'] : ['TUMBLE size'];
  const ms = item.args.map((a, i) => checkInterval(intervalMillis(a), what[i] ?? item.fn, a.span, catalog.limits, item.fn === 'SESSION' ? 'maxSessionGapMs' : 'maxIntervalMs'));
  const sizeMs = item.fn === 'HOP' ? ms[1]! : ms[0]!;
  const slideMs = item.fn === 'HOP' ? ms[0]! : sizeMs;
  if (item.fn === 'HOP' && sizeMs % slideMs !== 0) {
    throw new SluiceError('INVALID_ARGUMENT', 'HOP size must be a whole multiple of its slide', { span: item.args[1]!.span });
  }
  if (item.fn === 'HOP') checkWindowsPerRow(sizeMs, slideMs, item.span, catalog.limits);
  const qualifier = item.alias?.name;
  const fields: Field[] = [
    ...input.plan.fields,
    { name: 'window_start', type: T.TIMESTAMP, nullable: false },
    { name: 'window_end', type: T.TIMESTAMP, nullable: false },
  ];
  const cols: ScopeColumn[] = [
    ...input.scope.columns.map((c) => (qualifier ? { ...c, qualifier } : c)),
    { ...(qualifier ? { qualifier } : {}), name: 'window_start', type: T.TIMESTAMP },
    { ...(qualifier ? { qualifier } : {}), name: 'window_end', type: T.TIMESTAMP },
  ];
  return {
    plan: { kind: 'LogicalWindow', input: input.plan, fn: item.fn, timeColumn, sizeMs, slideMs, gapMs: item.fn === 'SESSION' ? sizeMs : 0, fields },
    scope: new Scope(cols),
  };
}

function intervalMillis(e: Expr): number {
  if (e.kind === 'Interval') return fixedMillis(e, 'a window');
  throw new SluiceError('INVALID_ARGUMENT', 'expected a positive INTERVAL literal', { span: e.span, hint: "e.g. INTERVAL '1' MINUTE" });
}

function planJoin(asWritten: JoinRef, catalog: Catalog, planSub: SubqueryPlanner, pull: boolean): Planned {
  const written = impliedLateral(asWritten);
  if (written.asof) return planAsofJoin(written, planFrom(written.left, catalog, planSub, pull), planFrom(written.right, catalog, planSub, pull), catalog, planSub, pull);
  const tableFirst = pull ? undefined : tableBeforeStream(written, catalog, planSub);
  if (tableFirst) return planTableFirst(written, tableFirst, catalog, planSub);
  const left = planFrom(written.left, catalog, planSub, pull);
  // FROM s, unnest(s.tags): values of each left row, computed over the left side's rows.
  const lateral = lateralRows(written);
  if (lateral) return planLateralRows(lateral, left, catalog);
  const lateralSub = lateralQuery(written);
  if (lateralSub) return planLateralQuery(written, lateralSub, left, catalog, planSub, pull, (j) => planJoin(j, catalog, planSub, pull));
  const ref = written.right.kind === 'TableRef' ? written.right : undefined;
  const def = ref ? catalog.relation(ref.name.name, ref.name.span) : undefined;
  const right = planFrom(written.right, catalog, planSub, pull);
  refuseSameName(left.scope, right.scope, written.right.span);
  const named = written.natural ? naturalJoin(written, left, visibleNames(right.scope)) : written;
  // `s JOIN t` without ON matches the table's key by name: where the table is joined as its
  // changelog (the rows that would look it up change), that is USING (the key columns).
  const item = def?.kind === 'table' && !drivesLookup(left.plan, pull) && bareKeyJoin(named, def) ? { ...named, using: def.primaryKey.map((name) => ({ name, span: named.right.span })) } : named;
  // A join the table's key serves looks the table up by key per row (over streams, the table as
  // it is when the row is read); any other reads the table whole (over streams, its changelog)
  // and is a hash join.
  const qualifier = ref?.alias?.name ?? def?.name ?? '';
  if (def?.kind === 'table' && (item.joinType === 'INNER' || item.joinType === 'LEFT') && drivesLookup(left.plan, pull) && lookupServes(item, left, def, qualifier, catalog)) {
    return planLookupJoin(item, left, def, qualifier, catalog);
  }
  // Two streams within a time bound: an interval join, which lets go of rows the bound retires.
  if (!pull && item.joinType === 'INNER' && item.on && intervalJoinOn(item.on, left, right!, catalog)) return planIntervalJoin(item, left, right!, catalog);
  return planHashJoin(item, left, right!, catalog);
}

/**
 * Two sides of a join named alike (`FROM t JOIN t USING (id)`) are refused, as DuckDB and
 * PostgreSQL refuse them: `t.x` could mean either, and `*` would show both under one name.
 */
function refuseSameName(left: Scope, right: Scope, span: Span): void {
  const names = (scope: Scope) => new Set(scope.columns.filter((c) => !c.hidden && c.qualifier && /^[^\s\u0000]/.test(c.qualifier)).map((c) => normalizeName(c.qualifier!)));
  const leftNames = names(left);
  const same = [...names(right)].find((n) => leftNames.has(n));
  if (same === undefined) return;
  throw new SluiceError('INVALID_ARGUMENT', `'${same}' names two relations of this FROM`, {
    span,
    hint: 'give each side an alias of its own, e.g. FROM t AS a JOIN t AS b ON a.k = b.k',
  });
}

/**
 * Whether rows of `plan` may look a table up by key as they come: rows of a stream (append-only),
 * each joined with the table as it is then (a stream has no end to wait for), or any rows in a
 * pull query (the table as of the query). Rows that change (a table's changelog, an aggregate's
 * updates: a view over tables alone) join the table's changelog instead, so that the view
 * follows the table as a batch engine's answer would.
 */
export function drivesLookup(plan: LogicalPlan, pull: boolean): boolean {
  return pull || !isUpdating(logicalStreamKind(plan));
}

/** An INNER or LEFT join with a keyed table written without ON, USING or NATURAL. */
function bareKeyJoin(item: JoinRef, table: TableDef): boolean {
  return (item.joinType === 'INNER' || item.joinType === 'LEFT') && !item.on && !item.using && !item.natural && table.primaryKey.length > 0;
}

/** Whether a lookup of `table` by its key answers the join (else it reads the table whole). */
function lookupServes(item: JoinRef, left: Planned, table: TableDef, qualifier: string, catalog: Catalog): boolean {
  // A table without a primary key has no key to look up: it is joined by its rows.
  if (table.primaryKey.length === 0) {
    if (!item.on && !item.using && !item.natural && item.joinType !== 'CROSS') {
      throw new SluiceError('INVALID_JOIN', `table '${table.name}' has no primary key to look up: a join with it needs ON`, { span: item.right.span, hint: `e.g. JOIN ${table.name} ON ${qualifier}.<column> = <column>` });
    }
    return false;
  }
  try {
    planLookupJoin(item, left, table, qualifier, catalog);
    return true;
  } catch (e) {
    // Without ON, only the table's key can be what the join matches: its error says what is missing.
    const keyed = item.on !== undefined || item.using !== undefined;
    if (keyed && e instanceof SluiceError && (e.code === 'INVALID_JOIN' || e.code === 'UNSUPPORTED')) return false;
    throw e;
  }
}

/**
 * The table of `table [INNER | RIGHT] JOIN <not a table>` in a query over streams, when a lookup
 * of the table by key serves it; any other join of a table (LEFT, FULL, CROSS, or on other
 * columns) reads it whole, as its changelog.
 */
function tableBeforeStream(item: JoinRef, catalog: Catalog, planSub: SubqueryPlanner): TableDef | undefined {
  if (item.left.kind !== 'TableRef') return undefined;
  const def = catalog.relation(item.left.name.name, item.left.name.span);
  if (def.kind !== 'table') return undefined;
  const right = item.right.kind === 'TableRef' ? catalog.relation(item.right.name.name, item.right.name.span) : undefined;
  if (right?.kind === 'table') return undefined;
  if (item.joinType !== 'INNER' && item.joinType !== 'RIGHT') return undefined;
  // A relation that reads the table's row is computed from it: the table comes first.
  if (item.right.kind === 'Subquery' && item.right.lateral) return undefined;
  const stream = planFrom(item.right, catalog, planSub, false);
  if (!drivesLookup(stream.plan, false)) return undefined;
  const flipped: JoinRef = { ...item, left: item.right, right: item.left, joinType: item.joinType === 'RIGHT' ? 'LEFT' : 'INNER' };
  const natural = item.natural ? naturalJoin(flipped, stream, def.schema.map((f) => f.name)) : flipped;
  return lookupServes(natural, stream, def, item.left.alias?.name ?? def.name, catalog) ? def : undefined;
}

/**
 * `table JOIN s` and `table RIGHT JOIN s` over a stream: the lookup joins `s JOIN table` and
 * `s LEFT JOIN table` (the stream drives; the table is looked up by key), with the columns put
 * back in the order written. A USING column shows where the table has it, with the stream's
 * value (which the table's equals, or which stands for it when a RIGHT join pads the table).
 */
function planTableFirst(written: JoinRef, table: TableDef, catalog: Catalog, planSub: SubqueryPlanner): Planned {
  const qualifier = (written.left as Extract<FromItem, { kind: 'TableRef' }>).alias?.name ?? table.name;
  const stream = planFrom(written.right, catalog, planSub, false);
  const flipped: JoinRef = { ...written, left: written.right, right: written.left, joinType: written.joinType === 'RIGHT' ? 'LEFT' : 'INNER' };
  const item = written.natural ? naturalJoin(flipped, stream, table.schema.map((f) => f.name)) : flipped;
  const joined = planLookupJoin(item, stream, table, qualifier, catalog);
  const m = stream.scope.columns.length;
  const t = table.schema.length;
  const fields = joined.plan.fields;
  const order = [...Array.from({ length: t }, (_, i) => m + i), ...Array.from({ length: m }, (_, i) => i)];
  const exprs: BoundExpr[] = order.map((i) => ({ kind: 'Column', index: i, name: fields[i]!.name, type: fields[i]!.type }));
  const outFields: Field[] = order.map((i) => fields[i]!);
  const cols: ScopeColumn[] = order.map((i) => joined.scope.columns[i]!);
  for (const u of item.using ?? []) {
    const ti = table.schema.findIndex((f) => normalizeName(f.name) === normalizeName(u.name));
    const si = stream.scope.columns.findIndex((c) => !c.hidden && normalizeName(c.name) === normalizeName(u.name));
    if (ti < 0 || si < 0) continue;
    exprs.push(exprs[ti]!);
    outFields.push(outFields[ti]!);
    cols.push({ ...cols[ti]!, hidden: true });
    exprs[ti] = { kind: 'Column', index: si, name: fields[si]!.name, type: fields[si]!.type };
    outFields[ti] = { ...fields[si]!, name: table.schema[ti]!.name };
    cols[ti] = { name: table.schema[ti]!.name, type: fields[si]!.type };
    cols[t + si] = { ...cols[t + si]!, hidden: true };
  }
  return { plan: { kind: 'LogicalProject', input: joined.plan, exprs, fields: outFields }, scope: new Scope(cols) };
}

function visibleNames(scope: Scope): string[] {
  return scope.columns.filter((c) => !c.hidden).map((c) => c.name);
}

/** NATURAL JOIN: the join USING every column name both sides show. */
function naturalJoin(item: JoinRef, left: Planned, rightNames: readonly string[]): JoinRef {
  const theirs = new Set(rightNames.map(normalizeName));
  const names = [...new Set(visibleNames(left.scope).filter((n) => theirs.has(normalizeName(n))))];
  if (names.length === 0) {
    throw new SluiceError('INVALID_JOIN', 'NATURAL JOIN finds no column name that both sides have', {
      span: item.span,
      hint: 'write CROSS JOIN for every pair of rows, or JOIN ... ON <condition>',
    });
  }
  return { ...item, using: names.map((name) => ({ name, span: item.right.span })) };
}

/** Whether ON holds what an interval join needs: a key equality and a time bound. */
function intervalJoinOn(on: Expr, left: Planned, right: Planned, catalog: Catalog): boolean {
  const n = left.scope.columns.length;
  const cond = bindExpr(on, new Scope([...left.scope.columns, ...right.scope.columns]), catalog, { clause: 'ON' });
  const parts = factoredConjuncts(cond);
  return parts.some((c) => crossColumns(c, n) !== undefined) && parts.some((c) => c.kind === 'Between' && !c.negated && timeBound(c, n) !== undefined);
}

/**
 * A join that keeps both inputs whole (LogicalHashJoin): INNER, LEFT, RIGHT, FULL or CROSS, on
 * any condition; the equalities between a column of each side are its keys, the rest is checked
 * per pair. USING (k) shows k once, where the left side has it (for RIGHT and FULL joins the
 * value of either side, as COALESCE(l.k, r.k)); `l.k` and `r.k` still name each side's own.
 */
function planHashJoin(item: JoinRef, left: Planned, right: Planned, catalog: Catalog): Planned {
  const n = left.scope.columns.length;
  const joinType = item.joinType === 'CROSS' ? 'INNER' : item.joinType;
  const joined = new Scope([...left.scope.columns, ...right.scope.columns]);
  const using = item.using?.map((u) => usingPair(u, left, right, n));
  const cond = using
    ? andAll(using.map(([l, r]): BoundExpr => ({ kind: 'Binary', op: '=', left: column(joined, l), right: column(joined, r), type: T.BOOLEAN })))
    : item.on
      ? asCondition(bindExpr(item.on, joined, catalog, { clause: 'ON' }), 'ON', item.on.span)
      : undefined;
  if (!cond && item.joinType !== 'CROSS') {
    throw new SluiceError('INVALID_JOIN', 'this join needs ON or USING: only a join with a table may leave them out, to match its primary key', {
      span: item.right.span,
      hint: 'write ON <left column> = <right column>, USING (column), or CROSS JOIN for every pair',
    });
  }
  const padLeft = joinType === 'RIGHT' || joinType === 'FULL';
  const padRight = joinType === 'LEFT' || joinType === 'FULL';
  const fields: Field[] = [
    ...left.plan.fields.map((f) => (padLeft ? { ...f, nullable: true } : f)),
    ...right.plan.fields.map((f) => (padRight ? { ...f, nullable: true } : f)),
  ];
  // Keys are compared by value: the two sides must be of one kind (an INT 1 finds a DOUBLE 1.0).
  const plan = hashJoinOn(joinType, left.plan, right.plan, cond ? factoredConjuncts(cond) : [], fields);
  if (!using) return { plan, scope: joined };
  const hiddenRight = new Set(using.map(([, r]) => r));
  const scope = joined.columns.map((c, i) => (hiddenRight.has(i) ? { ...c, hidden: true } : c));
  if (!padLeft) return { plan, scope: new Scope(scope) };
  // The shown column is either side's value: the left one's place, unqualified; the left
  // side's own columns follow, hidden, for `l.k`.
  const merged = new Map(using.map(([l, r]) => [l, r]));
  const exprs: BoundExpr[] = fields.map((f, i) => ({ kind: 'Column', index: i, name: f.name, type: f.type }));
  const cols: ScopeColumn[] = [...scope];
  for (const [l, r] of merged) {
    const type = commonType(fields[l]!.type, fields[r]!.type)!;
    const arg = (i: number): BoundExpr => (sameType(fields[i]!.type, type) ? exprs[i]! : { kind: 'Cast', operand: exprs[i]!, type });
    exprs[l] = { kind: 'Call', fn: 'coalesce', args: [arg(l), arg(r)], type };
    cols[l] = { name: scope[l]!.name, type };
    exprs.push({ kind: 'Column', index: l, name: fields[l]!.name, type: fields[l]!.type });
    cols.push({ ...scope[l]!, hidden: true });
  }
  const outFields = exprs.map((e, i): Field => ({ name: i < fields.length ? fields[i]!.name : fields[(e as { index: number }).index]!.name, type: e.type, nullable: true }));
  return { plan: { kind: 'LogicalProject', input: plan, exprs, fields: outFields }, scope: new Scope(cols) };
}

/** The column of `USING (name)` on each side, as indexes of the joined row (left, right). */
function usingPair(u: Ident, left: Planned, right: Planned, n: number): [number, number] {
  const side = (p: Planned, what: string) => {
    try {
      return p.scope.resolve(undefined, u.name, u.span);
    } catch (e) {
      if (!(e instanceof SluiceError) || e.code !== 'UNKNOWN_COLUMN') throw e;
      throw new SluiceError('UNKNOWN_COLUMN', `USING (${u.name}): the ${what} side of the join has no column '${u.name}'`, { span: u.span, hint: 'write ON <left column> = <right column>' });
    }
  };
  const l = side(left, 'left');
  const r = side(right, 'right');
  const [lt, rt] = [left.scope.columns[l]!.type, right.scope.columns[r]!.type];
  if (!commonType(lt, rt)) {
    throw new SluiceError('TYPE_MISMATCH', `USING (${u.name}) compares ${typeToString(lt)} with ${typeToString(rt)}, which cannot be compared`, { span: u.span, hint: 'write ON with a CAST on one side' });
  }
  return [l, n + r];
}

function column(scope: Scope, i: number): BoundExpr {
  const c = scope.columns[i]!;
  return { kind: 'Column', index: i, name: c.name, type: c.type };
}


function planLookupJoin(item: JoinRef, left: Planned, table: TableDef, qualifier: string, catalog: Catalog): Planned {
  const joinType = item.joinType;
  if (joinType !== 'INNER' && joinType !== 'LEFT') {
    const why = joinType === 'CROSS' ? '' : ', so it cannot add its rows without a match';
    throw new SluiceError('UNSUPPORTED', `a ${joinType} JOIN with table '${table.name}' in a query over a stream: the table is looked up by key for each stream row, never read whole${why}`, {
      span: item.right.span,
      hint: joinType === 'CROSS' ? `join on the table's key: JOIN ${table.name} ON ${qualifier}.${table.primaryKey[0]} = <column>` : `put the stream first and write LEFT JOIN ${table.name}, which keeps every stream row`,
    });
  }
  const tableCols: ScopeColumn[] = table.schema.map((f) => ({ qualifier, name: f.name, type: f.type }));
  const pkIndexes = table.primaryKey.map((k) => table.schema.findIndex((f) => normalizeName(f.name) === normalizeName(k)));
  let keys: BoundExpr[];
  let residual: BoundExpr | undefined;
  const hiddenPk = new Set<number>();
  if (item.using) checkUsingKey(item.using, table, qualifier);
  // Without ON, or with USING (the key), the left column of the key's name is looked up.
  if (!item.on) {
    keys = table.primaryKey.map((k, i) => {
      const idx = left.scope.columns.findIndex((c) => normalizeName(c.name) === normalizeName(k));
      if (idx < 0) {
        throw new SluiceError('INVALID_JOIN', `JOIN ${table.name} without ON needs a column named '${k}' (the table's primary key) on the left side`, {
          span: item.right.span,
          hint: `write JOIN ${table.name} ON <left column> = ${qualifier}.${k}`,
        });
      }
      hiddenPk.add(pkIndexes[i]!);
      const c = left.scope.columns[idx]!;
      const keyType = table.schema[pkIndexes[i]!]!.type;
      // The same check as `=` in ON: a STRING '1' must not find an INT key 1.
      if (!commonType(c.type, keyType)) {
        throw new SluiceError('TYPE_MISMATCH', `JOIN ${table.name} without ON matches ${c.name} (${typeToString(c.type)}) with the key ${k} (${typeToString(keyType)}), which cannot be compared`, {
          span: item.right.span,
          hint: `write JOIN ${table.name} ON CAST(${c.qualifier ? `${c.qualifier}.` : ''}${c.name} AS ${typeToString(keyType)}) = ${qualifier}.${k}`,
        });
      }
      return { kind: 'Column', index: idx, name: c.name, type: c.type } as const;
    });
  } else {
    const joined = new Scope([...left.scope.columns, ...tableCols]);
    const cond = asCondition(bindExpr(item.on, joined, catalog, { clause: 'ON' }), 'ON', item.on.span);
    const { found, rest } = splitKeyEqualities(cond, left.scope.columns.length, pkIndexes);
    const missing = table.primaryKey.filter((_, i) => !found.has(pkIndexes[i]!));
    if (missing.length) {
      throw new SluiceError('INVALID_JOIN', `a join with table '${table.name}' must match its primary key (${table.primaryKey.join(', ')}); ON does not give ${missing.join(', ')}`, {
        span: item.on.span,
        hint: `add ${missing.map((m) => `${qualifier}.${m} = <left column>`).join(' AND ')} to ON`,
      });
    }
    keys = pkIndexes.map((i) => found.get(i)!);
    residual = andAll(rest);
  }
  const nullable = joinType === 'LEFT';
  const scopeCols = [...left.scope.columns, ...tableCols.map((c, i) => (hiddenPk.has(i) ? { ...c, hidden: true } : c))];
  const fields: Field[] = [...left.plan.fields, ...table.schema.map((f) => ({ ...f, nullable: f.nullable || nullable }))];
  let plan: LogicalPlan = {
    kind: 'LogicalLookupJoin',
    input: left.plan,
    table: table.name,
    joinType,
    keys,
    tableColumns: table.schema.map((_, i) => i),
    fields,
  };
  if (residual) plan = joinType === 'LEFT' ? padUnlessMatched(plan, left.plan.fields.length, residual) : { kind: 'LogicalFilter', input: plan, predicate: residual, fields };
  return { plan, scope: new Scope(scopeCols) };
}

/**
 * The rest of a LEFT lookup join's ON (beyond the key): a stream row finds at most one table row
 * by key, so the pair stands where the rest holds and is the stream row padded with NULLs where
 * it does not (is FALSE or NULL), as in SQL. The test is computed once per row, as a column.
 */
function padUnlessMatched(joined: LogicalPlan, n: number, residual: BoundExpr): LogicalPlan {
  const fields = joined.fields;
  const col = (i: number): BoundExpr => ({ kind: 'Column', index: i, name: fields[i]!.name, type: fields[i]!.type });
  const matchField: Field = { name: '#matched', type: T.BOOLEAN, nullable: true };
  const tested: LogicalPlan = { kind: 'LogicalProject', input: joined, exprs: [...fields.map((_, i) => col(i)), residual], fields: [...fields, matchField] };
  const matched: BoundExpr = { kind: 'Column', index: fields.length, name: matchField.name, type: T.BOOLEAN };
  const exprs = fields.map((f, i): BoundExpr => (i < n ? col(i) : { kind: 'Case', whens: [{ when: matched, then: col(i) }], type: f.type }));
  return { kind: 'LogicalProject', input: tested, exprs, fields };
}

/**
 * The primary-key lookup in a condition over a row of `n` input columns followed by a table's
 * columns: for each key column (an index into the table's schema), the input expression its
 * first equality gives, and the conjuncts left over.
 */
export function splitKeyEqualities(cond: BoundExpr, n: number, pkIndexes: readonly number[]): { found: Map<number, BoundExpr>; rest: BoundExpr[] } {
  const found = new Map<number, BoundExpr>();
  const rest: BoundExpr[] = [];
  for (const c of factoredConjuncts(cond)) {
    if (c.kind === 'Binary' && c.op === '=') {
      const [l, r] = [c.left, c.right];
      const tableSide = (x: BoundExpr) => (x.kind === 'Column' && x.index >= n ? x.index - n : -1);
      const leftOnly = (x: BoundExpr) => !refsAtOrAbove(x, n);
      // The first equality on a key column is the lookup; a second one on the same column is a
      // condition on the joined row (else it would replace the first and look up the wrong key).
      const fresh = (i: number) => pkIndexes.includes(i) && !found.has(i);
      if (fresh(tableSide(r)) && leftOnly(l)) {
        found.set(tableSide(r), l);
        continue;
      }
      if (fresh(tableSide(l)) && leftOnly(r)) {
        found.set(tableSide(l), r);
        continue;
      }
    }
    rest.push(c);
  }
  return { found, rest };
}

export function refsAtOrAbove(e: BoundExpr, n: number): boolean {
  let found = false;
  const walk = (x: BoundExpr): void => {
    if (x.kind === 'Column' && x.index >= n) found = true;
  };
  visit(e, walk);
  return found;
}

/** A lookup join's USING names exactly the table's primary key columns. */
function checkUsingKey(using: readonly Ident[], table: TableDef, qualifier: string): void {
  const key = table.primaryKey.map(normalizeName);
  const names = using.map((u) => normalizeName(u.name));
  if (names.length === key.length && key.every((k) => names.includes(k))) return;
  const span = spanOf(using[0]!.span, using[using.length - 1]!.span);
  throw new SluiceError('INVALID_JOIN', `a join with table '${table.name}' must match its primary key (${table.primaryKey.join(', ')}); USING names ${using.map((u) => u.name).join(', ')}`, {
    span,
    hint: `write USING (${table.primaryKey.join(', ')}), or ON <left column> = ${qualifier}.${table.primaryKey[0]}`,
  });
}

function planIntervalJoin(item: JoinRef, left: Planned, right: Planned, catalog: Catalog): Planned {
  const span: Span = item.span;
  if (!item.on) {
    throw new SluiceError('INVALID_JOIN', 'a join of two streams needs ON with key equality and a time bound', {
      span,
      hint: 'e.g. ON a.k = b.k AND b.ts BETWEEN a.ts AND a.ts + INTERVAL \'1\' HOUR',
    });
  }
  if (item.joinType !== 'INNER') {
    throw new SluiceError('UNSUPPORTED', 'only INNER joins are supported between two streams', { span });
  }
  const n = left.scope.columns.length;
  const joined = new Scope([...left.scope.columns, ...right.scope.columns]);
  const cond = asCondition(bindExpr(item.on, joined, catalog, { clause: 'ON' }), 'ON', item.on.span);
  const leftKeys: number[] = [];
  const rightKeys: number[] = [];
  let bounds: { leftTime: number; rightTime: number; lowerMs: number; upperMs: number } | undefined;
  let boundsSpan: Span | undefined;
  const rest: BoundExpr[] = [];
  for (const c of factoredConjuncts(cond)) {
    if (c.kind === 'Binary' && c.op === '=' && c.left.kind === 'Column' && c.right.kind === 'Column') {
      const [a, b] = [c.left.index, c.right.index];
      if (a < n && b >= n) {
        leftKeys.push(a);
        rightKeys.push(b - n);
        continue;
      }
      if (b < n && a >= n) {
        leftKeys.push(b);
        rightKeys.push(a - n);
        continue;
      }
    }
    if (!bounds && c.kind === 'Between' && !c.negated) {
      const t = timeBound(c, n);
      if (t) {
        bounds = t;
        boundsSpan = c.span;
        continue;
      }
    }
    rest.push(c);
  }
  if (leftKeys.length === 0 || !bounds) {
    throw new SluiceError('INVALID_JOIN', `a join of two streams needs ${leftKeys.length === 0 ? 'an equality between their keys' : 'a time bound'} in ON`, {
      span: item.on.span,
      hint: "e.g. ON a.k = b.k AND b.ts BETWEEN a.ts - INTERVAL '1' MINUTE AND a.ts + INTERVAL '1' HOUR",
    });
  }
  checkIntervalMagnitude(bounds.lowerMs, 'the interval join lower bound', boundsSpan ?? item.on.span, catalog.limits);
  checkIntervalMagnitude(bounds.upperMs, 'the interval join upper bound', boundsSpan ?? item.on.span, catalog.limits);
  const residual = andAll(rest);
  return {
    plan: {
      kind: 'LogicalIntervalJoin',
      left: left.plan,
      right: right.plan,
      leftKeys,
      rightKeys,
      ...bounds,
      ...(residual ? { residual } : {}),
      fields: [...left.plan.fields, ...right.plan.fields],
    },
    scope: joined,
  };
}

/** Recognises `r.ts BETWEEN l.ts [+|- INTERVAL] AND l.ts [+|- INTERVAL]` (either side may be left). */
function timeBound(c: Extract<BoundExpr, { kind: 'Between' }>, n: number) {
  const off = (e: BoundExpr): { col: number; ms: number } | undefined => {
    if (e.kind === 'Column' && e.type.kind === 'TIMESTAMP') return { col: e.index, ms: 0 };
    if (e.kind === 'Binary' && (e.op === '+' || e.op === '-') && e.left.kind === 'Column' && e.right.kind === 'Literal' && e.right.type.kind === 'INTERVAL') {
      const v = e.right.value as number;
      return { col: e.left.index, ms: e.op === '+' ? v : -v };
    }
    return undefined;
  };
  if (c.operand.kind !== 'Column') return undefined;
  const lo = off(c.low);
  const hi = off(c.high);
  if (!lo || !hi || lo.col !== hi.col) return undefined;
  const x = c.operand.index;
  if (x >= n && lo.col < n) return { leftTime: lo.col, rightTime: x - n, lowerMs: lo.ms, upperMs: hi.ms };
  if (x < n && lo.col >= n) {
    // l.ts BETWEEN r.ts + lo AND r.ts + hi  <=>  r.ts BETWEEN l.ts - hi AND l.ts - lo
    return { leftTime: x, rightTime: lo.col - n, lowerMs: -hi.ms, upperMs: -lo.ms };
  }
  return undefined;
}
