/** SHOW STREAMS/TABLES/VIEWS/SINKS/MODELS/FUNCTIONS/QUERIES. */
import { typeToString } from '../../common/types.js';
import type { RelationDef } from '../../planner/catalog.js';
import type { Session } from '../session.js';
import type { StatementHandler, StatementOf } from './handler.js';
import { cols, type Rows } from './result-columns.js';

export const show: StatementHandler<'Show'> = async (session, s, text) => ({ statement: text, ...showRows(session, s) });

/** The status of a view's or sink's query, as SHOW QUERIES and GET /v1/queries give it. */
function queryStatus(session: Session, r: RelationDef): string {
  return ((r.kind === 'view' || r.kind === 'sink') ? session.queries.info(r.queryId)?.status : undefined) ?? 'running';
}

function showRows(session: Session, s: StatementOf<'Show'>): Rows {
  const c = session.catalog;
  switch (s.what) {
    case 'STREAMS':
      return { kind: 'rows', columns: cols('name', 'connector', 'key', 'watermark'), rows: c.listRelations('stream').map((r) => [r.name, String(r.options['connector'] ?? 'log'), r.kind === 'stream' ? r.key ?? null : null, r.kind === 'stream' && r.watermark ? `${r.watermark.column} - ${r.watermark.delayMs}ms${r.watermark.latenessMs ? `, lateness ${r.watermark.latenessMs}ms` : ''}` : null]) };
    case 'TABLES':
      return { kind: 'rows', columns: cols('name', 'primary_key', 'rows:BIGINT'), rows: c.listRelations('table').map((r) => [r.name, r.kind === 'table' ? r.primaryKey.join(', ') : '', session.tables.table(r.name).rows.size]) };
    case 'VIEWS':
      return {
        kind: 'rows',
        columns: cols('name', 'key', 'query', 'status'),
        rows: [
          ...c.listRelations('view').map((r) => [r.name, r.kind === 'view' ? r.key.join(', ') : '', r.kind === 'view' ? r.queryId : '', queryStatus(session, r)]),
          ...session.queries.parkedOf('view').map((p) => [p.name, null, p.id, p.status]),
          // Not materialized: no key, no query of its own.
          ...c.listLogicalViews().map((v) => [v.name, null, null, 'not materialized']),
        ],
      };
    case 'SINKS':
      return {
        kind: 'rows',
        columns: cols('name', 'connector', 'query', 'status'),
        rows: [
          ...c.listRelations('sink').map((r) => [r.name, String(r.options['connector'] ?? 'log'), r.kind === 'sink' ? r.queryId : '', queryStatus(session, r)]),
          ...session.queries.parkedOf('sink').map((p) => [p.name, null, p.id, p.status]),
        ],
      };
    case 'MODELS':
      return {
        kind: 'rows',
        columns: cols('name', 'version:INT', 'provider', 'path', 'rows_scored:BIGINT'),
        rows: session.models.list().map((m) => {
          const v = session.models.get(m);
          return [m, v.number, v.provider, v.path, session.models.stats(m).snapshot().rows];
        }),
      };
    case 'FUNCTIONS':
      return { kind: 'rows', columns: cols('name', 'signature'), rows: c.listFunctions().map((f) => [f.name, `(${f.params.map((p) => `${p.name} ${typeToString(p.type)}`).join(', ')}) RETURNS ${typeToString(f.returns)}`]) };
    case 'QUERIES':
      return {
        kind: 'rows',
        columns: cols('id', 'kind', 'name', 'status', 'rows_in:BIGINT', 'rows_out:BIGINT', 'dead_letters:BIGINT', 'lag:BIGINT'),
        rows: session.queries.list().map((q) => [q.id, q.kind, q.name ?? null, q.status, q.rowsIn, q.rowsOut, q.deadLetters, q.lag ?? null]),
      };
  }
}
