/**
 * Events in over HTTP: rows/s through POST /v1/streams/:name/rows (NDJSON, one request at a
 * time and several in flight, at a few rows per request), against the same rows appended by
 * `engine.ingest` in the same process without HTTP (the ceiling: decoding and the log write)
 * and against INSERT INTO ... VALUES through POST /v1/sql (what a client had before).
 */
import type { AddressInfo } from 'node:net';
import { buildServer } from '../src/server/app.js';
import { Rng } from '../src/connectors/rng.js';
import type { IngestRow } from '../src/engine/ingest.js';
import { gc, median, now, rate, ratio, section, settle, spread, tempEngine, type Section } from './util.js';

export interface IngestOptions {
  readonly rows: number;
  readonly runs: number;
  readonly batchSizes: readonly number[];
  readonly inFlight: number;
}

const DDL = "CREATE STREAM ev (id STRING, card STRING, amount DOUBLE, n BIGINT, ts TIMESTAMP(3)) WITH (partitions = 4, key = 'card')";

function makeLines(rows: number): string[] {
  const rng = new Rng(5);
  const t0 = Date.parse('2026-12-02T14:00:00Z');
  return Array.from({ length: rows }, (_, i) =>
    JSON.stringify({ id: `e${i}`, card: `card-${rng.nextInt(1000)}`, amount: Math.round(rng.nextDouble() * 100_000) / 100, n: i, ts: new Date(t0 + i).toISOString() }),
  );
}

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** Sends every body with at most `inFlight` requests outstanding; returns seconds taken. */
async function post(url: string, bodies: readonly string[], type: string, inFlight: number): Promise<number> {
  const t0 = now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
      const text = await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (now() - t0) / 1000;
}

export async function benchIngest(opts: IngestOptions): Promise<Section[]> {
  const s = section(`Events in over HTTP: POST /v1/streams/:name/rows, rows/s (${opts.rows.toLocaleString('en-US')} rows of 5 columns, median of ${opts.runs})`, [
    'path',
    'rows per request',
    'requests in flight',
    'rows/s',
    'runs (min–max)',
    'vs engine.ingest',
  ]);
  const lines = makeLines(opts.rows);
  const te = await tempEngine();
  const { engine } = te;
  const app = buildServer(engine);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  try {
    await engine.execute(DDL);
    const measure = async (run: () => Promise<number>): Promise<number[]> => {
      await run();
      const xs: number[] = [];
      for (let r = 0; r < opts.runs; r++) {
        gc();
        await settle();
        xs.push(opts.rows / (await run()));
      }
      return xs;
    };
    const parsed: IngestRow[] = lines.map((text) => ({ value: JSON.parse(text) as unknown, text }));
    for (const size of opts.batchSizes) {
      const direct = await measure(async () => {
        const t0 = now();
        for (const c of chunks(parsed, size)) await engine.ingest('ev', c);
        return (now() - t0) / 1000;
      });
      const d = median(direct);
      s.rows.push(['engine.ingest (no HTTP, parsed rows)', size.toLocaleString('en-US'), '1', rate(d), spread(direct), '1.00']);
      const bodies = chunks(lines, size).map((c) => c.join('\n'));
      for (const inFlight of [1, opts.inFlight]) {
        const xs = await measure(() => post(`${base}/v1/streams/ev/rows`, bodies, 'application/x-ndjson', inFlight));
        s.rows.push(['POST /v1/streams/ev/rows (NDJSON)', size.toLocaleString('en-US'), String(inFlight), rate(median(xs)), spread(xs), ratio(median(xs) / d)]);
      }
    }
    const insertSize = 1000;
    // INSERT parses and plans SQL text per statement: a tenth of the rows keeps the run short.
    const insertRows = lines.slice(0, Math.max(insertSize, Math.floor(lines.length / 10)));
    const statements = chunks(insertRows, insertSize).map((c) => {
      const values = c.map((l) => {
        const o = JSON.parse(l) as { id: string; card: string; amount: number; n: number; ts: string };
        return `('${o.id}', '${o.card}', ${o.amount}, ${o.n}, TIMESTAMP '${o.ts.replace('T', ' ').replace('Z', '')}')`;
      });
      return JSON.stringify({ sql: `INSERT INTO ev VALUES ${values.join(', ')}` });
    });
    const inserts = (await measure(async () => (await post(`${base}/v1/sql`, statements, 'application/json', 1)) * (opts.rows / insertRows.length)));
    s.rows.push(['INSERT INTO ev VALUES ... via POST /v1/sql', insertSize.toLocaleString('en-US'), '1', rate(median(inserts)), spread(inserts), '']);
  } finally {
    await app.close();
    await te.close();
  }
  s.notes.push(
    `Stream: \`${DDL}\`. Every row is decoded with the schema (TIMESTAMP from ISO text, BIGINT exact) and appended to the embedded log; each request is one RocksDB write batch.`,
    "'engine.ingest' is the same decode and append in the same process without HTTP or JSON parsing (rows handed over already parsed): the ceiling of the route. The HTTP client is Node's fetch in the same process, so client and server share one core.",
    'No view reads the stream, so back-pressure (--ingest-max-lag) never refuses a request here.',
  );
  return [s];
}
