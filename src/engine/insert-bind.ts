/** Binding of INSERT INTO ... VALUES: target, columns and one cast expression per value. */
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import { typeToString, type Field } from '../common/types.js';
import { compileExpr, constantValue } from '../exec/compile-expr.js';
import { normalizeName, type CheckConstraint, type Expr, type Statement } from '../parser/index.js';
import { batchFromRows } from '../exec/columns.js';
import { bindExpr, Scope } from '../planner/bind-expr.js';
import { bindCheck, bindDefault } from '../planner/constraints.js';
import type { BoundExpr } from '../planner/bound-expr.js';
import type { Catalog, StreamDef, TableDef } from '../planner/catalog.js';

export interface BoundInsert {
  readonly def: StreamDef | TableDef;
  /** Per row, the target field and the bound value cast to its type, in VALUES order. */
  readonly rows: readonly (readonly { readonly field: Field; readonly value: BoundExpr; readonly span: Span }[])[];
}

/**
 * The DEFAULT values of the columns an INSERT leaves out (`given`: the schema indexes it fills),
 * by column name, each cast to its column's type and computed once; a column without one is
 * left out (NULL). A value that does not convert is a TYPE_MISMATCH at the DEFAULT.
 */
export function defaultValues(def: StreamDef | TableDef, given: readonly number[], catalog: Catalog): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  def.schema.forEach((field, i) => {
    if (given.includes(i)) return;
    const value = bindDefault(def, field, catalog);
    if (value !== undefined) out[field.name] = evaluateInsertValue(field, value, def.defaults![field.name]!.span, def);
  });
  return out;
}

/**
 * CREATE's CHECK constraints, each bound over its columns (a mistake is the CREATE's error), with
 * its text from the statement's (`def.sql`, which starts at `statementStart` in the script).
 */
export function withChecks<D extends StreamDef | TableDef>(def: D, checks: readonly CheckConstraint[] | undefined, catalog: Catalog, statementStart: number): D {
  if (!checks?.length) return def;
  const stored = checks.map((c) => ({ ...c, text: def.sql.slice(c.cond.span.start.offset - statementStart, c.cond.span.end.offset - statementStart) }));
  for (const c of stored) bindCheck(def, c, catalog);
  return { ...def, checks: stored };
}

/**
 * Refuses rows that make one of the relation's CHECK conditions FALSE (NULL passes, as in SQL):
 * the statement fails, naming the first such row and the condition as CREATE wrote it; nothing
 * is written.
 */
export function checkRows(def: StreamDef | TableDef, rows: readonly Record<string, unknown>[], catalog: Catalog, span: Span): void {
  if (!def.checks?.length || rows.length === 0) return;
  const batch = batchFromRows(def.schema, rows);
  for (const check of def.checks) {
    const { cond, label } = bindCheck(def, check, catalog);
    const { values, errors } = compileExpr(cond, def.schema).evaluate(batch);
    if (errors.length) throw new SluiceError('INVALID_ARGUMENT', `${label} of ${def.name} cannot be computed for a row: ${errors[0]!.message}`, { span, hint: 'nothing was written' });
    const bad = values.findIndex((v) => v === false);
    if (bad >= 0) {
      const row = JSON.stringify(rows[bad], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      throw new SluiceError('INVALID_ARGUMENT', `row ${row} breaks ${label} of ${def.name}`, { span, hint: 'nothing was written; give values the condition allows' });
    }
  }
}

/** The DEFAULT values of CREATE's columns, by name; each is checked (as every INSERT would compute it). */
export function columnDefaults<D extends StreamDef | TableDef>(def: D, columns: readonly { readonly name: { readonly name: string }; readonly default?: Expr }[], catalog: Catalog): D {
  const entries = columns.filter((c) => c.default !== undefined).map((c) => [c.name.name, c.default!] as const);
  if (!entries.length) return def;
  const withDefaults = { ...def, defaults: Object.fromEntries(entries) };
  defaultValues(withDefaults, [], catalog);
  return withDefaults;
}

/**
 * Evaluates one bound VALUES item; a value that does not convert to its column's type is a
 * TYPE_MISMATCH with a caret on the value.
 */
export function evaluateInsertValue(field: Field, value: BoundExpr, span: Span, def: StreamDef | TableDef): unknown {
  const misfit = (message: string): SluiceError => new SluiceError('TYPE_MISMATCH', `value for ${field.name}: ${message}`, { span });
  let evaluated: ReturnType<typeof constantValue>;
  try {
    evaluated = constantValue(value);
  } catch (err) {
    // A constant that does not convert is refused when it is compiled.
    throw err instanceof SluiceError && err.code === 'TYPE_MISMATCH' ? misfit(err.message) : err;
  }
  if (evaluated.error !== undefined) throw misfit(evaluated.error);
  if (evaluated.value === null && !field.nullable) {
    throw new SluiceError('INVALID_ARGUMENT', `value for ${field.name}: NULL in a NOT NULL column`, {
      span,
      hint: def.kind === 'table' ? `${field.name} is part of the primary key of ${def.name}; give it a value` : `give ${field.name} a value`,
    });
  }
  return evaluated.value;
}

/** The relation an INSERT writes and the schema indexes of its columns, in the order the values come. */
export function insertTarget(s: Extract<Statement, { kind: 'Insert' }>, catalog: Catalog): { def: StreamDef | TableDef; cols: number[] } {
  const def = catalog.relation(s.target.name, s.target.span);
  if (def.kind !== 'stream' && def.kind !== 'table') {
    throw new SluiceError('INVALID_ARGUMENT', `cannot INSERT INTO ${def.kind} '${def.name}'`, { span: s.target.span, hint: 'insert into a stream or a table' });
  }
  const cols = s.columns
    ? s.columns.map((c) => {
        const i = def.schema.findIndex((f) => normalizeName(f.name) === normalizeName(c.name));
        if (i < 0) new Scope(def.schema.map((f) => ({ name: f.name, type: f.type }))).resolve(undefined, c.name, c.span);
        return i;
      })
    : def.schema.map((_, i) => i);
  return { def, cols };
}

/**
 * Whether a value is the keyword DEFAULT (`VALUES (1, DEFAULT)`, `SET c = DEFAULT`): a bare name
 * DEFAULT, which VALUES cannot mean otherwise (it reads no columns).
 */
export function isDefaultKeyword(e: Expr): boolean {
  return e.kind === 'ColumnRef' && !e.qualifier && e.column.name.toUpperCase() === 'DEFAULT';
}

/**
 * The values of each row of an INSERT ... VALUES, converted to their columns' types, with the
 * target and the fields they fill (in VALUES order). Computed once per statement: the request is
 * checked before it runs (prepare.ts) and the values found then are the ones written, unless the
 * target's columns changed in between (then they are computed again).
 */
export function insertValueRows(s: Extract<Statement, { kind: 'Insert' }>, catalog: Catalog): { def: StreamDef | TableDef; fields: readonly Field[]; rows: readonly (readonly unknown[])[] } {
  const { def, cols } = insertTarget(s, catalog);
  const fields = cols.map((c) => def.schema[c]!);
  const shape = JSON.stringify([def.kind, def.name, fields.map((f) => [f.name, typeToString(f.type), f.nullable]), def.defaults ?? null], (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  const got = computedValues.get(s);
  if (got?.shape === shape) return { def, fields, rows: got.rows };
  const rows = bindInsert(s, catalog).rows.map((values) => values.map(({ field, value, span }) => evaluateInsertValue(field, value, span, def)));
  computedValues.set(s, { shape, rows });
  return { def, fields, rows };
}

/** insertValueRows's values by statement, with the shape of the target they were computed for. */
const computedValues = new WeakMap<object, { readonly shape: string; readonly rows: readonly (readonly unknown[])[] }>();

/** Resolves the target and columns and binds every value; throws with a caret on the first problem. */
export function bindInsert(s: Extract<Statement, { kind: 'Insert' }>, catalog: Catalog): BoundInsert {
  const { def, cols } = insertTarget(s, catalog);
  const rows = s.rows.map((values, r) => {
    if (values.length !== cols.length) {
      throw new SluiceError('INVALID_ARGUMENT', `row ${r + 1} has ${values.length} values; ${def.name} expects ${cols.length}`, {
        span: values[0]?.span ?? s.span,
        hint: `columns: ${cols.map((c) => def.schema[c]!.name).join(', ')}`,
      });
    }
    return values.map((v, k) => {
      const field = def.schema[cols[k]!]!;
      // DEFAULT in VALUES: the column's DEFAULT, else NULL.
      const value = isDefaultKeyword(v) ? (bindDefault(def, field, catalog) ?? { kind: 'Literal' as const, value: null, type: field.type }) : bindExpr({ kind: 'Cast', operand: v, type: field.type, span: v.span }, new Scope([]), catalog, { clause: 'VALUES' });
      return { field, span: v.span, value };
    });
  });
  return { def, rows };
}
