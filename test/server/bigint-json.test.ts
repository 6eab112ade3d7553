/**
 * BIGINT through the HTTP API of a real engine: values beyond 2^53 leave as JSON numbers with
 * every digit, in statement results, view reads and pushed NDJSON rows, and the shell's client
 * reads them back exactly.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExactJson } from '../../src/common/exact-json.js';
import { buildServer } from '../../src/server/app.js';
import { SluiceClient } from '../../src/shell/http-client.js';
import { renderTable } from '../../src/shell/render.js';
import { tempEngine } from '../engine/helpers.js';

const BIG = '9007199254740993';
const MAX = '9223372036854775807';
const MIN = '-9223372036854775808';

let env: Awaited<ReturnType<typeof tempEngine>>;
let app: FastifyInstance;

beforeAll(async () => {
  env = await tempEngine(50);
  await env.engine.execute(`
    CREATE STREAM big (k STRING, v BIGINT) WITH (partitions = 1);
    INSERT INTO big VALUES ('a', ${BIG}), ('b', ${MAX}), ('c', ${MIN}), ('a', 1);
    CREATE MATERIALIZED VIEW big_sum AS SELECT k, SUM(v) AS s, MAX(v) AS hi FROM big GROUP BY k;
  `);
  app = buildServer(env.engine);
  await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app.close();
  await env.cleanup();
});

function baseUrl(): string {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no port');
  return `http://127.0.0.1:${address.port}`;
}

async function settled(): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await app.inject({ url: '/v1/views/big_sum' });
    if ((parseExactJson(res.body) as { rows: unknown[] }).rows.length === 3 || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('BIGINT in HTTP JSON', () => {
  it('reads a view with exact JSON numbers beyond 2^53', async () => {
    await settled();
    const res = await app.inject({ url: '/v1/views/big_sum/keys/a' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`"s":9007199254740994`);
    expect(res.body).toContain(`"hi":${BIG}`);
    expect(parseExactJson(res.body)).toEqual({ view: 'big_sum', key: 'a', row: { k: 'a', s: 9007199254740994n, hi: 9007199254740993n } });
    const all = await app.inject({ url: '/v1/views/big_sum' });
    expect(all.body).toContain(`"hi":${MAX}`);
    expect(all.body).toContain(`"hi":${MIN}`);
  });

  it('answers a pull query through POST /v1/sql with exact digits', async () => {
    await settled();
    const res = await app.inject({ method: 'POST', url: '/v1/sql', payload: { sql: "SELECT k, s, hi FROM big_sum WHERE k = 'b'" } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`[["b",${MAX},${MAX}]]`);
  });

  it('shows exact digits in the shell, for pull and push results', async () => {
    await settled();
    const client = new SluiceClient(baseUrl());
    const [res] = await client.sql("SELECT k, s, hi FROM big_sum WHERE k = 'a'");
    if (res?.kind !== 'rows') throw new Error(`expected rows, got ${res?.kind}`);
    expect(res.rows).toEqual([['a', 9007199254740994n, 9007199254740993n]]);
    expect(renderTable(res.columns, res.rows)).toContain('a | 9007199254740994 | 9007199254740993');
    const pushed: unknown[][] = [];
    const ac = new AbortController();
    await client.query(
      "SELECT v FROM big WHERE k = 'b'",
      {
        onHeader: () => {},
        onRow: (row) => {
          pushed.push([...row.values]);
          ac.abort();
        },
      },
      ac.signal,
      { from: 'earliest' },
    );
    expect(pushed).toEqual([[9223372036854775807n]]);
  });

  it('pushes rows as NDJSON with exact digits', async () => {
    const ac = new AbortController();
    const res = await fetch(`${baseUrl()}/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'SELECT k, v, v - 1 AS below FROM big', from: 'earliest' }),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const deadline = Date.now() + 10_000;
    // 'c' holds BIGINT's minimum, so v - 1 overflows: that row is a dead letter, not a wrapped value.
    while ((text.match(/"op"/g) ?? []).length < 3 && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    ac.abort();
    const rows = text
      .split('\n')
      .filter((l) => l.includes('"op"'))
      .map((l) => (parseExactJson(l) as { values: unknown[] }).values);
    expect(text).toContain(`["a",${BIG},9007199254740992]`);
    expect(rows).toEqual([
      ['a', 9007199254740993n, 9007199254740992n],
      ['b', 9223372036854775807n, 9223372036854775806n],
      ['a', 1, 0],
    ]);
  });
});
