/** INSERT INTO a table (upsert by primary key) or a stream on the embedded log. */
import { SluiceError, throwIfCancelled } from '../../common/errors.js';
import { batchFromRows } from '../../exec/columns.js';
import { encodeBatch } from '../../exec/ipc.js';
import { keyOf } from '../../common/keys.js';
import { partitionOf } from '../../common/hash.js';
import { normalizeName } from '../../parser/index.js';
import type { StateRow, TableChange } from '../../state/index.js';
import { bindInsert, evaluateInsertValue } from '../insert-bind.js';
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
  const connector = String(def.options['connector'] ?? 'log');
  if (connector !== 'log') {
    throw new SluiceError('UNSUPPORTED', `INSERT INTO a stream with connector '${connector}' is not supported`, { span: s.target.span, hint: 'INSERT works on streams kept in the embedded log' });
  }
  const topic = String(def.options['topic'] ?? def.name);
  const parts = log.partitions(topic);
  const byPart = new Map<number, Record<string, unknown>[]>();
  const keyCol = def.kind === 'stream' ? def.key : undefined;
  rows.forEach((row, i) => {
    const p = keyCol !== undefined ? partitionOf([row[keyCol]], parts) : (log.highWatermark(topic, 0) + i) % parts;
    const list = byPart.get(p) ?? [];
    list.push(row);
    byPart.set(p, list);
  });
  const wb = store.batch();
  for (const [p, list] of byPart) log.append(topic, p, encodeBatch(batchFromRows(def.schema, list)), list.length, wb);
  await wb.write();
  return ok(text, `inserted ${rows.length} row(s) into stream ${def.name}`);
};
