/** How a select item without an alias is named. */
import { normalizeName, type Expr } from '../parser/ast.js';

/** The name of an unaliased select item `e`: its column, field or function; undefined for other expressions (numbered instead). */
export function implicitName(e: Expr): string | undefined {
  if (e.kind === 'ColumnRef') return e.column.name;
  if (e.kind === 'FieldAccess') return e.field.name;
  if (e.kind === 'Call') return normalizeName(e.name.name) === 'predict' ? 'predict' : normalizeName(e.name.name);
  return undefined;
}
