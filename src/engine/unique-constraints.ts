/**
 * UNIQUE constraints of a table: after a statement's changes, no two rows share the values of a
 * UNIQUE column set, rows with a NULL among them apart (as in SQL). Checked over the table's
 * stored rows and the statement's changes together, before anything is written: a cost of one
 * scan of the table per INSERT, UPDATE or ON CONFLICT statement on a table that has one.
 */
import { SluiceError } from '../common/errors.js';
import { keyOf } from '../common/keys.js';
import type { Span } from '../common/span.js';
import { normalizeName } from '../parser/index.js';
import type { TableDef } from '../planner/catalog.js';
import type { TableChange } from '../state/index.js';
import type { TableState } from './relation-storage.js';

export async function checkUnique(t: TableState, changes: readonly TableChange[], span: Span): Promise<void> {
  const def = t.def;
  if (!def.unique?.length || changes.every(([, row]) => row === null)) return;
  const changed = new Set(changes.map(([k]) => k));
  const sets = def.unique.map((cols) => cols.map((c) => columnName(def, c)));
  const seen = sets.map(() => new Map<string, string>());
  const note = (key: string, row: Readonly<Record<string, unknown>>, fromStatement: boolean): void => {
    sets.forEach((cols, i) => {
      const values = cols.map((c) => row[c] ?? null);
      if (values.some((v) => v === null)) return;
      const k = keyOf(values);
      const other = seen[i]!.get(k);
      if (other !== undefined && other !== key && fromStatement) {
        throw new SluiceError('INVALID_ARGUMENT', `a row with ${cols.map((c, j) => `${c} = ${show(values[j])}`).join(', ')} is already in ${def.name}, whose UNIQUE (${cols.join(', ')}) allows one`, {
          span,
          hint: 'nothing was written; give each row its own values, or update the row that has them',
        });
      }
      seen[i]!.set(k, key);
    });
  };
  for await (const [key, row] of t.kv.scan()) if (!changed.has(key)) note(key, row as Record<string, unknown>, false);
  for (const [key, row] of changes) if (row !== null) note(key, row as Record<string, unknown>, true);
}

function columnName(def: TableDef, name: string): string {
  return def.schema.find((f) => normalizeName(f.name) === normalizeName(name))!.name;
}

function show(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : String(v);
}
