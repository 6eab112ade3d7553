/**
 * Loads generated Nexmark events into DuckDB tables person, auction and bid (timestamps as
 * TIMESTAMP, ids and prices as BIGINT), for running the oracle queries in queries/nexmark/duckdb.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { timestampValue } from '@duckdb/node-api';
import { nexmarkRange, nexmarkSchemas, type NexmarkConfig, type NexmarkKind } from '../../src/connectors/nexmark.js';

const DUCK_TYPES: Readonly<Record<string, string>> = { BIGINT: 'BIGINT', STRING: 'VARCHAR', 'TIMESTAMP(3)': 'TIMESTAMP' };

export async function loadNexmarkIntoDuckDB(
  conn: DuckDBConnection,
  from: number,
  to: number,
  config?: NexmarkConfig,
): Promise<Record<NexmarkKind, number>> {
  const kinds: NexmarkKind[] = ['person', 'auction', 'bid'];
  for (const kind of kinds) {
    const cols = nexmarkSchemas[kind].map((c) => `${c.name} ${DUCK_TYPES[c.sqlType] ?? 'VARCHAR'}`).join(', ');
    await conn.run(`CREATE OR REPLACE TABLE ${kind} (${cols})`);
  }
  const appenders = {
    person: await conn.createAppender('person'),
    auction: await conn.createAppender('auction'),
    bid: await conn.createAppender('bid'),
  };
  const counts: Record<NexmarkKind, number> = { person: 0, auction: 0, bid: 0 };
  for (const ev of nexmarkRange(from, to, config)) {
    const app = appenders[ev.kind];
    const row = ev.row as unknown as Record<string, string | number>;
    for (const c of nexmarkSchemas[ev.kind]) {
      const v = row[c.name];
      if (c.sqlType === 'STRING') app.appendVarchar(String(v));
      else if (c.sqlType === 'BIGINT') app.appendBigInt(BigInt(Number(v)));
      else app.appendTimestamp(timestampValue(BigInt(Number(v)) * 1000n));
    }
    app.endRow();
    counts[ev.kind]++;
  }
  for (const app of Object.values(appenders)) app.closeSync();
  return counts;
}
