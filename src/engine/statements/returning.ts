/**
 * `RETURNING item, ...` of INSERT, UPDATE and DELETE (PostgreSQL, DuckDB): the rows the statement
 * writes (or deletes), as a SELECT list over them. The list is computed before anything is
 * written, so a row it fails on fails the statement with nothing changed.
 */
import { SluiceError } from '../../common/errors.js';
import { typeToString } from '../../common/types.js';
import { batchFromRows } from '../../exec/columns.js';
import { compileExpr } from '../../exec/compile-expr.js';
import { normalizeName, type SelectItem } from '../../parser/index.js';
import { bindExpr, Scope } from '../../planner/bind-expr.js';
import { exprToString, type BoundExpr } from '../../planner/bound-expr.js';
import type { StreamDef, TableDef } from '../../planner/catalog.js';
import type { Session } from '../session.js';
import type { StatementResult } from '../types.js';

/** The result of RETURNING `items` over `rows` (by column name) of `def`. */
export function returningRows(session: Session, def: StreamDef | TableDef, rows: readonly Record<string, unknown>[], items: readonly SelectItem[], text: string): StatementResult {
  const scope = new Scope(def.schema.map((f) => ({ qualifier: def.name, name: f.name, type: f.type })));
  const outputs: { readonly expr: BoundExpr; readonly name: string }[] = [];
  for (const item of items) {
    if (item.kind === 'ExprItem') {
      const expr = bindExpr(item.expr, scope, session.catalog, { clause: 'RETURNING' });
      outputs.push({ expr, name: item.alias?.name ?? (expr.kind === 'Column' ? expr.name : exprToString(expr)) });
      continue;
    }
    if (item.qualifier && normalizeName(item.qualifier.name) !== normalizeName(def.name)) {
      throw new SluiceError('UNKNOWN_RELATION', `RETURNING ${item.qualifier.name}.*: the statement writes ${def.name}`, { span: item.qualifier.span, hint: `write RETURNING * or RETURNING ${def.name}.*` });
    }
    const excluded = new Set((item.exclude ?? []).map((x) => normalizeName(scope.columns[scope.resolve(undefined, x.name, x.span)]!.name)));
    const replaced = new Map((item.replace ?? []).map((r) => [normalizeName(scope.columns[scope.resolve(undefined, r.name.name, r.name.span)]!.name), r.expr] as const));
    def.schema.forEach((f, i) => {
      const key = normalizeName(f.name);
      if (excluded.has(key)) return;
      const replacement = replaced.get(key);
      outputs.push({ expr: replacement ? bindExpr(replacement, scope, session.catalog, { clause: 'RETURNING' }) : { kind: 'Column', index: i, name: f.name, type: f.type }, name: f.name });
    });
  }
  const batch = batchFromRows(def.schema, rows);
  const columns = outputs.map(({ expr, name }) => {
    const { values, errors } = compileExpr(expr, def.schema, session.env.udfs).evaluate(batch);
    if (errors.length) throw new SluiceError('INVALID_ARGUMENT', `RETURNING ${name}: ${errors[0]!.message}`, { span: expr.span, hint: 'nothing was written' });
    return values;
  });
  return {
    kind: 'rows',
    statement: text,
    columns: outputs.map(({ expr, name }) => ({ name, type: typeToString(expr.type) })),
    rows: rows.map((_, r) => columns.map((c) => c[r] ?? null)),
  };
}
