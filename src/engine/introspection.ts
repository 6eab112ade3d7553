/** SHOW and DESCRIBE. */
import { SluiceError } from '../common/errors.js';
import { typeToString } from '../common/types.js';
import type { Statement } from '../parser/index.js';
import type { Engine } from './engine.js';
import type { ResultColumn } from './types.js';

type Rows = { kind: 'rows'; columns: ResultColumn[]; rows: unknown[][] };

/** Result columns from names; `name:TYPE` gives a type other than STRING. */
const cols = (...names: string[]): ResultColumn[] =>
  names.map((n) => {
    const [name, type] = n.split(':');
    return { name: name!, type: type ?? 'STRING' };
  });

export function showStatement(engine: Engine, s: Extract<Statement, { kind: 'Show' }>): Rows {
  const c = engine.catalog;
  switch (s.what) {
    case 'STREAMS':
      return { kind: 'rows', columns: cols('name', 'connector', 'key', 'watermark'), rows: c.listRelations('stream').map((r) => [r.name, String(r.options['connector'] ?? 'log'), r.kind === 'stream' ? r.key ?? null : null, r.kind === 'stream' && r.watermark ? `${r.watermark.column} - ${r.watermark.delayMs}ms${r.watermark.latenessMs ? `, lateness ${r.watermark.latenessMs}ms` : ''}` : null]) };
    case 'TABLES':
      return { kind: 'rows', columns: cols('name', 'primary_key', 'rows:BIGINT'), rows: c.listRelations('table').map((r) => [r.name, r.kind === 'table' ? r.primaryKey.join(', ') : '', engine.table(r.name).rows.size]) };
    case 'VIEWS':
      return { kind: 'rows', columns: cols('name', 'key', 'query'), rows: c.listRelations('view').map((r) => [r.name, r.kind === 'view' ? r.key.join(', ') : '', r.kind === 'view' ? r.queryId : '']) };
    case 'SINKS':
      return { kind: 'rows', columns: cols('name', 'connector', 'query'), rows: c.listRelations('sink').map((r) => [r.name, String(r.options['connector'] ?? 'log'), r.kind === 'sink' ? r.queryId : '']) };
    case 'MODELS':
      return {
        kind: 'rows',
        columns: cols('name', 'version:INT', 'provider', 'path', 'rows_scored:BIGINT'),
        rows: engine.models.list().map((m) => {
          const v = engine.models.get(m);
          return [m, v.number, v.provider, v.path, engine.models.stats(m).snapshot().rows];
        }),
      };
    case 'FUNCTIONS':
      return { kind: 'rows', columns: cols('name', 'signature'), rows: c.listFunctions().map((f) => [f.name, `(${f.params.map((p) => `${p.name} ${typeToString(p.type)}`).join(', ')}) RETURNS ${typeToString(f.returns)}`]) };
    case 'QUERIES':
      return {
        kind: 'rows',
        columns: cols('id', 'kind', 'name', 'status', 'rows_in:BIGINT', 'rows_out:BIGINT', 'dead_letters:BIGINT', 'lag:BIGINT'),
        rows: engine.queries().map((q) => [q.id, q.kind, q.name ?? null, q.status, q.rowsIn, q.rowsOut, q.deadLetters, q.lag ?? null]),
      };
  }
}

export async function describeStatement(engine: Engine, s: Extract<Statement, { kind: 'Describe' }>): Promise<Rows> {
  const name = s.name.name;
  if (s.objectKind === 'MODEL' || (s.objectKind === undefined && !engine.catalog.findRelation(name) && engine.models.has(name))) {
    if (!engine.models.has(name)) engine.catalog.model(name, s.name.span);
    const d = engine.models.describe(name) as unknown as Record<string, unknown>;
    return { kind: 'rows', columns: cols('property', 'value'), rows: Object.entries(d).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : v]) };
  }
  if (s.objectKind === 'FUNCTION') {
    const f = engine.catalog.findFunction(name);
    if (!f) throw new SluiceError('UNKNOWN_FUNCTION', `unknown function '${name}'`, { span: s.name.span });
    return { kind: 'rows', columns: cols('name', 'type'), rows: [...f.params.map((p) => [p.name, typeToString(p.type)]), ['RETURNS', typeToString(f.returns)]] };
  }
  const def = engine.catalog.relation(name, s.name.span);
  const keyCols = new Set(def.kind === 'table' ? def.primaryKey.map((k) => k.toLowerCase()) : def.kind === 'view' ? def.key.map((k) => k.toLowerCase()) : def.kind === 'stream' && def.key ? [def.key.toLowerCase()] : []);
  return {
    kind: 'rows',
    columns: cols('column', 'type', 'nullable:BOOLEAN', 'key:BOOLEAN'),
    rows: def.schema.map((f) => [f.name, typeToString(f.type), f.nullable, keyCols.has(f.name.toLowerCase())]),
  };
}
