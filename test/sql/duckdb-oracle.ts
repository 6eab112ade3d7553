/**
 * The DuckDB side of `query duckdb` records: copies every stream and table of an engine into an
 * in-memory DuckDB database (same names and columns) and runs the oracle SQL there.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Engine } from '../../src/engine/engine.js';
import type { ResultColumn } from '../../src/engine/types.js';
import { parseTypeText } from '../../src/common/type-text.js';
import { typeToString } from '../../src/common/types.js';
import { formatTime, formatTimestamp, mapParts } from './format-value.js';
import { collectRows } from './collect.js';

/** DuckDB column type for a Sluice type text such as 'ARRAY<FLOAT>(30)'. */
export function duckType(sluice: string): string {
  const t = sluice.trim().toUpperCase();
  const map = mapParts(t);
  if (map) return `MAP(${duckType(map[0])}, ${duckType(map[1])})`;
  const struct = t.startsWith('STRUCT<') ? parseTypeText(sluice) : undefined;
  if (struct?.kind === 'STRUCT') return `STRUCT(${struct.fields.map((f) => `"${f.name}" ${duckType(typeToString(f.type))}`).join(', ')})`;
  const arr = /^ARRAY<(.*)>(\(\d+\))?$/.exec(t);
  if (arr) return `${duckType(arr[1] ?? 'STRING')}[]`;
  if (t.startsWith('TIMESTAMP')) return 'TIMESTAMP';
  if (t === 'DATE') return 'DATE';
  if (t === 'TIME') return 'TIME';
  if (/^DECIMAL\(\d+,\d+\)$/.test(t)) return t;
  const simple: Record<string, string> = { INT: 'INTEGER', BIGINT: 'BIGINT', FLOAT: 'FLOAT', DOUBLE: 'DOUBLE', STRING: 'VARCHAR', BOOLEAN: 'BOOLEAN', BYTES: 'BLOB' };
  return simple[t] ?? 'VARCHAR';
}

function literal(v: unknown, type: string): string {
  if (v === null || v === undefined) return 'NULL';
  const map = mapParts(type);
  if (map) return `MAP {${(v as { key: unknown; value: unknown }[]).map((e) => `${literal(e.key, map[0])}: ${literal(e.value, map[1])}`).join(', ')}}::${duckType(type)}`;
  if (type.startsWith('TIMESTAMP') && typeof v === 'number') return `TIMESTAMP '${formatTimestamp(v)}'`;
  if (type === 'DATE' && typeof v === 'number') return `DATE '${formatTimestamp(v).slice(0, 10)}'`;
  if (type === 'TIME' && typeof v === 'number') return `TIME '${formatTime(v)}'`;
  if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return `'${Object.is(v, -0) ? '-0.0' : String(v)}'::DOUBLE`; // NaN, Infinity, -Infinity, -0
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
  const struct = type.toUpperCase().startsWith('STRUCT<') ? parseTypeText(type) : undefined;
  if (struct?.kind === 'STRUCT' && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${struct.fields.map((f) => `'${f.name}': ${literal(o[f.name], typeToString(f.type))}`).join(', ')}}::${duckType(type)}`;
  }
  const elem = /^ARRAY<(.*)>(\(\d+\))?$/.exec(type.toUpperCase())?.[1] ?? '';
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return `[${Array.from(v as ArrayLike<unknown>, (x) => literal(x, elem)).join(', ')}]`;
  return `'${JSON.stringify(v).replace(/'/g, "''")}'`;
}

export class DuckOracle {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
  ) {}

  static async create(): Promise<DuckOracle> {
    const instance = await DuckDBInstance.create(':memory:');
    return new DuckOracle(instance, await instance.connect());
  }

  /** Replaces DuckDB's copy of every log stream and table with the engine's current rows. */
  async load(engine: Engine): Promise<void> {
    for (const def of engine.catalog.listRelations()) {
      if (def.kind !== 'stream' && def.kind !== 'table') continue;
      if (def.kind === 'stream' && (def.options['dlq'] === true || String(def.options['connector'] ?? 'log') !== 'log')) continue;
      const { columns, rows } = await collectRows(engine, `SELECT * FROM ${def.name}`);
      await this.loadTable(def.name, columns, rows);
    }
  }

  async loadTable(name: string, columns: readonly ResultColumn[], rows: readonly (readonly unknown[])[]): Promise<void> {
    const cols = columns.map((c) => `"${c.name}" ${duckType(c.type)}`).join(', ');
    await this.conn.run(`CREATE OR REPLACE TABLE "${name}" (${cols})`);
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500).map((r) => `(${r.map((v, k) => literal(v, columns[k]?.type ?? '')).join(', ')})`);
      await this.conn.run(`INSERT INTO "${name}" VALUES ${chunk.join(', ')}`);
    }
  }

  async query(sql: string): Promise<{ types: string[]; rows: unknown[][] }> {
    const reader = await this.conn.runAndReadAll(sql);
    return { types: reader.columnTypes().map((t) => t.toString()), rows: reader.getRowsJS() as unknown[][] };
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
