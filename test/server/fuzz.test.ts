/**
 * Fuzzes the HTTP API of a real engine: SQL mutated from a corpus of valid statements (token
 * deletions, duplications, swaps, random bytes, huge numbers, deep nesting, NULs) and mutated
 * bodies, headers, URLs and methods, in process through fastify's inject plus a few requests
 * over real TCP. Every answer must have a status of the error catalogue (or 200/201) and, when
 * it is an error, the documented JSON shape with a catalogue code of that status; nothing may
 * answer INTERNAL, and /healthz must stay healthy.
 *
 * Bounded (REQUESTS requests or BUDGET_MS, whichever comes first) and deterministic for a seed:
 * the seed is printed; rerun one with SLUICE_FUZZ_SEED=<seed>.
 */
import { SLUICE_VERSION } from '../../src/common/version.js';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../src/common/errors.js';
import { Rng } from '../../src/connectors/rng.js';
import type { Engine } from '../../src/engine/engine.js';
import { relationInspector } from '../../src/engine/relation-info.js';
import { buildServer } from '../../src/server/app.js';
import { tempEngine } from '../engine/helpers.js';

const SEED = Number(process.env['SLUICE_FUZZ_SEED'] ?? 20261202);
const REQUESTS = 1500;
const BUDGET_MS = 40_000;

const generator = new Rng(SEED);
const random = (): number => generator.nextDouble();
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;

const SETUP = [
  "CREATE STREAM tx (tx_id STRING, card_id STRING, amount DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (key = 'card_id', partitions = 2)",
  'CREATE TABLE cards (card_id STRING PRIMARY KEY, owner STRING)',
  "INSERT INTO tx VALUES ('t1', 'c1', 50.0, TIMESTAMP '2024-01-01 00:00:01'), ('t2', NULL, 5.5, TIMESTAMP '2024-01-01 00:00:02')",
  "INSERT INTO cards VALUES ('c1', 'ann'), ('c2', 'bob')",
  'CREATE MATERIALIZED VIEW per_card AS SELECT card_id, COUNT(*) AS n, SUM(amount) AS total FROM tx GROUP BY card_id',
];

/** Valid statements the mutations start from (most refer to the objects of SETUP). */
const CORPUS = [
  'CREATE STREAM s1 (a INT, b STRING, c DOUBLE)',
  "CREATE STREAM IF NOT EXISTS s2 (k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (key = 'k')",
  'CREATE TABLE IF NOT EXISTS t1 (id INT PRIMARY KEY, name STRING)',
  "INSERT INTO tx VALUES ('t3', 'c2', 12.25, TIMESTAMP '2024-01-01 00:00:03')",
  "INSERT INTO cards (card_id, owner) VALUES ('c3', 'cy')",
  "SELECT * FROM per_card WHERE card_id = 'c1'",
  'SELECT card_id, n * 2 AS twice, total / n AS mean FROM per_card',
  'SELECT owner, UPPER(owner) AS u, LENGTH(owner) AS l FROM cards WHERE owner LIKE \'a%\' OR owner IS NULL',
  'EXPLAIN SELECT tx_id, amount FROM tx WHERE amount > 10',
  "EXPLAIN SELECT window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE tx, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end",
  "EXPLAIN SELECT window_start, SUM(amount) FROM TABLE(HOP(TABLE tx, DESCRIPTOR(ts), INTERVAL '1' SECOND, INTERVAL '10' SECOND)) GROUP BY window_start, window_end",
  "EXPLAIN SELECT window_start, card_id, COUNT(*) FROM TABLE(SESSION(TABLE tx, DESCRIPTOR(ts), INTERVAL '30' SECOND)) GROUP BY window_start, window_end, card_id",
  'EXPLAIN SELECT tx.tx_id, cards.owner FROM tx JOIN cards ON tx.card_id = cards.card_id',
  'SELECT CASE WHEN n > 1 THEN \'many\' ELSE \'one\' END AS k, COALESCE(total, 0) AS t, CAST(n AS DOUBLE) AS d FROM per_card',
  'SHOW STREAMS',
  'SHOW QUERIES',
  'DESCRIBE tx',
  'DROP STREAM IF EXISTS s1',
  'SELECT card_id FROM per_card WHERE n BETWEEN 1 AND 10 AND card_id IN (\'c1\', \'c2\')',
];

/** Splits SQL into rough tokens: quoted strings, words, numbers, and single characters. */
function tokens(sql: string): string[] {
  return sql.match(/'(?:[^']|'')*'|"[^"]*"|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|\s+|./g) ?? [];
}

const HUGE = ['99999999999999999999999999999', '1e309', '-9223372036854775809', '2147483648', '0.0000000000000000000000001', "'99999999999' DAY"];
const ODD = ['\u0000', '\u0001', '\uFFFF', '\uD800', '😀', '\\', "'", '"', '`', ';', '--', '/*', '*/', '(', ')', ',', '\n', '\r', '\t', '%', '$1', '?', '::'];

function nest(depth: number): string {
  return `SELECT ${'('.repeat(depth)}1${' + 1)'.repeat(depth)} FROM per_card`;
}

/** One mutation of a corpus statement. */
function mutateSql(): string {
  const base = pick(CORPUS);
  const t = tokens(base);
  const times = 1 + int(3);
  for (let i = 0; i < times; i++) {
    const at = int(t.length);
    switch (int(8)) {
      case 0:
        t.splice(at, 1);
        break;
      case 1:
        t.splice(at, 0, t[at] ?? '');
        break;
      case 2: {
        const other = int(t.length);
        [t[at], t[other]] = [t[other]!, t[at]!];
        break;
      }
      case 3:
        t.splice(at, 0, String.fromCharCode(int(0x300)));
        break;
      case 4:
        if (/^\d/.test(t[at] ?? '')) t[at] = pick(HUGE);
        else t.splice(at, 0, ` ${pick(HUGE)} `);
        break;
      case 5:
        t.splice(at, 0, pick(ODD));
        break;
      case 6:
        return nest(1 + int(200));
      default:
        return `${base}; ${pick(CORPUS)}`;
    }
  }
  return t.join('');
}

function randomText(max: number): string {
  return Array.from({ length: int(max) }, () => String.fromCharCode(int(0x250))).join('');
}

type Body = string | Buffer | Record<string, unknown> | undefined;

interface Req {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS';
  url: string;
  headers: Record<string, string>;
  payload: Body;
}

const PATHS = ['/v1/sql', '/v1/query', '/v1/views/per_card', '/v1/views/per_card/keys/c1', '/v1/views/per_card/lookup', '/v1/queries', '/v1/queries/view_per_card', '/v1/catalog', '/v1/models', '/v1/models/nope', '/v1/openapi.json', '/metrics', '/healthz', '/v1/series', '/v1/relations', '/v1/relations/per_card/rows', '/v1/queries/view_per_card/plan', '/v1/console', '/', '/console/app.js'];
const TYPES = ['application/json', 'APPLICATION/JSON', 'text/plain', 'Text/Plain; charset=utf-8', 'application/json; charset=latin1', 'text/html', 'multipart/form-data; boundary=x', '', 'application/octet-stream', ';;;', 'application/x-www-form-urlencoded'];

function mutateUrl(): string {
  const base = pick(PATHS);
  switch (int(7)) {
    case 0:
      return `${base}?limit=${pick(['0', '-1', '1e9', 'abc', '100000', '5&limit=6', ''])}&prefix=${encodeURIComponent(randomText(8))}`;
    case 1:
      return `/v1/views/${encodeURIComponent(randomText(20))}/keys/${encodeURIComponent(randomText(40))}`;
    case 2:
      return `/v1/views/per_card/keys/${pick(['%', '%ZZ', '%E0%A4%A', '%00', '..%2F..%2Fetc', '%C0%AF', 'k'.repeat(int(3000))])}`;
    case 3:
      return `/v1/${randomText(10).replace(/[?#]/g, '')}`;
    case 4:
      return base.replace(/\//g, () => pick(['/', '//', '/./']));
    case 5:
      return `/v1/queries/${encodeURIComponent(randomText(30))}`;
    default:
      return base;
  }
}

function mutateBody(): Body {
  switch (int(9)) {
    case 0:
      return { sql: mutateSql() };
    case 1:
      return mutateSql();
    case 2:
      return pick<Body>([{}, { sql: 1 }, { sql: null }, { sql: ['SELECT 1'] }, { sql: { a: 1 } }, { key: null }, { key: ['c1'] }, { key: [[]] }, { sql: '' }]);
    case 3:
      return pick(['{', '{"sql": "SELECT', 'null', '[]', '"x"', '1', '{"sql": "\\ud800"}', '{"__proto__": {"sql": "SHOW STREAMS"}}', '{"sql":"SHOW STREAMS","sql":"SHOW TABLES"}']);
    case 4:
      return Buffer.from(Array.from({ length: int(200) }, () => int(256)));
    case 5:
      return { sql: `SELECT '${'x'.repeat(int(3) === 0 ? 2_500_000 : 5_000)}' FROM per_card` };
    case 6:
      return { sql: Array.from({ length: 90 + int(30) }, () => 'SHOW STREAMS').join(';') };
    case 7:
      return undefined;
    default:
      return { sql: mutateSql(), extra: randomText(20) };
  }
}

function nextRequest(): Req {
  const sqlRoute = random() < 0.6;
  const method = sqlRoute ? 'POST' : pick(['GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const);
  // Push queries through /v1/query stream until cancelled; inject waits for the end, so SQL
  // that may be a push query goes to /v1/sql (which refuses it before it runs). /v1/query gets
  // the bodies and headers that are refused before anything runs, and pull queries.
  const url = sqlRoute ? (random() < 0.8 ? '/v1/sql' : '/v1/query') : mutateUrl();
  let payload = sqlRoute ? (random() < 0.75 ? { sql: mutateSql() } : mutateBody()) : random() < 0.5 ? mutateBody() : undefined;
  if (url === '/v1/query' && !isRefusedOrPull(payload)) payload = { sql: pick(["SELECT * FROM per_card WHERE card_id = 'c1'", 'SELECT owner FROM cards', 'CREATE STREAM nope (x INT)', '']) };
  const headers: Record<string, string> = {};
  if (payload !== undefined || random() < 0.2) {
    const canonical = typeof payload === 'string' ? 'text/plain' : Buffer.isBuffer(payload) ? 'application/octet-stream' : 'application/json';
    const type = random() < 0.8 ? canonical : pick(TYPES);
    if (type !== '') headers['content-type'] = type;
  }
  if (random() < 0.1) headers['accept'] = pick(['text/event-stream', '*/*', 'application/x-ndjson', randomText(20).replace(/[^\x20-\x7e]/g, '')]);
  if (random() < 0.05) headers['authorization'] = pick(['Bearer x', 'Basic Zm9v', '', 'Bearer']);
  return { method, url, headers, payload };
}

/** Bodies that /v1/query refuses before running anything, or that are pull queries. */
function isRefusedOrPull(payload: Body): boolean {
  if (payload === undefined || Buffer.isBuffer(payload)) return true;
  const sql = typeof payload === 'string' ? payload : payload['sql'];
  if (typeof sql !== 'string') return true;
  return !/\bfrom\s+tx\b/i.test(sql) || /;/.test(sql);
}

const STATUSES = new Set<number>([200, 201, ...Object.values(ERROR_CODES).map((c) => c.http)]);

let engine: Engine;
let cleanup: () => Promise<void>;
let app: FastifyInstance;
let port = 0;

beforeAll(async () => {
  ({ engine, cleanup } = await tempEngine(200));
  app = buildServer(engine, { limits: { maxPushQueries: 4 }, console: { inspector: relationInspector(engine) } });
  for (const sql of SETUP) await engine.execute(sql);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  port = typeof addr === 'object' && addr !== null ? addr.port : 0;
});
afterAll(async () => {
  await app.close();
  await cleanup();
});

function checkAnswer(req: Req, status: number, contentType: unknown, body: string): void {
  const what = `${req.method} ${req.url.slice(0, 120)} ${JSON.stringify(req.payload)?.slice(0, 300)} -> ${status} ${body.slice(0, 300)}`;
  expect(STATUSES.has(status), what).toBe(true);
  if (status < 400) return;
  if (req.method === 'HEAD') return;
  expect(String(contentType), what).toMatch(/^application\/json/);
  const json = JSON.parse(body) as { error?: { code?: string; message?: unknown } };
  const code = json.error?.code as ErrorCode | undefined;
  expect(code !== undefined && code in ERROR_CODES, what).toBe(true);
  expect(ERROR_CODES[code!].http, what).toBe(status);
  expect(typeof json.error?.message, what).toBe('string');
  expect(code, what).not.toBe('INTERNAL');
  expect(status, what).not.toBe(500);
}

/** Raw bytes over TCP; resolves with the status line's code (0 when the server only closed). */
function rawTcp(text: string | Buffer): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let data = '';
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? undefined : reject(e)));
    socket.on('close', () => {
      clearTimeout(timer);
      const [head = '', ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0), head, body: rest.join('\r\n\r\n') });
    });
  });
}

describe('HTTP fuzzing', () => {
  it(`answers ${REQUESTS} mutated requests with documented statuses and JSON errors (seed ${SEED})`, async () => {
    console.log(`fuzz seed ${SEED} (rerun with SLUICE_FUZZ_SEED=${SEED})`);
    const started = Date.now();
    let sent = 0;
    const seen = new Map<string, number>();
    for (; sent < REQUESTS && Date.now() - started < BUDGET_MS; sent++) {
      const req = nextRequest();
      const res = await app.inject({ method: req.method, url: req.url, headers: req.headers, ...(req.payload !== undefined ? { payload: req.payload } : {}) });
      checkAnswer(req, res.statusCode, res.headers['content-type'], res.body);
      const code = res.statusCode >= 400 && req.method !== 'HEAD' ? (res.json() as { error: { code: string } }).error.code : 'ok';
      seen.set(`${res.statusCode} ${code}`, (seen.get(`${res.statusCode} ${code}`) ?? 0) + 1);
      if (sent % 100 === 0) expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok', version: SLUICE_VERSION });
    }
    console.log(`fuzz: ${sent} requests in ${Date.now() - started} ms: ${[...seen].sort().map(([k, n]) => `${k} x${n}`).join(', ')}`);
    expect(sent).toBeGreaterThan(200);
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok', version: SLUICE_VERSION });
  }, 120_000);

  it('answers malformed HTTP over TCP in the JSON shape', async () => {
    const cases: (string | Buffer)[] = [
      'GARBAGE\r\n\r\n',
      `GET /v1/views/per_card/keys/${'k'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX: ${'y'.repeat(20_000)}\r\n\r\n`,
      'POST /v1/sql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{"sql',
      'POST /v1/sql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}',
      'POST /v1/sql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\nZZ\r\nSHOW STREAMS\r\n0\r\n\r\n',
      'GET /v1/sql\u0000 HTTP/1.1\r\nHost: x\r\n\r\n',
      Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00]),
      `POST /v1/sql HTTP/1.1\r\nHost: x\r\nContent-Type: TEXT/PLAIN\r\nContent-Length: 12\r\n\r\nSHOW STREAMS`,
    ];
    for (const c of cases) {
      const { status, head, body } = await rawTcp(c);
      if (status === 0) continue;
      const req: Req = { method: 'GET', url: String(c).slice(0, 60), headers: {}, payload: undefined };
      checkAnswer(req, status, /content-type: ([^\r]+)/i.exec(head)?.[1] ?? '', body);
    }
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok', version: SLUICE_VERSION });
  }, 60_000);

  it('streams a push query over TCP and stops it when the client leaves', async () => {
    for (let i = 0; i < 3; i++) {
      const ac = new AbortController();
      const res = await fetch(`http://127.0.0.1:${port}/v1/query`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'SELECT tx_id, amount * 2 AS a FROM tx', signal: ac.signal });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value)).toContain('"columns"');
      ac.abort();
    }
    for (let i = 0; i < 100 && engine.queries().some((q) => q.kind === 'push' && q.status === 'running'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(engine.queries().filter((q) => q.kind === 'push' && q.status === 'running')).toEqual([]);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  }, 30_000);
});
