/**
 * A relation's CHECK constraints and column DEFAULTs, bound over its columns: what INSERT and
 * UPDATE statements check, and what a source applies to the records it reads from outside
 * (Kafka, rows posted over HTTP), where a record that breaks a CHECK becomes a dead letter.
 */
import { SluiceError } from '../common/errors.js';
import { typeToString, type Field } from '../common/types.js';
import { bindExpr, Scope } from './bind-expr.js';
import type { BoundExpr } from './bound-expr.js';
import type { Catalog, StoredCheck, StreamDef, TableDef } from './catalog.js';

/** One CHECK condition, bound over the relation's schema, with the text that names it in errors. */
export interface BoundCheck {
  readonly cond: BoundExpr;
  /** `CHECK name (cond)` as CREATE wrote it. */
  readonly label: string;
}

/**
 * What a source applies to each record of a relation: `schema` is the relation's whole schema
 * (the checks read it, whatever columns the query reads); `defaults[c]` is the DEFAULT of
 * column c, cast to its type (undefined: none), taken when a record leaves the column out.
 */
export interface RowConstraints {
  readonly relation: string;
  readonly schema: readonly Field[];
  readonly checks: readonly BoundCheck[];
  readonly defaults: readonly (BoundExpr | undefined)[];
}

/** The rows a CHECK constraint's condition reads: the relation's columns, by name or qualified by it. */
function checkScope(def: StreamDef | TableDef): Scope {
  return new Scope(def.schema.map((f) => ({ qualifier: def.name, name: f.name, type: f.type })));
}

/** One CHECK of `def`, bound; a condition that is not BOOLEAN is a TYPE_MISMATCH at it. */
export function bindCheck(def: StreamDef | TableDef, check: StoredCheck, catalog: Catalog): BoundCheck {
  const cond = bindExpr(check.cond, checkScope(def), catalog, { clause: 'CHECK' });
  if (cond.type.kind !== 'BOOLEAN' && cond.type.kind !== 'NULL') {
    throw new SluiceError('TYPE_MISMATCH', `a CHECK condition must be a BOOLEAN, not ${typeToString(cond.type)}`, { span: check.cond.span, hint: 'e.g. CHECK (amount >= 0)' });
  }
  return { cond, label: `CHECK${check.name ? ` ${check.name.name}` : ''} (${check.text})` };
}

/** The DEFAULT of `field` in `def`, cast to the column's type, or undefined when it has none. */
export function bindDefault(def: StreamDef | TableDef, field: Field, catalog: Catalog): BoundExpr | undefined {
  const d = def.defaults?.[field.name];
  if (d === undefined) return undefined;
  return bindExpr({ kind: 'Cast', operand: d, type: field.type, span: d.span }, new Scope([]), catalog, { clause: 'DEFAULT' });
}

/** The constraints a source of `def` applies, or undefined when it declares none. */
export function rowConstraints(def: StreamDef | TableDef, catalog: Catalog): RowConstraints | undefined {
  if (!def.checks?.length && !def.defaults) return undefined;
  return {
    relation: def.name,
    schema: def.schema,
    checks: (def.checks ?? []).map((c) => bindCheck(def, c, catalog)),
    defaults: def.schema.map((f) => bindDefault(def, f, catalog)),
  };
}
