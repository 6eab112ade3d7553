/** INSERT INTO a table (upsert by primary key) or a stream on the embedded log. */
import { throwIfCancelled } from '../../common/errors.js';
import { keyOf } from '../../common/keys.js';
import { normalizeName } from '../../parser/index.js';
import type { StateRow, TableChange } from '../../state/index.js';
import { bindInsert, evaluateInsertValue } from '../insert-bind.js';
import { logTopicOf, stageStreamRows } from '../stream-append.js';
import { ok } from './definitions.js';
import type { StatementHandler } from './handler.js';

export const insert: StatementHandler<'Insert'> = async (session, s, text, opts) => {
  const { store, log } = session.storage;
  const bound = bindInsert(s, session.catalog);
  const def = bound.def;
  const rows = bound.rows.map((values) => {
    const row: Record<string, unknown> = {};
    for (const { field, value, span } of values) row[field.name] = evaluateInsertValue(field, value, span, def);
    return row;
  });
  // Everything below writes in one batch: the last point where the call can still be cancelled.
  throwIfCancelled(opts.signal, 'the INSERT', s.span);
  if (def.kind === 'table') {
    const t = session.tables.table(def.name);
    const changes: TableChange[] = rows.map((row) => [keyOf(def.primaryKey.map((k) => row[def.schema.find((f) => normalizeName(f.name) === normalizeName(k))!.name])), row as StateRow]);
    await t.rows.apply(changes);
    return ok(text, `inserted ${rows.length} row(s) into table ${def.name}`);
  }
  const topic = logTopicOf(def, 'INSERT INTO', s.target.span);
  const wb = store.batch();
  stageStreamRows(log, def, topic, rows, wb);
  await wb.write();
  return ok(text, `inserted ${rows.length} row(s) into stream ${def.name}`);
};
